"""Ed25519-signed audit checkpoints: anyone with the public key can check them, nobody without the private key
can make one, and what a set of checkpoints covers is said in words."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from referrals.audit_chain import Checkpoint, VerifyResult, build_chain, verify
from referrals.audit_checkpoints import (
    CheckpointKeyError,
    InvalidCheckpoint,
    Schedule,
    coverage,
    generate_private_key_pem,
    key_id,
    load_private_key,
    parse_public_key,
    public_key_text,
    read_checkpoints,
    sign_checkpoint,
    verify_checkpoint,
)

AT = datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
HEAD = "a" * 64


def test_a_checkpoint_is_one_signed_json_line_that_the_public_key_verifies():
    line = sign_checkpoint(KEY, 6, HEAD, AT)
    document = json.loads(line)
    assert "\n" not in line
    assert {k: v for k, v in document.items() if k != "sig"} == {
        "type": "oneroute-audit-checkpoint",
        "v": 1,
        "seq": 6,
        "head": HEAD,
        "at": "2026-12-07T10:00:00.123456Z",
        "key": key_id(PUBLIC),
    }
    assert verify_checkpoint(line, PUBLIC) == Checkpoint(6, HEAD, AT)


def test_the_time_is_kept_in_utc():
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    assert verify_checkpoint(sign_checkpoint(KEY, 0, HEAD, local), PUBLIC).at == AT


def _edit(line: str, **changes) -> str:
    return json.dumps({**json.loads(line), **changes})


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (lambda line: _edit(line, seq=7), "signature does not verify"),
        (lambda line: _edit(line, head="b" * 64), "signature does not verify"),
        (lambda line: _edit(line, at="2026-12-08T10:00:00.123456Z"), "signature does not verify"),
        (lambda line: _edit(line, sig=base64.b64encode(b"x" * 64).decode()), "signature does not verify"),
        (lambda line: _edit(line, sig="not base64!"), "signature does not verify"),
        (lambda line: _edit(line, head="B" * 64), "64 lowercase hex"),
        (lambda line: _edit(line, seq=-1), "non-negative"),
        (lambda line: _edit(line, seq=True), "non-negative"),
        (lambda line: _edit(line, v=2), "version 1"),
        (lambda line: _edit(line, extra=1), "version 1"),
        (lambda line: _edit(line, type="something else"), "not a oneroute-audit-checkpoint"),
        (lambda line: _edit(line, key="0" * 16), "signed with another key"),
        (lambda line: line[:-2], "not JSON"),
        (lambda line: "[1, 2]", "not a oneroute-audit-checkpoint"),
    ],
)
def test_forged_or_malformed_checkpoints_are_rejected(forge, message):
    with pytest.raises(InvalidCheckpoint, match=message):
        verify_checkpoint(forge(sign_checkpoint(KEY, 6, HEAD, AT)), PUBLIC)


def test_a_checkpoint_made_with_another_key_is_rejected_even_claiming_ours():
    other = Ed25519PrivateKey.generate()
    line = sign_checkpoint(other, 6, HEAD, AT)
    with pytest.raises(InvalidCheckpoint, match="signed with another key"):
        verify_checkpoint(line, PUBLIC)
    with pytest.raises(InvalidCheckpoint, match="signature does not verify"):
        verify_checkpoint(_edit(line, key=key_id(PUBLIC)), PUBLIC)


@pytest.mark.parametrize(
    ("seq", "head", "at", "message"),
    [
        (-1, HEAD, AT, "non-negative"),
        (6, "not-hex", AT, "64 lowercase hex"),
        (6, HEAD, AT.replace(tzinfo=None), "timezone-aware"),
    ],
)
def test_signing_rejects_bad_input(seq, head, at, message):
    with pytest.raises(ValueError, match=message):
        sign_checkpoint(KEY, seq, head, at)


def test_a_file_of_checkpoints_is_read_and_a_bad_line_named():
    lines = [sign_checkpoint(KEY, n, HEAD, AT) + "\n" for n in (1, 2)]
    assert [c.count for c in read_checkpoints([lines[0], "\n", lines[1]], PUBLIC)] == [1, 2]
    with pytest.raises(InvalidCheckpoint, match="line 3: signature does not verify"):
        read_checkpoints([*lines, _edit(lines[0], seq=9)], PUBLIC)


def test_keys_round_trip_through_their_texts(tmp_path):
    path = tmp_path / "audit.pem"
    path.write_bytes(generate_private_key_pem())
    private = load_private_key(path)
    printed = public_key_text(private)
    assert printed.startswith("ed25519:")
    assert key_id(parse_public_key(printed)) == key_id(private)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_id(parse_public_key(pem.decode())) == key_id(private)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ed25519:!!", "not an Ed25519 public key"),
        ("ed25519:" + base64.b64encode(b"x" * 5).decode(), "not an Ed25519"),
        ("rsa:abc", "is written ed25519"),
    ],
)
def test_bad_public_keys_are_refused(text, message):
    with pytest.raises(CheckpointKeyError, match=message):
        parse_public_key(text)


def test_bad_private_key_files_are_refused(tmp_path):
    with pytest.raises(CheckpointKeyError, match="cannot read"):
        load_private_key(tmp_path / "missing.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(CheckpointKeyError, match="not an unencrypted PEM private key"):
        load_private_key(garbage)


def test_coverage_says_what_is_not_yet_covered():
    records = list(build_chain({"n": n} for n in range(8)))
    result = verify(records)
    checkpoints = [
        Checkpoint(3, records[2].hash, AT),
        Checkpoint(6, records[5].hash, AT + timedelta(hours=1)),
    ]
    assert list(coverage(result, checkpoints)) == [
        "covered by 2 signed checkpoint(s) up to seq 6 (the last of 2026-12-07T11:00:00.123456Z)",
        "events 7 to 8 are after the last checkpoint: not yet covered (a forged or altered event there would "
        "not show until a later checkpoint)",
    ]
    assert len(list(coverage(VerifyResult(True, 6, records[5].hash), checkpoints))) == 1
    assert "no checkpoints" in next(coverage(result, []))


def test_the_schedule_writes_at_once_then_every_interval_and_retries_a_failure_sooner():
    schedule = Schedule(interval=3600, retry_after=60)
    assert schedule.due(0.0)
    schedule.done(0.0, ok=True)
    assert not schedule.due(3599.0)
    assert schedule.due(3600.0)
    schedule.done(3600.0, ok=False)
    assert not schedule.due(3659.0)
    assert schedule.due(3660.0)
