"""`audit verify`'s fast canonical JSON (orjson) gives the very bytes of `canonical_json`, and stretches of
the chain verified apart and joined give what one walk gives."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import Enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referrals.audit_chain import (
    GENESIS,
    Checkpoint,
    build_chain,
    canonical_json,
    ending,
    fast_stored_canonical_json,
    join,
    pin,
    stored_canonical_json,
    verify,
    verify_stretch,
    walk,
)

AT = datetime(2026, 12, 7, 14, 30, 0, 123456, tzinfo=UTC)
FIELDS = {
    "kind": "referral.matched",
    "referral_id": 7,
    "resident_id": None,
    "actor": "Zoë",
    "actor_role": "helpline_staff",
    "actor_org_id": 3,
    "reason": "",
    "created_at": AT,
}

# Text of every kind: control characters, quotes and backslashes, U+2028, the BMP's last, astral planes.
TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(['"', "\\", "\x00", "\x1f", "\x7f", "\u2028", "\ufeff", "\uffff", "😀", "é", "/"]),
    ),
    max_size=12,
)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 5.0, -0.0, 1e-7, 1.5e300, 2**63, 2**64, -(2**63) - 1, 10**18, 10**19]),
)
PAYLOADS = st.dictionaries(
    TEXT,
    st.recursive(
        st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
        max_leaves=12,
    ),
    max_size=6,
)


def as_stored(payload: dict) -> list[str]:
    """The ways a payload's text may be stored: compact or spaced, non-ASCII escaped or not."""
    return [
        json.dumps(payload),
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        json.dumps(payload, ensure_ascii=False, indent=1),
    ]


def expected(fields: dict, stored: str) -> bytes:
    return canonical_json({**fields, "payload": json.loads(stored)})


@settings(max_examples=400, deadline=None)
@given(payload=PAYLOADS, fields=st.fixed_dictionaries({"actor": TEXT, "reason": TEXT, "kind": TEXT}))
def test_fast_canonical_json_is_canonical_json_byte_for_byte(payload, fields):
    for stored in as_stored(payload):
        document = {**FIELDS, **fields}
        assert fast_stored_canonical_json(document, stored) == expected(document, stored)
        assert fast_stored_canonical_json(document, stored) == stored_canonical_json(document, stored)


@pytest.mark.parametrize(
    "stored",
    [
        "{}",
        '{"to":"accepted","from":"offered","org_id":54}',
        '{"b": [1, 2, {"z": "é", "a": "\\u2028 tab\\t"}], "a": {}, "q": "say \\"hi\\" \\\\ back"}',
        '{"control": "\\u0000\\u001f\\u007f", "astral": "\\ud83d\\ude00", "ö": 1, "o": 2, "😀": 3}',
        '{"a": 1, "a": 2}',  # a key twice: the last wins, as json.loads has it
        '{"neg0": -0, "u64": 18446744073709551615, "i64": -9223372036854775808}',
        '{"big": 123456789012345678901234567890, "small": -123456789012345678901234567890}',
        '{"f": 0.1, "e": 1E5, "g": 2.50, "h": -0.0, "tiny": 1e-7}',
        '{"looks like a float": "v1.2", "and an exponent": "3e"}',
        '{"f": 0.1000000000000000055511151231257827, "g": 2.2250738585072011e-308, "h": 9007199254740993.0}',
        '{"f": 1.5, "long": 12345678901234567890123, "phone": "07700900123456789012"}',
        '{"deep": [{"x": [1.25, {"y": 1e22}]}], "n": 3}',
    ],
)
def test_fast_canonical_json_on_chosen_payloads(stored):
    assert fast_stored_canonical_json(FIELDS, stored) == expected(FIELDS, stored)


@pytest.mark.parametrize(
    "created_at",
    [
        AT,
        AT.replace(microsecond=0),  # isoformat would drop the fraction if asked for less
        AT.astimezone(timezone(timedelta(hours=-5))),  # another offset: the exact way
        AT.astimezone(timezone(timedelta(0), "GMT")),  # UTC under another name
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year of three digits: the exact way
    ],
)
def test_fast_canonical_json_writes_created_at_as_canonical_json_does(created_at):
    fields = {**FIELDS, "created_at": created_at}
    assert fast_stored_canonical_json(fields, '{"n": 1}') == expected(fields, '{"n": 1}')


def test_fast_canonical_json_refuses_what_canonical_json_refuses():
    with pytest.raises(ValueError, match="timezone-aware"):
        fast_stored_canonical_json({**FIELDS, "created_at": AT.replace(tzinfo=None)}, "{}")
    with pytest.raises(TypeError, match="mapping"):
        fast_stored_canonical_json(FIELDS, "[1]")
    with pytest.raises(UnicodeEncodeError, match="surrogate"):
        fast_stored_canonical_json(FIELDS, '{"lone": "\\ud800"}')  # cannot be written as UTF-8


