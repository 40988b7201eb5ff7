import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import pytest

from referrals.audit_chain import (
    GENESIS,
    AuditRecord,
    Checkpoint,
    append_record,
    build_chain,
    canonical_hash,
    canonical_json,
    chain_hash,
    stored_canonical_json,
    verify,
)

AT = datetime(2024, 3, 4, 18, 30, 0, 123456, tzinfo=UTC)


class Colour(StrEnum):
    RED = "red"


def events(count=6):
    return [
        {"kind": "referral.received", "referral_id": n, "at": AT + timedelta(minutes=n), "payload": {"n": n}}
        for n in range(1, count + 1)
    ]


def chain(count=6):
    return list(build_chain(events(count)))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"b": 1, "a": {"d": [1, 2], "c": None}}, b'{"a":{"c":null,"d":[1,2]},"b":1}'),
        ({"name": "Zoë"}, '{"name":"Zoë"}'.encode()),
        ({"ok": True, "n": -3}, b'{"n":-3,"ok":true}'),
        (
            {"t": datetime(2024, 3, 4, 19, 30, tzinfo=timezone(timedelta(hours=1)))},
            b'{"t":"2024-03-04T18:30:00.000000Z"}',
        ),
        ({"d": date(1950, 2, 1)}, b'{"d":"1950-02-01"}'),
        ({"amount": Decimal("12.50")}, b'{"amount":"12.5"}'),
        ({"amount": Decimal("1E+2")}, b'{"amount":"100"}'),
        ({"amount": Decimal("-0.00")}, b'{"amount":"0"}'),
        ({"amount": 12.5}, b'{"amount":"12.5"}'),
        ({"amount": 5.0}, b'{"amount":"5"}'),
        ({"id": UUID(int=255)}, b'{"id":"00000000-0000-0000-0000-0000000000ff"}'),
        ({"colour": Colour.RED, "pair": ("a", 1)}, b'{"colour":"red","pair":["a",1]}'),
    ],
)
def test_canonical_json(payload, expected):
    assert canonical_json(payload) == expected


def test_canonical_json_does_not_depend_on_key_order():
    assert canonical_json({"a": 1, "b": {"x": 1, "y": 2}}) == canonical_json({"b": {"y": 2, "x": 1}, "a": 1})


def test_float_and_its_decimal_hash_alike():
    assert canonical_json({"lat": 53.8008}) == canonical_json({"lat": Decimal("53.8008")})


@pytest.mark.parametrize(
    ("payload", "error", "message"),
    [
        ({"t": datetime(2024, 3, 4, 18, 30)}, ValueError, "timezone-aware"),
        ({"x": float("nan")}, ValueError, "non-finite"),
        ({"x": float("inf")}, ValueError, "non-finite"),
        ({"x": Decimal("NaN")}, ValueError, "non-finite"),
        ({1: "integer key"}, TypeError, "keys must be strings"),
        ({"x": {1, 2}}, TypeError, "cannot put set"),
        ({"x": b"bytes"}, TypeError, "cannot put bytes"),
        (["not", "a", "mapping"], TypeError, "must be a mapping"),
    ],
)
def test_canonical_json_rejects_ambiguous_values(payload, error, message):
    with pytest.raises(error, match=message):
        canonical_json(payload)


def test_chain_hash_covers_prev_hash_seq_and_event():
    expected = hashlib.sha256(b"0" * 64 + b"\n1\n" + b'{"a":1}').hexdigest()

    assert chain_hash(GENESIS, 1, {"a": 1}) == expected
    assert chain_hash(GENESIS, 2, {"a": 1}) != expected
    assert chain_hash("1" * 64, 1, {"a": 1}) != expected
    assert chain_hash(GENESIS, 1, {"a": 2}) != expected


@pytest.mark.parametrize(
    ("prev_hash", "seq", "message"),
    [
        ("abc", 1, "64 lowercase hex"),
        ("A" * 64, 1, "64 lowercase hex"),
        (GENESIS, 0, "positive integer"),
        (GENESIS, True, "positive integer"),
    ],
)
def test_chain_hash_rejects_bad_links(prev_hash, seq, message):
    with pytest.raises(ValueError, match=message):
        chain_hash(prev_hash, seq, {})


def test_append_record_links_to_the_previous_one():
    first = append_record(0, GENESIS, {"kind": "a"})
    second = append_record(first.seq, first.hash, {"kind": "b"})

    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == chain_hash(first.hash, 2, {"kind": "b"})


