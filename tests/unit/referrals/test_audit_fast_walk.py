"""`audit verify`'s walk over rows as stored (`fast_walk`) finds what `walk` finds over the same rows made
into records the exact way, tampered or not; rows it does not hash itself (long integers, a payload that is
not an object, an odd created_at, a checkpoint's row) and rows whose hash it does not match go the exact way
and verify as before."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.audit_chain import (
    GENESIS,
    AuditRecord,
    Checkpoint,
    chain_hash,
    ending,
    fast_verify_stretch,
    fast_walk,
    pin,
    stored_record,
    verify,
    verify_stretch,
    walk,
)

AT = datetime(2026, 12, 7, 14, 30, 0, 123456, tzinfo=UTC)


def event(n: int, payload: dict, **fields) -> dict:
    return {
        "kind": "referral.offered",
        "referral_id": n,
        "resident_id": None if n % 3 == 0 else 1000 + n,
        "actor": 'token:3:Zoë "the" \\ coordinator' if n % 4 == 0 else "helpline",
        "actor_role": "hub_coordinator",
        "actor_org_id": None if n % 2 else 7,
        "reason": "line one\nline two\t\x01" if n % 5 == 0 else "",
        "payload": payload,
        "created_at": AT + timedelta(minutes=n, microseconds=-n * 1010),
        **fields,
    }


def stamp(moment: datetime) -> str:
    """created_at as PostgreSQL writes the text of a UTC timestamp (fraction without trailing zeros)."""
    text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return text.rstrip("0").rstrip(".") if "." in text else text


def stored(events: list[dict], texts=None) -> list[tuple]:
    """The chain of `events` as `stored_rows` reads it, each payload stored as `texts(payload)` (json.dumps,
    as the ORM writes it, by default), hashed as `referrals.audit` hashes it."""
    rows, head = [], GENESIS
    for seq, each in enumerate(events, start=1):
        digest = chain_hash(head, seq, each)
        payload = (texts or json.dumps)(each["payload"])
        rows.append(
            (
                seq,
                head,
                digest,
                *(each[k] for k in ("kind", "referral_id", "resident_id", "actor", "actor_role")),
                each["actor_org_id"],
                each["reason"],
                stamp(each["created_at"]),
                payload,
            )
        )
        head = digest
    return rows


def exact_record(row):
    """A stored row as `referrals.audit` makes it the exact way: `stored_record`, or where that cannot be
    made, the event as the ORM loads it (its payload `json.loads` of the stored text)."""
    try:
        return stored_record(row)
    except (TypeError, ValueError):
        names = ("kind", "referral_id", "resident_id", "actor", "actor_role", "actor_org_id", "reason")
        document = dict(zip(names, row[3:10], strict=True))
        document["created_at"] = datetime.fromisoformat(row[10] + "+00:00")
        document["payload"] = json.loads(row[11])
        return AuditRecord(row[0], row[1], row[2], document)


class Exact:
    """`exact` for `fast_walk` as `referrals.audit` gives it, counting the rows sent the exact way."""

    def __init__(self):
        self.seqs: list[int] = []

    def __call__(self, row):
        self.seqs.append(row[0])
        return exact_record(row)


def both(rows, checkpoints=()):
    """(fast_walk's result, walk's result over the same rows made records the exact way, the seqs fast_walk
    sent the exact way)."""
    pinned = pin(checkpoints)
    exact = Exact()
    fast = ending(fast_walk(rows, 0, GENESIS, pinned, exact), pinned)
    slow = ending(walk([exact_record(row) for row in rows], 0, GENESIS, pinned), pinned)
    return fast, slow, exact.seqs


PLAIN = [
    {"from": "triaged", "to": "offered", "org_id": 1, "volunteer_id": None, "tier": "statutory"},
    {"channel": "phone", "given_needs": [], "consent_to_share": True, "n": -922337203685477580},
    {"decision": {"needs": ["befriending", "dog_walking"], "reasons": [{"rule": "a.b"}]}, "x": "v1.2"},
    {"expires_at": "2025-12-11 08:45:35.751321+00:00", "é": "Zoë 😀 \u2028", "quote": 'say "hi" \\'},
    {},
]


def plain_chain(count=20):
    return [event(n, PLAIN[n % len(PLAIN)]) for n in range(1, count + 1)]


@pytest.mark.parametrize(
    "texts",
    [
        json.dumps,  # as the ORM writes it: spaces, non-ASCII escaped, keys in the order given
        lambda p: json.dumps(p, sort_keys=True, separators=(",", ":"), ensure_ascii=False),  # canonical
        lambda p: json.dumps(p, indent=2),
    ],
    ids=["orm", "canonical", "indented"],
)
def test_a_sound_chain_verifies_without_the_exact_way(texts):
    rows = stored(plain_chain(), texts)
    fast, slow, exact = both(rows)
    assert fast == slow == verify(rows_as_events(plain_chain()))
    assert fast.ok
    assert fast.count == 20
    assert exact == []


def rows_as_events(events):
    from referrals.audit_chain import build_chain

    return list(build_chain(events))


@pytest.mark.parametrize(
    ("payload", "goes_exact"),
    [
        ({"distance_km": 1.5, "score": 0.9}, False),
        ({"scores": [0.25, 1e-7], "n": 1}, False),
        ({"whole": 5.0}, False),
        ({"nested": {"deep": [{"f": -0.0}]}}, False),
        ({"big": 123456789012345678901234567890}, True),
        ({"u64": 18446744073709551615}, False),  # within 64 bits: orjson reads it exactly
        ({"beyond": -9223372036854775809}, True),
        ({"i64": -9223372036854775808, "f": 1.5}, True),
    ],
    ids=[
        "floats",
        "floats in a list",
        "whole float",
        "nested negative zero",
        "long integer",
        "u64",
        "below i64",
        "i64 and a float",
    ],
)
def test_floats_verify_in_the_fast_walk_and_integers_beyond_64_bits_the_exact_way(payload, goes_exact):
    events = plain_chain(6)
    events[2] = event(3, payload)
    fast, slow, exact = both(stored(events))
    assert fast == slow
    assert fast.ok
    assert fast.count == 6
    assert exact == ([3] if goes_exact else [])


@pytest.mark.parametrize(
    ("moment", "goes_exact"),
    [
        (AT.replace(microsecond=0), False),  # no fraction: ".000000"
        (AT.replace(microsecond=120000), False),  # "…00.12": padded
        (AT.replace(microsecond=1), False),
        (datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC), True),  # a year of three digits
        (datetime(1000, 1, 1, tzinfo=UTC), False),
        (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), False),
    ],
)
def test_created_at_is_written_as_canonical_json_writes_it(moment, goes_exact):
    events = plain_chain(4)
    events[1] = {**events[1], "created_at": moment}
    fast, slow, exact = both(stored(events))
    assert fast == slow
    assert fast.ok
    assert exact == ([2] if goes_exact else [])


def rehashed(rows, i, **changes):
    """Row `i` (0-based) changed and its hash made again over the bytes the fast walk would hash for it,
    verbatim (someone who rewrites a hash over text that is not canonical), and the rest left as they were."""
    names = ("kind", "referral_id", "resident_id", "actor", "actor_role", "actor_org_id", "reason")
    row = list(rows[i])
    positions = {"created": 10, "payload": 11, **{name: 3 + k for k, name in enumerate(names)}}
    for name, value in changes.items():
        row[positions[name]] = value
    document = dict(zip(names, row[3:10], strict=True))
    day, time = row[10].split(" ")
    whole, _, fraction = time.partition(".")
    document["created_at"] = f"{day}T{whole}.{fraction.ljust(6, '0')}Z"
    document["payload"] = "@payload@"
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    verbatim = text.replace('"@payload@"', row[11])  # the payload as stored, not made canonical
    row[2] = hashlib.sha256(f"{row[1]}\n{row[0]}\n{verbatim}".encode()).hexdigest()
    return [*rows[:i], tuple(row), *rows[i + 1 :]]


def tampered():
    """Rows of a chain of 20 with something wrong, as someone with database access could leave them."""
    base = stored(plain_chain())
    yield "sound", base
    for at in (1, 5, 6, 20):
        i = at - 1
        row = base[i]
        yield f"reason edited at {at}", [*base[:i], (*row[:9], "nothing to see", *row[10:]), *base[i + 1 :]]
        yield f"payload edited at {at}", [*base[:i], (*row[:11], '{"to": "closed"}'), *base[i + 1 :]]
        moved = (*row[:10], "2020-01-01 00:00:00", row[11])
        yield f"created_at edited at {at}", [*base[:i], moved, *base[i + 1 :]]
        yield f"deleted {at}", [*base[:i], *base[i + 1 :]]
        yield f"hash changed at {at}", [*base[:i], (*row[:2], "0" * 64, *row[3:]), *base[i + 1 :]]
        yield f"prev_hash changed at {at}", [*base[:i], (row[0], "1" * 64, *row[2:]), *base[i + 1 :]]
        # Rehashed over text that is not canonical: the exact way finds the hash does not match the event.
        yield f"unsorted payload rehashed at {at}", rehashed(base, i, payload='{"b":1,"a":2}')
        yield f"spaced payload rehashed at {at}", rehashed(base, i, payload='{"a": 2}')
        yield f"float payload rehashed at {at}", rehashed(base, i, payload='{"a":1.5}')
        yield f"repeated key rehashed at {at}", rehashed(base, i, payload='{"a":1,"a":2}')
        yield f"escaped payload rehashed at {at}", rehashed(base, i, payload='{"a":"\\u00e9"}')
        yield f"list payload rehashed at {at}", rehashed(base, i, payload="[1]")
        yield f"three-digit year rehashed at {at}", rehashed(base, i, created="0999-01-01 00:00:00.5")
    yield "cut short", base[:13]
    yield "seq 0 in front", [(0, *base[0][1:]), *base]
    yield "swapped 6 and 7", [*base[:5], (6, *base[6][1:]), (7, *base[5][1:]), *base[7:]]
    made_up = (4, base[2][2], "f" * 64, *base[3][3:])
    yield "inserted at 4", [*base[:3], made_up, *((r[0] + 1, *r[1:]) for r in base[3:])]


@pytest.mark.parametrize(("name", "rows"), list(tampered()), ids=[name for name, _ in tampered()])
def test_fast_walk_finds_what_walk_finds(name, rows):
    base = stored(plain_chain())
    checkpoints = [Checkpoint(15, base[14][2], AT), Checkpoint(20, base[19][2], AT)]
    fast, slow, _ = both(rows)
    assert fast == slow
    # Without checkpoints only these pass: the end cut off, and the last row rewritten as canonical JSON
    # (a list payload's text "[1]" is that JSON's own).
    assert fast.ok == (name in ("sound", "cut short", "deleted 20", "list payload rehashed at 20"))
    fast, slow, _ = both(rows, checkpoints)
    assert fast == slow
    assert fast.ok == (name == "sound")


def test_a_payload_rehashed_over_text_that_is_not_canonical_is_found_at_its_row():
    rows = rehashed(stored(plain_chain()), 4, payload='{"b":1,"a":2}')
    fast, slow, exact = both(rows)
    assert fast == slow
    assert (fast.ok, fast.first_bad_seq) == (False, 5)
    assert "hash does not match the event" in fast.problem
    assert exact == [5]


def test_rows_at_checkpoints_are_checked_against_them():
    rows = stored(plain_chain())
    good = Checkpoint(10, rows[9][2], AT)
    bad = Checkpoint(12, "e" * 64, AT)
    fast, slow, exact = both(rows, [good, bad])
    assert fast == slow
    assert (fast.ok, fast.first_bad_seq) == (False, 12)
    assert "signed checkpoint" in fast.problem
    assert exact == [10, 12]


def test_stretches_start_where_verify_stretch_starts():
    rows = stored(plain_chain(8))
    records = [stored_record(row) for row in rows]
    for first, part in ((None, rows), (4, rows[3:])):
        fast = fast_verify_stretch(part, first, {}, stored_record)
        slow = verify_stretch([stored_record(row) for row in part], first, {})
        assert fast == slow
    assert fast_verify_stretch([], 3, {}, stored_record) == verify_stretch([], 3, {})
    assert records[3].prev_hash == rows[2][2]


TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\u2028", "😀", "é", ".", "1", "e", ":", ","]),
    ),
    max_size=10,
)
VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    payloads=st.lists(st.dictionaries(TEXT, VALUES, max_size=4), min_size=1, max_size=4),
    reason=TEXT,
    spaced=st.booleans(),
)
def test_fast_walk_verifies_any_payload_as_walk_does(payloads, reason, spaced):
    events = [event(n, payload, reason=reason) for n, payload in enumerate(payloads, start=1)]
    texts = json.dumps if spaced else (lambda p: json.dumps(p, separators=(",", ":"), ensure_ascii=False))
    rows = stored(events, texts)
    fast, slow, _ = both(rows)
    assert fast == slow
    assert fast.ok, fast.problem


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(TEXT, VALUES, max_size=4), style=st.sampled_from(["spaced", "compact", "sorted"])
)
def test_a_hash_made_over_stored_text_verbatim_is_judged_as_walk_judges_it(payload, style):
    """Someone rewrites a row's hash over the document with its payload text as stored: the fast walk must
    not take bytes for canonical that the exact way would not write (floats, long integers, unsorted keys,
    escapes, spaces), so both pass it only when the text is canonical JSON's own."""
    texts = {
        "spaced": json.dumps,
        "compact": lambda p: json.dumps(p, separators=(",", ":"), ensure_ascii=False),
        "sorted": lambda p: json.dumps(p, separators=(",", ":"), ensure_ascii=False, sort_keys=True),
    }[style]
    rows = rehashed(stored([event(1, payload), event(2, {"n": 2})], texts), 0)
    fast, slow, _ = both(rows)
    assert fast == slow