# --- stretches verified apart and joined -----------------------------------------------------------------


def records(count=20):
    return list(
        build_chain(
            {
                "kind": "referral.received",
                "referral_id": n,
                "at": AT + timedelta(minutes=n),
                "payload": {"n": n},
            }
            for n in range(1, count + 1)
        )
    )


def joined(rows, cuts, checkpoints=()):
    """Verify `rows` in stretches of seq starting at each of `cuts` (the first from the start) and join them,
    walking on through the rows themselves where the stretches do not meet."""
    pinned = pin(checkpoints)
    starts = [None, *cuts]
    ends = [*(cut - 1 for cut in cuts), None]
    stretches = [
        verify_stretch(
            [r for r in rows if (a is None or r.seq >= a) and (b is None or r.seq <= b)], a, pinned
        )
        for a, b in zip(starts, ends, strict=True)
    ]

    def walk_on(count, head):
        return walk([r for r in rows if r.seq > count or count == 0], count, head, pinned)

    return ending(join(stretches, walk_on), pinned)


def tampered():
    """Chains of 20 with one thing wrong, anywhere, the stretches' boundaries included."""
    base = records()
    yield "sound", base
    for at in (1, 5, 6, 7, 10, 11, 20):
        i = at - 1
        yield f"edited {at}", [*base[:i], replace(base[i], event={"kind": "x"}), *base[i + 1 :]]
        yield f"deleted {at}", [*base[:i], *base[i + 1 :]]
        yield f"rehashed {at}", [*base[:i], replace(base[i], hash="0" * 64), *base[i + 1 :]]
        yield f"relinked {at}", [*base[:i], replace(base[i], prev_hash="1" * 64), *base[i + 1 :]]
    yield "cut short", base[:13]
    yield "seq 0 in front", [replace(base[0], seq=0), *base]
    yield "swapped 6 and 7", [*base[:5], replace(base[6], seq=6), replace(base[5], seq=7), *base[7:]]


@pytest.mark.parametrize("cuts", [[], [6], [6, 11], [2, 3, 4], [11, 21, 30]], ids=str)
@pytest.mark.parametrize(("name", "rows"), list(tampered()), ids=[name for name, _ in tampered()])
def test_stretches_joined_find_what_one_walk_finds(name, rows, cuts):
    base = records()
    checkpoints = [pin_at(base, 15)] if name != "cut short" else [pin_at(base, 15), pin_at(base, 20)]
    assert joined(rows, cuts) == verify(rows)
    assert joined(rows, cuts, checkpoints) == verify(rows, checkpoints=checkpoints)


def pin_at(base, seq):
    return Checkpoint(seq, base[seq - 1].hash, AT)


def test_the_first_stretch_starts_from_genesis():
    rows = records(4)
    assert verify_stretch(rows, None, {}).result == verify(rows)
    assert verify_stretch(rows[2:], 3, {}).entry_hash == rows[1].hash != GENESIS


def reference_canonical_json(payload) -> bytes:
    """Canonical JSON written the slow, obvious way (the standard encoder over the exact `_plain` rules),
    which `canonical_json` (orjson over a walk by exact type) must equal byte for byte."""
    from decimal import Decimal
    from enum import Enum
    from uuid import UUID

    def plain(value):
        if isinstance(value, Enum):
            return plain(value.value)
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            return plain(Decimal(repr(value)))
        if isinstance(value, Decimal):
            return "0" if value.is_zero() else format(value.normalize(), "f")
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return [plain(item) for item in value]

    return json.dumps(
        plain(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


class Colour(Enum):
    RED = "red"
    LARGE = 2**70


class Label(str):
    """A subclass of str, as a value and as a key."""


EXTRA = st.one_of(
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.sampled_from([Colour.RED, Colour.LARGE, Label("x"), "\ud800", (1, "two"), ()]),
)
RICH = st.dictionaries(
    st.one_of(TEXT, st.just(Label("k")), st.just("\udfff")),
    st.recursive(
        st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, EXTRA),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
        max_leaves=14,
    ),
    max_size=6,
)


@settings(max_examples=600, deadline=None)
@given(payload=RICH)
def test_canonical_json_is_the_standard_encoders_canonical_json(payload):
    try:
        wanted = reference_canonical_json(payload)
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: canonical_json refuses it likewise
        with pytest.raises(UnicodeEncodeError):
            canonical_json(payload)
        return
    assert canonical_json(payload) == wanted


def test_canonical_json_still_refuses_what_has_no_canonical_form():
    for bad in ({"a": {1, 2}}, {"a": b"x"}, {1: "x"}, {"a": float("nan")}, {"a": {2: 1}}, {"a": object()}):
        with pytest.raises((TypeError, ValueError)):
            canonical_json(bad)
