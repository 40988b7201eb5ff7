"""A second factor for password sign-ins: TOTP (RFC 6238, pyotp) and one-use recovery codes.

Pure: no database, no Flask. `accounts/second_factor.py` keeps the secret sealed and the codes hashed."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 16  # ~78 bits: hashing with SHA-256 is enough, nobody can guess one
VALID_WINDOW = 1  # the step before and after too: a phone's clock a little off still works
CODE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def new_enrolment(account_name: str, issuer: str) -> Enrolment:
    secret = pyotp.random_base32()
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer))


def uri_for(secret: str, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to if it is right for `now` (one step either side) and newer than the
    last code accepted, else None: a code seen once is never good again."""
    code = normalise_code(code)
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    return codes


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_code(code)) == RECOVERY_LENGTH