def test_clean_chain_verifies():
    records = chain()

    assert verify(records) == verify(iter(records))
    assert verify(records) == type(verify(records))(True, 6, records[-1].hash, None, None)


def test_empty_chain_verifies():
    assert verify([]) == type(verify([]))(True, 0, GENESIS, None, None)


def _edit(records):
    records[2] = replace(records[2], event={**records[2].event, "payload": {"n": 999}})
    return records


def _edit_and_rehash(records):
    event = {**records[2].event, "payload": {"n": 999}}
    records[2] = append_record(2, records[1].hash, event)
    return records


def _renumber(records, start):
    return records[:start] + [replace(record, seq=record.seq - 1) for record in records[start:]]


def _insert_forged(records):
    forged = append_record(2, records[1].hash, {"kind": "forged"})
    return [*records[:2], forged, *records[2:]]


def _insert_forged_and_renumber(records):
    forged = append_record(2, records[1].hash, {"kind": "forged"})
    return [*records[:2], forged, *(replace(record, seq=record.seq + 1) for record in records[2:])]


def _swap_rows(records):
    records[2], records[3] = records[3], records[2]
    return records


def _swap_events(records):
    third, fourth = records[2], records[3]
    records[2], records[3] = replace(third, event=fourth.event), replace(fourth, event=third.event)
    return records


def _delete_third(records):
    return records[:2] + records[3:]


def _delete_third_and_renumber(records):
    return _renumber(_delete_third(records), 2)


def _insert_made_up(records):
    return [*records[:2], AuditRecord(3, records[1].hash, "f" * 64, {}), *records[2:]]


def _replay_third(records):
    return [*records[:3], records[2], *records[3:]]


def _change_first_prev_hash(records):
    return [replace(records[0], prev_hash="1" * 64), *records[1:]]


def _uncanonicalisable_fifth(records):
    return [*records[:4], replace(records[4], event={"x": float("nan")}), records[5]]


@pytest.mark.parametrize(
    ("tamper", "first_bad", "problem"),
    [
        pytest.param(_edit, 3, "the record was edited", id="edited"),
        pytest.param(_edit_and_rehash, 4, "prev_hash does not match seq 3", id="edited-and-rehashed"),
        pytest.param(_delete_third, 3, "expected seq 3, found 4", id="deleted"),
        pytest.param(_delete_third_and_renumber, 3, "prev_hash", id="deleted-and-renumbered"),
        pytest.param(lambda records: records[1:], 1, "expected seq 1, found 2", id="deleted-first"),
        pytest.param(_insert_made_up, 3, "the record was edited", id="inserted-with-made-up-hash"),
        pytest.param(_insert_forged, 4, "expected seq 4, found 3", id="inserted-and-linked"),
        pytest.param(_insert_forged_and_renumber, 4, "prev_hash", id="inserted-linked-renumbered"),
        pytest.param(_swap_rows, 3, "expected seq 3, found 4", id="rows-reordered"),
        pytest.param(_swap_events, 3, "the record was edited", id="events-swapped"),
        pytest.param(_replay_third, 4, "expected seq 4, found 3", id="replayed"),
        pytest.param(_change_first_prev_hash, 1, "prev_hash", id="first-prev-hash"),
        pytest.param(_uncanonicalisable_fifth, 5, "cannot be canonicalised", id="uncanonicalisable"),
    ],
)
def test_tampering_is_reported_at_the_first_bad_record(tamper, first_bad, problem):
    tampered = tamper(chain())

    result = verify(tampered)

    assert not result.ok
    assert result.first_bad_seq == first_bad
    assert problem in result.problem
    assert result.count == first_bad - 1
    assert result.head_hash == (tampered[first_bad - 2].hash if first_bad > 1 else GENESIS)


def test_verify_stops_reading_at_the_first_bad_record():
    records = _edit(chain())

    def stream():
        yield from records[:3]
        raise AssertionError("verify read past the first bad record")

    assert verify(stream()).first_bad_seq == 3


def test_verify_streams_a_long_chain():
    result = verify(build_chain({"kind": "tick", "n": n} for n in range(5_000)))

    assert result.ok
    assert result.count == 5_000


def test_truncated_tail_is_caught_only_by_a_checkpoint():
    records = chain()
    checkpoint = Checkpoint(6, records[-1].hash, AT)

    assert verify(records[:4]).ok
    result = verify(records[:4], checkpoint=checkpoint)

    assert not result.ok
    assert result.first_bad_seq == 5
    assert "covers 6 records" in result.problem


