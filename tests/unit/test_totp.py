"""The second factor's pure parts: TOTP codes (each good once, a step of clock drift allowed), recovery codes,
and sealing a person's secrets."""

from datetime import UTC, datetime, timedelta

import pyotp

from accounts import totp
from accounts.sealing import seal, unseal

NOW = datetime(2026, 12, 7, 12, 0, 0, tzinfo=UTC)


def test_a_code_from_the_app_matches_its_step_once():
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    step = totp.matching_step(secret, code, NOW, None)
    assert step == pyotp.TOTP(secret).timecode(NOW)
    assert totp.matching_step(secret, code, NOW, last_step=step) is None


def test_a_phone_a_step_out_still_works_but_not_two():
    secret = pyotp.random_base32()
    app = pyotp.TOTP(secret)
    assert totp.matching_step(secret, app.at(NOW - timedelta(seconds=30)), NOW, None) is not None
    assert totp.matching_step(secret, app.at(NOW + timedelta(seconds=30)), NOW, None) is not None
    assert totp.matching_step(secret, app.at(NOW - timedelta(seconds=90)), NOW, None) is None


def test_spaces_are_forgiven_and_anything_else_refused():
    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).at(NOW)
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", NOW, None) is not None
    assert totp.matching_step(secret, "12345", NOW, None) is None
    assert totp.matching_step(secret, "abcdef", NOW, None) is None


def test_recovery_codes_are_many_different_and_read_the_same_however_typed():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODES
    assert all(totp.looks_like_recovery_code(code) for code in codes)
    assert totp.recovery_hash(codes[0]) == totp.recovery_hash(codes[0].upper().replace("-", " "))


def test_the_enrolment_uri_names_the_service_and_the_person():
    enrolment = totp.new_enrolment("ada@council.example", "One Route In")
    assert enrolment.uri.startswith("otpauth://totp/One%20Route%20In:ada%40council.example?secret=")


def test_a_sealed_secret_reads_back_only_with_its_key_purpose_and_person():
    sealed = seal("key-1" * 8, "totp", 7, "JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert unseal("key-1" * 8, "totp", 7, sealed) == "JBSWY3DPEHPK3PXP"
    assert unseal("key-2" * 8, "totp", 7, sealed) is None
    assert unseal("key-1" * 8, "oidc-refresh", 7, sealed) is None
    assert unseal("key-1" * 8, "totp", 8, sealed) is None
    assert unseal("key-1" * 8, "totp", 7, None) is None
