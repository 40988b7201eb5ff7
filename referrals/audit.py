"""Writing the audit trail: append-only, hash-chained, in the same transaction as the change it records."""

import gc
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from datetime import datetime
from functools import partial
from multiprocessing import get_context

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Text, cast, create_engine, event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from accounts.tokens import Principal
from db.base import utcnow
from referrals.audit_chain import (
    GENESIS,
    AuditRecord,
    Checkpoint,
    Stretch,
    VerifyResult,
    chain_hash,
    ending,
    fast_stored_canonical_json,
    fast_verify_stretch,
    fast_walk,
    join,
    pin,
    stored_record,
    verify_stretch,
    walk,
)
from referrals.audit_checkpoints import publish, sign_checkpoint
from referrals.models import AuditEvent, AuditHead

HEAD_ID = 1
PENDING = "oneroute_audit_pending"


def event_document(event: AuditEvent) -> dict:
    """The fields a hash covers, in the form `chain_hash` canonicalises."""
    return {
        "kind": event.kind,
        "referral_id": event.referral_id,
        "resident_id": event.resident_id,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "actor_org_id": event.actor_org_id,
        "reason": event.reason,
        "payload": event.payload,
        "created_at": event.created_at,
    }


def record(
    session: Session,
    kind: str,
    principal: Principal,
    *,
    referral_id: int | None = None,
    resident_id: int | None = None,
    reason: str = "",
    payload: dict | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Add one event to the trail. It is chained and written when the caller's transaction commits, so the
    chain head is locked only for the moment of the commit, and a rolled-back change leaves no event."""
    event = AuditEvent(
        kind=kind,
        referral_id=referral_id,
        resident_id=resident_id,
        actor=principal.label,
        actor_role=principal.role,
        actor_org_id=principal.org_id,
        reason=reason,
        payload=payload or {},
        created_at=now or utcnow(),
    )
    session.info.setdefault(PENDING, []).append(event)
    return event


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT (`session.begin_nested()`): leaving it normally keeps its writes; an exception rolls them
    back, with the events recorded inside it, and is raised again. Events recorded before it are kept (a
    savepoint's rollback fires `after_rollback`, which would otherwise drop every pending event)."""
    before = list(session.info.get(PENDING, ()))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        session.info[PENDING] = before
        raise


def pending_events(session: Session, referral_id: int) -> list[AuditEvent]:
    """The events this transaction has recorded so far for a referral, in the order they will be chained."""
    return [e for e in session.info.get(PENDING, ()) if e.referral_id == referral_id]


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (it fires before_commit too): the events wait for the real commit
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()
    head = session.scalars(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).one()
    for item in pending:
        item.seq, item.prev_hash = head.seq + 1, head.hash
        item.hash = chain_hash(head.hash, item.seq, event_document(item))
        head.seq, head.hash = item.seq, item.hash
    session.add_all(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


HASHED = ("kind", "referral_id", "resident_id", "actor", "actor_role", "actor_org_id", "reason", "created_at")


def records(
    session: Session, batch: int = 10_000, *, first: int | None = None, last: int | None = None
) -> Iterator[AuditRecord]:
    """The whole trail in sequence order (or the stretch of seq from `first` to `last`), streamed as plain
    rows (no ORM objects) with each event's canonical JSON made from the payload's stored text
    (`audit_chain.fast_stored_canonical_json`): verifying ten million events is then bound by hashing and
    JSON rather than by loading objects. An event whose stored form cannot be read that way comes as the ORM
    would load it, so `verify` reports it as it always has."""
    query = select(
        AuditEvent.seq,
        AuditEvent.prev_hash,
        AuditEvent.hash,
        *(getattr(AuditEvent, name) for name in HASHED),
        cast(AuditEvent.payload, Text).label("payload_json"),
    )
    if first is not None:
        query = query.where(AuditEvent.seq >= first)
    if last is not None:
        query = query.where(AuditEvent.seq <= last)
    query = query.order_by(AuditEvent.seq)
    for row in _rows(session, query, batch):
        fields = dict(zip(HASHED, row[3:11], strict=True))
        try:
            canonical = fast_stored_canonical_json(fields, row[11])
        except (TypeError, ValueError):
            event = session.get(AuditEvent, row[0])
            yield AuditRecord(seq=row[0], prev_hash=row[1], hash=row[2], event=event_document(event))
            continue
        yield AuditRecord(seq=row[0], prev_hash=row[1], hash=row[2], event=fields, canonical=canonical)


def _rows(session: Session, query, batch: int) -> Iterator[tuple]:
    """The query's rows as plain tuples, `batch` at a time: on PostgreSQL from a server-side cursor of the
    driver on the session's own connection (in its transaction), without a Row object each."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield from connection.execution_options(yield_per=batch).execute(query)
        return
    compiled = query.compile(dialect=connection.dialect)
    driver = connection.connection.driver_connection
    with driver.cursor(name="oneroute_audit_records") as cursor:
        cursor.execute(str(compiled), compiled.params)
        while rows := cursor.fetchmany(batch):
            yield from rows


# Below this many events one process verifies the chain: starting others costs more than they save.
PARALLEL_FROM = 200_000

# The stored rows `audit_chain.fast_walk` takes, read on PostgreSQL a batch at a time by seq (a plain query
# each, which costs the server about half what fetching from a server-side cursor does): created_at as the
# text of its UTC timestamp and the payload as its stored JSON text, so that the driver parses neither.
STORED_SELECT = (
    "SELECT seq, prev_hash, hash, kind, referral_id, resident_id, actor, actor_role, actor_org_id, reason, "
    "(created_at AT TIME ZONE 'UTC')::text, payload::text FROM audit_event"
)
# Batches of 5,000 cost the server no more than larger ones and leave the garbage collector less to pass over.
STORED_BATCH = 5_000
# The types `fast_walk` is written for (PostgreSQL type OIDs: int2, int4, int8; text, varchar).
_INTEGER, _TEXT = frozenset({20, 21, 23}), frozenset({25, 1043})
STORED_TYPES = (
    _INTEGER,
    _TEXT,
    _TEXT,
    _TEXT,
    _INTEGER,
    _INTEGER,
    _TEXT,
    _TEXT,
    _INTEGER,
    _TEXT,
    _TEXT,
    _TEXT,
)


def stored_rows(
    session: Session, batch: int | None = None, *, first: int | None = None, last: int | None = None
) -> Iterator[tuple]:
    """The trail's rows as `audit_chain.fast_walk` takes them, in seq order (or the stretch from `first` to
    `last`), on PostgreSQL, on the session's connection. Each batch is a query of its own, read by a thread
    while the caller works through the batch before (the server makes the next batch meanwhile); rows
    committed meanwhile are read too, which for an append-only chain only means it is verified a little
    further. Close the iterator (or exhaust it) to stop the thread."""
    batch = batch or STORED_BATCH
    driver = session.connection().connection.driver_connection
    lower = "TRUE" if first is None else f"seq >= {int(first)}"
    upper = "" if last is None else f" AND seq <= {int(last)}"
    batches: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(lower: str) -> None:
        try:
            with driver.cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(f"{STORED_SELECT} WHERE {lower}{upper} ORDER BY seq LIMIT {int(batch)}")
                    rows = cursor.fetchall()
                    put(rows)
                    if len(rows) < batch:
                        break
                    lower = f"seq > {int(rows[-1][0])}"
            put(None)
        except BaseException as error:  # handed to the caller's thread, raised there
            put(error)

    reader = threading.Thread(target=read, args=(lower,), name="audit-verify-reader", daemon=True)
    reader.start()
    try:
        while (rows := batches.get()) is not None:
            if isinstance(rows, BaseException):
                raise rows
            yield from rows
    finally:
        stop.set()
        reader.join()


def _fast_readable(session: Session) -> bool:
    """Whether the trail can be read by `stored_rows` for `fast_walk`: on PostgreSQL, with the column types
    it is written for (anything else is verified as `records` reads it)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return False
    with connection.connection.driver_connection.cursor() as cursor:
        cursor.execute(f"{STORED_SELECT} LIMIT 0")
        types = [column.type_code for column in cursor.description]
    return len(types) == len(STORED_TYPES) and all(
        kind in allowed for kind, allowed in zip(types, STORED_TYPES, strict=True)
    )


def _exact_record(session: Session, row: tuple) -> AuditRecord:
    """A stored row (`stored_rows`) as `records` makes it, for `fast_walk` to check by `walk`'s rules: from
    its values (`audit_chain.stored_record`), or where that cannot be made, read again by `records` itself
    (the ORM's event, as `verify` has always had it)."""
    try:
        return stored_record(row)
    except (TypeError, ValueError):
        seq = row[0]
        again = next(iter(records(session, first=seq, last=seq)), None)
    if again is not None:
        return again
    # Gone since it was read (changed while being verified): no event hashes to its hash.
    return AuditRecord(seq=seq, prev_hash=row[1], hash=row[2], event={}, canonical=b"")


def verify_trail(
    session: Session,
    checkpoints: Iterable[Checkpoint] = (),
    *,
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
) -> VerifyResult:
    """Verify the whole chain against `checkpoints`. On PostgreSQL the rows are read as stored
    (`stored_rows`) and walked by `audit_chain.fast_walk`, which finds what `walk` over `records` finds. With
    `workers` > 1, on PostgreSQL and a chain of at least `parallel_from` events, that many processes each
    verify a stretch of seq on their own connection (each event stores its predecessor's hash, so a stretch
    can be checked from its first row) and the stretches are joined at their boundaries (`audit_chain.join`):
    the result is the one a single walk gives, the first problem in seq order included."""
    checkpoints = list(checkpoints)
    pinned = pin(checkpoints)
    bind = session.get_bind()
    fast = _fast_readable(session)
    walker = _walker(session, fast)
    last = session.scalar(select(func.max(AuditEvent.seq))) or 0
    if workers <= 1 or not fast or last < parallel_from:
        return ending(walker(None, 0, GENESIS, pinned), pinned)
    url = bind.url.render_as_string(hide_password=False)
    size = -(-last // workers)
    bounds = [
        (None if i == 0 else 1 + i * size, None if i == workers - 1 else (i + 1) * size)
        for i in range(workers)
    ]
    session.rollback()  # the workers read with their own connections; hold no snapshot here meanwhile
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        stretches = list(pool.map(_verify_stretch, [url] * workers, bounds, [pinned] * workers))

    def walk_on(count: int, head: str) -> VerifyResult:
        return walker(count + 1 if count else None, count, head, pinned)

    return ending(join(stretches, walk_on), pinned)


def _walker(session: Session, fast: bool) -> Callable[[int | None, int, str, dict], VerifyResult]:
    """walk(from seq `first` (None: the start), count, head, pinned): `fast_walk` over `stored_rows` where the
    trail can be read so, else `walk` over `records`."""
    if fast:
        exact = partial(_exact_record, session)

        def walk_stored(first: int | None, count: int, head: str, pinned: dict) -> VerifyResult:
            with closing(stored_rows(session, first=first)) as rows:
                return fast_walk(rows, count, head, pinned, exact)

        return walk_stored
    return lambda first, count, head, pinned: walk(records(session, first=first), count, head, pinned)


def _verify_stretch(url: str, bounds: tuple[int | None, int | None], pinned: dict) -> Stretch:
    """In a worker process: one stretch of the chain, on a connection of its own. The process does nothing
    else meanwhile, so the cyclic garbage collector is off while it reads: its passes over the batches of
    rows cost a few per cent of the time, and the walk makes no garbage it alone could free."""
    gc.disable()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            first, last = bounds
            if _fast_readable(session):
                with closing(stored_rows(session, first=first, last=last)) as rows:
                    return fast_verify_stretch(rows, first, pinned, partial(_exact_record, session))
            return verify_stretch(records(session, first=first, last=last), first, pinned)
    finally:
        engine.dispose()
        gc.enable()


def checkpoint(session: Session, key: Ed25519PrivateKey, now: datetime | None = None) -> str:
    """The head's seq and hash and the time, signed (one JSON line), for keeping outside the database."""
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    line = sign_checkpoint(key, head.seq, head.hash, now or utcnow())
    session.rollback()
    return line


def publish_checkpoint(
    session: Session, key: Ed25519PrivateKey, destination: str, now: datetime | None = None
) -> str:
    """Sign the head as it stands and write it to `destination` (a JSON Lines file or an http(s) URL); the
    line written. Raises `audit_checkpoints.PublishError` when the destination cannot take it."""
    line = checkpoint(session, key, now)
    publish(line, destination)
    return line


def events_for_referral(session: Session, referral_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
        )
    )