def test_rewritten_chain_is_caught_only_by_a_checkpoint():
    records = chain()
    checkpoint = Checkpoint(6, records[-1].hash, AT)
    forged_events = [record.event for record in records]
    forged_events[1] = {**forged_events[1], "payload": {"n": 999}}
    rewritten = list(build_chain(forged_events))

    assert verify(rewritten).ok
    result = verify(rewritten, checkpoint=checkpoint)

    assert not result.ok
    assert result.first_bad_seq == 6
    assert "signed checkpoint" in result.problem


def test_chain_growing_past_a_checkpoint_still_verifies():
    records = chain()

    assert verify(records, checkpoint=Checkpoint(4, records[3].hash, AT)).ok


def test_every_checkpoint_is_checked_and_the_first_mismatch_reported():
    records = chain()
    forged_events = [record.event for record in records]
    forged_events[4] = {**forged_events[4], "payload": {"n": 999}}
    rewritten = list(build_chain(forged_events))
    checkpoints = [Checkpoint(2, records[1].hash, AT), Checkpoint(6, records[5].hash, AT)]

    assert verify(records, checkpoints=checkpoints).ok
    assert verify(rewritten, checkpoints=checkpoints[:1]).ok, "a rewrite after every checkpoint"
    result = verify(rewritten, checkpoints=checkpoints)
    assert (result.ok, result.first_bad_seq, result.count) == (False, 6, 5)


def test_a_chain_cut_short_of_any_checkpoint_fails():
    records = chain()
    checkpoints = [Checkpoint(3, records[2].hash, AT), Checkpoint(6, records[5].hash, AT)]
    result = verify(records[:5], checkpoints=checkpoints)
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "covers 6 records: events were cut from the end" in result.problem


def test_a_garbled_hash_is_reported_not_raised():
    records = chain()
    records[1] = replace(records[1], hash="é" * 64)

    result = verify(records)

    assert (result.ok, result.first_bad_seq) == (False, 2)


STORED_PAYLOADS = [
    {},
    {"n": 1, "ok": True, "nothing": None},
    {"score": 0.8903, "distance_km": 5.0, "tiny": 1e-7, "big": 1.5e300, "negative": -0.19, "zero": 0.0},
    {"nested": {"b": [1, 2.50, {"z": "é", "a": "\u2028 tab\t"}], "a": {}}, "quote": 'say "hi" \\ back'},
    {"huge": 123456789012345678901234567890, "list": [[], [1.0], ["x"]]},
]


@pytest.mark.parametrize("payload", STORED_PAYLOADS)
def test_stored_canonical_json_is_canonical_json_of_the_event_as_loaded(payload):
    """verify's fast reader (the payload's stored JSON text, numbers with a fraction turned into _plain's
    text as they are read) gives exactly the bytes canonical_json gives for the event as the ORM loads it."""
    for stored in (json.dumps(payload), json.dumps(payload, ensure_ascii=False, indent=1)):
        fields = {
            "kind": "referral.matched",
            "referral_id": 7,
            "resident_id": None,
            "actor": "Zoë",
            "actor_role": "helpline_staff",
            "actor_org_id": 3,
            "reason": "",
            "created_at": AT,
        }
        loaded = {**fields, "payload": json.loads(stored)}
        assert stored_canonical_json(fields, stored) == canonical_json(loaded)
        assert canonical_hash(GENESIS, 1, stored_canonical_json(fields, stored)) == chain_hash(
            GENESIS, 1, loaded
        )


def test_stored_canonical_json_refuses_what_canonical_json_refuses():
    fields = {"kind": "x", "created_at": AT.replace(tzinfo=None)}
    with pytest.raises(ValueError, match="timezone-aware"):
        stored_canonical_json(fields, "{}")
    with pytest.raises(TypeError, match="mapping"):
        stored_canonical_json({"kind": "x"}, "[1]")


def test_verify_hashes_a_records_canonical_json_when_it_has_it():
    records = chain(3)
    fast = [replace(r, canonical=canonical_json(r.event)) for r in records]
    assert verify(fast).ok
    edited = [
        *fast[:1],
        replace(fast[1], canonical=canonical_json({**fast[1].event, "payload": {"n": 99}})),
        fast[2],
    ]
    result = verify(edited)
    assert not result.ok
    assert result.first_bad_seq == 2
    assert "edited" in result.problem
