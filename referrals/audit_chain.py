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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from itertools import chain
from typing import Any
from uuid import UUID

import orjson

GENESIS = "0" * 64
UTC_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
HEX64 = re.compile(r"[0-9a-f]{64}")
_ZERO = timedelta(0)


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    if not isinstance(payload, Mapping):
        raise TypeError("an audit event must be a mapping")
    return canonical_json_plain(_plain(payload))


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit datetimes must be timezone-aware")
    return moment.astimezone(UTC).strftime(UTC_FORMAT)


_AS_IS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> Any:
    """`value` made of plain JSON values. The exact types an event is mostly made of (strings, integers,
    None, dicts with string keys, lists) are told by their type alone; anything else by what it is."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is dict and all(type(key) is str for key in value):
        return {key: item if type(item) in _AS_IS else _plain(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _AS_IS else _plain(item) for item in value]
    return _plain_other(value)


def _plain_other(value: Any) -> Any:
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _float_plain(value)
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


def _float_plain(value: float) -> str:
    """The Decimal text of a float's shortest round trip: what `repr` writes, when it has no exponent, is
    that text already, less a final ".0" (5.0 -> "5") and the sign of zero."""
    text = repr(value)
    if "e" in text or "n" in text:  # 1e-07, 1.5e+300: the Decimal's plain notation; nan and inf refused
        return _plain(Decimal(text))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text in ("0", "-0") else text


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


# A JSON number with a fraction or an exponent has a digit just before its "." or "e"; an integer of 19 digits
# or more may not fit the 64 bits orjson reads exactly (beyond them it reads a float). A payload's stored text
# with neither is read and written by orjson alone; one with floats has them turned into `_plain`'s text
# first; one with a long integer goes the exact way (as does text that merely looks so, a string "v1.2").
_NUMBERS_TO_MIND = re.compile(r"[0-9](?:[.eE]|[0-9]{18})")
_LONG_INTEGER = re.compile(r"[0-9]{19}")
_ORJSON_SORTED = orjson.OPT_SORT_KEYS


def fast_stored_canonical_json(fields: Mapping[str, Any], payload_json: str) -> bytes:
    """`stored_canonical_json`, byte for byte, in compiled code (orjson) where that is exact: fields of plain
    values and a UTC `created_at`, and a payload without integers beyond 64 bits. orjson reads JSON into the
    values `json.loads` does (floats apart, which are then made `_plain`'s text as `stored_canonical_json`
    makes them) and, with sorted keys, writes exactly what `canonical_json_plain` writes (compact, keys sorted
    by code point, non-ASCII as is, the same escapes); tests/unit/referrals/test_audit_canonical_fast.py holds
    it to that over varied payloads. Anything else goes through `stored_canonical_json`, which raises as it
    always has."""
    document = {}
    for key, value in fields.items():
        if type(value) in PLAIN:
            document[key] = value
        elif type(value) is datetime and value.utcoffset() == _ZERO and value.year >= 1000:
            document[key] = value.isoformat(timespec="microseconds")[:26] + "Z"
        else:
            return stored_canonical_json(fields, payload_json)
    floats = _NUMBERS_TO_MIND.search(payload_json) is not None
    if floats and _LONG_INTEGER.search(payload_json) is not None:
        return stored_canonical_json(fields, payload_json)
    try:
        payload = orjson.loads(payload_json)
    except orjson.JSONDecodeError:
        return stored_canonical_json(fields, payload_json)
    if type(payload) is not dict:
        return stored_canonical_json(fields, payload_json)
    document["payload"] = _floats_as_text(payload) if floats else payload
    try:
        return orjson.dumps(document, option=_ORJSON_SORTED)
    except orjson.JSONEncodeError:
        return stored_canonical_json(fields, payload_json)


def _floats_as_text(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return _plain(value)
    if kind is dict:
        return {key: _floats_as_text(item) for key, item in value.items()}
    if kind is list:
        return [_floats_as_text(item) for item in value]
    return value


def canonical_json_plain(document: Mapping[str, Any]) -> bytes:
    """`canonical_json` of a document already made of plain JSON values (no floats, datetimes, ...). orjson
    with sorted keys writes what `json.dumps` writes here (compact, keys sorted by code point, non-ASCII as
    is, the same escapes: tests/unit/referrals/test_audit_canonical_fast.py), in compiled code; what it
    refuses (an integer beyond 64 bits, a lone surrogate, a key of a subclass of str) goes to `json.dumps`."""
    try:
        return orjson.dumps(document, option=_ORJSON_SORTED)
    except orjson.JSONEncodeError:
        pass
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
    pinned = pin([*([checkpoint] if checkpoint else []), *checkpoints])
    return ending(walk(rows, 0, GENESIS, pinned), pinned)


def pin(checkpoints: Iterable[Checkpoint]) -> dict[int, list[Checkpoint]]:
    pinned: dict[int, list[Checkpoint]] = {}
    for each in checkpoints:
        pinned.setdefault(each.count, []).append(each)
    return pinned


def walk(
    rows: Iterable[AuditRecord], count: int, head: str, pinned: Mapping[int, Iterable[Checkpoint]]
) -> VerifyResult:
    """The chain's links from a sound prefix of `count` records ending in hash `head` (0 and GENESIS: the
    whole chain): each row must be the next seq, name the previous hash and hash to its own."""
    for row in rows:
        expected = count + 1
        problem = _link_problem(row, expected, head) or _checkpoint_problem(row, pinned.get(row.seq, ()))
        if problem:
            return VerifyResult(False, count, head, expected, problem)
        count, head = row.seq, row.hash
    return VerifyResult(True, count, head)


def ending(result: VerifyResult, pinned: Mapping[int, Iterable[Checkpoint]]) -> VerifyResult:
    """A sound chain must reach every checkpoint: one beyond its end means events were cut from the end."""
    if not result.ok:
        return result
    count, head = result.count, result.head_hash
    beyond = [each for seq, group in pinned.items() if seq > count for each in group]
    if beyond:
        last = max(beyond, key=lambda each: each.count)
        problem = (
            f"chain ends at seq {count} but the signed checkpoint of {utc_text(last.at)} covers "
            f"{last.count} records: events were cut from the end"
        )
        return VerifyResult(False, count, head, count + 1, problem)
    return result


@dataclass(frozen=True)
class Stretch:
    """A stretch of the chain verified on its own, from `first_seq` (None: from the start): `entry_hash` is
    its first row's stored prev_hash (None: it has no rows), `first_row_seq` that row's seq, and `result`
    what `walk` found taking that row's prev_hash on trust. Stretches are joined by `join`."""

    first_seq: int | None
    first_row_seq: int | None
    entry_hash: str | None
    result: VerifyResult


