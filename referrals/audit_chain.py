"""Hash chain for the tamper-evident audit trail.

Record `seq` (from 1) stores `hash = sha256(prev_hash "\\n" seq "\\n" canonical_json(event))`, where
`prev_hash` is the previous record's hash (GENESIS for the first). Editing, deleting, inserting or reordering
a record breaks a link that `verify` finds. A chain can still be rewritten whole from the point of tampering,
or cut short, so the head is pinned by signed checkpoints kept outside the database (`audit_checkpoints.py`);
`verify` checks every one it is given (a rewrite then shows at a checkpoint's seq, meaning "at or before
here"; a chain shorter than a checkpoint was cut). Events after the last checkpoint are not yet covered.

Canonical JSON: sorted keys, no whitespace, UTF-8 with non-ASCII written as is. Datetimes must be
timezone-aware and become `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC; dates become `YYYY-MM-DD`; Decimals become
strings in plain, normalised notation ("1.50" -> "1.5"); finite floats are treated as the Decimal of their
shortest round-trip text (0.1 -> "0.1", 5.0 -> "5"), so a float and that Decimal hash alike and a JSON round
trip does not change the hash; NaN and infinities are rejected. UUIDs become their hyphenated lowercase text,
enums their value. Mapping keys must be strings; sets, bytes and other types are rejected.
"""

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise TypeError("an audit event must be a mapping")
    text = json.dumps(
        _plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit datetimes must be timezone-aware")
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _plain(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal in an audit event")
        return "0" if value.is_zero() else format(value.normalize(), "f")
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("audit event keys must be strings")
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"cannot put {type(value).__name__} in an audit event")


def chain_hash(prev_hash: str, seq: int, event: Mapping[str, Any]) -> str:
    return canonical_hash(prev_hash, seq, canonical_json(event))


def canonical_hash(prev_hash: str, seq: int, canonical: bytes) -> str:
    """`chain_hash` of an event whose canonical JSON is already known."""
    if not HEX64.fullmatch(prev_hash):
        raise ValueError("prev_hash must be 64 lowercase hex digits")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError("seq must be a positive integer")
    digest = hashlib.sha256(f"{prev_hash}\n{seq}\n".encode("ascii"))
    digest.update(canonical)
    return digest.hexdigest()


PLAIN = frozenset({str, int, type(None)})


def _float_text(text: str) -> str:
    return _plain(float(text))


def stored_canonical_json(fields: Mapping[str, Any], payload_json: str) -> bytes:
    """`canonical_json` of an event read from storage, whose payload is still the JSON text it was stored as
    (`fields` holds every other field). The payload is parsed with each number that has a fraction or an
    exponent read as the float a plain `json.loads` would give and turned at once into `_plain`'s text for it,
    so the parsed payload holds only strings, integers, booleans, None, lists and string-keyed dicts, on which
    `_plain` changes nothing: the bytes are those `canonical_json` gives for the event as the ORM loads it
    (`json.loads` of the same text), without walking it twice. For verifying a long chain quickly."""
    payload = json.loads(payload_json, parse_float=_float_text)
    if not isinstance(payload, Mapping):
        raise TypeError("an audit event's payload must be a mapping")
    document = {key: value if type(value) in PLAIN else _plain(value) for key, value in fields.items()}
    document["payload"] = payload
    return canonical_json_plain(document)


def canonical_json_plain(document: Mapping[str, Any]) -> bytes:
    """`canonical_json` of a document already made of plain JSON values (no floats, datetimes, ...)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


@dataclass(frozen=True)
class AuditRecord:
    """`canonical`, when the reader has it (`stored_canonical_json`), is the event's canonical JSON, which
    `verify` then hashes instead of canonicalising `event` again."""

    seq: int
    prev_hash: str
    hash: str
    event: Mapping[str, Any]
    canonical: bytes | None = None


def append_record(prev_seq: int, prev_hash: str, event: Mapping[str, Any]) -> AuditRecord:
    """The record that follows (prev_seq, prev_hash); use (0, GENESIS) for the first."""
    seq = prev_seq + 1
    return AuditRecord(seq, prev_hash, chain_hash(prev_hash, seq, event), event)


def build_chain(events: Iterable[Mapping[str, Any]]) -> Iterator[AuditRecord]:
    seq, prev_hash = 0, GENESIS
    for event in events:
        record = append_record(seq, prev_hash, event)
        seq, prev_hash = record.seq, record.hash
        yield record


@dataclass(frozen=True)
class Checkpoint:
    """The chain had `count` records, the last with hash `head_hash`, at time `at`."""

    count: int
    head_hash: str
    at: datetime


@dataclass(frozen=True)
class VerifyResult:
    """`count` and `head_hash` describe the verified prefix: everything before `first_bad_seq`."""

    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(
    rows: Iterable[AuditRecord],
    *,
    checkpoint: Checkpoint | None = None,
    checkpoints: Iterable[Checkpoint] = (),
) -> VerifyResult:
    """Walk the chain once, in the order given, and report the first broken link or the first checkpoint
    the chain does not match (a rewrite at or before it, or a chain cut short of it)."""
    pinned: dict[int, list[Checkpoint]] = {}
    for each in [*([checkpoint] if checkpoint else []), *checkpoints]:
        pinned.setdefault(each.count, []).append(each)
    count, head = 0, GENESIS
    for row in rows:
        expected = count + 1
        problem = _link_problem(row, expected, head) or _checkpoint_problem(row, pinned.get(row.seq, ()))
        if problem:
            return VerifyResult(False, count, head, expected, problem)
        count, head = row.seq, row.hash
    beyond = [each for seq, group in pinned.items() if seq > count for each in group]
    if beyond:
        last = max(beyond, key=lambda each: each.count)
        problem = (
            f"chain ends at seq {count} but the signed checkpoint of {utc_text(last.at)} covers "
            f"{last.count} records: events were cut from the end"
        )
        return VerifyResult(False, count, head, count + 1, problem)
    return VerifyResult(True, count, head)


def _link_problem(row: AuditRecord, expected: int, prev_hash: str) -> str | None:
    if row.seq != expected:
        return f"expected seq {expected}, found {row.seq}: a record is missing, duplicated or out of order"
    if row.prev_hash != prev_hash:
        return (
            f"seq {row.seq}: prev_hash does not match seq {row.seq - 1}; a record was removed, inserted "
            "or reordered here, or the previous record was edited and rehashed"
        )
    try:
        if row.canonical is not None:
            recomputed = canonical_hash(prev_hash, row.seq, row.canonical)
        else:
            recomputed = chain_hash(prev_hash, row.seq, row.event)
    except (TypeError, ValueError) as error:
        return f"seq {row.seq}: event cannot be canonicalised ({error})"
    if recomputed != row.hash:
        return f"seq {row.seq}: hash does not match the event; the record was edited"
    return None


def _checkpoint_problem(row: AuditRecord, checkpoints: Iterable[Checkpoint]) -> str | None:
    for each in checkpoints:
        if row.hash != each.head_hash:
            return (
                f"seq {row.seq}: hash differs from the signed checkpoint of {utc_text(each.at)}; the chain "
                "was rewritten at or before here"
            )
    return None