def verify_stretch(
    rows: Iterable[AuditRecord], first_seq: int | None, pinned: Mapping[int, Iterable[Checkpoint]]
) -> Stretch:
    return _stretch(
        rows,
        first_seq,
        lambda row: (row.seq, row.prev_hash),
        lambda rows, count, head: walk(rows, count, head, pinned),
    )


def _stretch(
    rows: Iterable,
    first_seq: int | None,
    entry: Callable[[Any], tuple[int, str]],
    walk_from: Callable[[Iterable, int, str], VerifyResult],
) -> Stretch:
    """A stretch verified from its first row (`entry`: that row's seq and prev_hash), by `walk_from`."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return Stretch(first_seq, None, None, VerifyResult(True, 0, GENESIS))
    seq, prev = entry(first)
    # the first stretch from GENESIS, exactly as `verify` walks it; any other from its first row's link
    count, head = (0, GENESIS) if first_seq is None else (first_seq - 1, prev)
    return Stretch(first_seq, seq, prev, walk_from(chain([first], iterator), count, head))


def join(stretches: Iterable[Stretch], walk_on: Callable[[int, str], VerifyResult]) -> VerifyResult:
    """The result `verify` gives for the whole chain, from stretches verified apart, in order. A stretch
    that starts exactly where the sound prefix ends (its first row is the next seq and names the prefix's last
    hash) found what a single walk would have; anywhere else (a seq missing, a link broken at the boundary,
    the chain ending early) `walk_on(count, head)` walks on from the sound prefix, as `verify` would, and
    meets the problem at its first row."""
    count, head = 0, GENESIS
    for stretch in stretches:
        if stretch.entry_hash is None:
            continue  # no rows in it: if rows come later, the next stretch does not start at count + 1
        joined = (
            (stretch.first_seq is None or stretch.first_seq == count + 1)
            and stretch.first_row_seq == count + 1
            and stretch.entry_hash == head
        )
        if not joined:
            return walk_on(count, head)
        if not stretch.result.ok:
            return stretch.result
        count, head = stretch.result.count, stretch.result.head_hash
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


# --- verifying rows as stored, quickly --------------------------------------------------------------------

# A stored event as `fast_walk` takes it, a plain tuple: seq, prev_hash, hash, the fields `HASHED_FIELDS`
# names, created_at as PostgreSQL writes a UTC timestamp's text ("YYYY-MM-DD HH:MM:SS[.ffffff]", its
# fraction without trailing zeros) and the payload's stored JSON text.
HASHED_FIELDS = ("kind", "referral_id", "resident_id", "actor", "actor_role", "actor_org_id", "reason")


def fast_walk(
    rows: Iterable[tuple],
    count: int,
    head: str,
    pinned: Mapping[int, Iterable[Checkpoint]],
    exact: Callable[[tuple], AuditRecord],
) -> VerifyResult:
    """`walk` over stored rows (plain tuples, above), with the same result. A row that is the next seq, names
    the previous hash, is at no checkpoint, has a payload that is a JSON object without integers beyond 64
    bits and a created_at of a four-digit year, is hashed here from its values with orjson in one call. The
    bytes are those `fast_stored_canonical_json` writes: the payload read as it reads it (orjson reads a
    float, and an integer beyond 64 bits, as a Python float: a payload read without one has neither, and one
    with a float but no long integer has its floats made text as there). So when they hash to the row's own
    hash the row is sound as `walk` would find it. Any other row, and one whose hash does not match, is made
    an `AuditRecord` by `exact` (as the exact reader makes it) and checked by `walk`'s own rules, which name
    the problem if there is one."""
    sha256 = hashlib.sha256
    loads, dumps, sort = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
    has_float, long_integer = _has_float, _LONG_INTEGER.search
    for row in rows:
        seq, prev, digest, kind, referral_id, resident_id, actor, role, org_id, reason, created, payload = row
        if seq == count + 1 and prev == head and seq not in pinned:
            try:
                if len(created) == 26 and created[4] == "-" and created[0] != "0":  # _stamp's usual case
                    stamp = created.replace(" ", "T") + "Z"
                else:
                    stamp = _stamp(created)
                value = loads(payload)
                if type(value) is not dict or stamp is None:
                    value = None
                elif has_float(value):  # a float, or an integer beyond 64 bits read as one
                    value = None if long_integer(payload) else _floats_as_text(value)
                if value is not None:
                    document = {
                        "actor": actor,
                        "actor_org_id": org_id,
                        "actor_role": role,
                        "created_at": stamp,
                        "kind": kind,
                        "payload": value,
                        "reason": reason,
                        "referral_id": referral_id,
                        "resident_id": resident_id,
                    }
                    canonical = dumps(document, option=sort)
                    if sha256(b"%s\n%d\n%s" % (prev.encode(), seq, canonical)).hexdigest() == digest:
                        count, head = seq, digest
                        continue
            except (TypeError, ValueError, RecursionError):
                pass
        record = exact(row)
        expected = count + 1
        problem = _link_problem(record, expected, head) or _checkpoint_problem(
            record, pinned.get(record.seq, ())
        )
        if problem:
            return VerifyResult(False, count, head, expected, problem)
        count, head = record.seq, record.hash
    return VerifyResult(True, count, head)


def _has_float(value: dict | list) -> bool:
    """Whether a JSON object or array as orjson reads it holds a float anywhere."""
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is float or ((kind is dict or kind is list) and _has_float(item)):
            return True
    return False


def _stamp(created: str) -> str | None:
    """created_at as `canonical_json` writes it, from PostgreSQL's ISO text of the UTC timestamp, for a year
    of four digits from 1000 (None otherwise: such a row goes the exact way)."""
    if type(created) is not str or created[4:5] != "-" or created[0] == "0":
        return None
    size = len(created)
    if size == 26:
        return created.replace(" ", "T") + "Z"
    if size == 19:
        return created.replace(" ", "T") + ".000000Z"
    if 21 <= size < 26 and created[19] == ".":
        return created.replace(" ", "T") + "0" * (26 - size) + "Z"
    return None


def stored_record(row: tuple) -> AuditRecord:
    """A stored row (above) as an `AuditRecord` with its canonical JSON, made as `fast_stored_canonical_json`
    makes it for the same values with created_at the same instant as an aware datetime. Raises TypeError or
    ValueError where that cannot be made (created_at not such text; what the fast function raises)."""
    seq, prev_hash, digest, *values, created, payload_json = row
    if type(created) is not str:
        raise TypeError("created_at must be the text of a UTC timestamp")
    fields = dict(zip(HASHED_FIELDS, values, strict=True))
    fields["created_at"] = datetime.fromisoformat(created + "+00:00")
    return AuditRecord(seq, prev_hash, digest, fields, fast_stored_canonical_json(fields, payload_json))


def fast_verify_stretch(
    rows: Iterable[tuple],
    first_seq: int | None,
    pinned: Mapping[int, Iterable[Checkpoint]],
    exact: Callable[[tuple], AuditRecord],
) -> Stretch:
    """`verify_stretch` over stored rows (plain tuples), with `fast_walk`."""
    return _stretch(
        rows,
        first_seq,
        lambda row: (row[0], row[1]),
        lambda rows, count, head: fast_walk(rows, count, head, pinned, exact),
    )
