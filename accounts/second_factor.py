"""The second factor of a person who signs in with a password: enrolling an authenticator app (TOTP),
checking a code or a recovery code, and an admin's reset. Each change is handed to `audit` (kind, user,
payload) so that it is written in the same transaction; the secret is sealed (`accounts/sealing.py`),
recovery codes only hashed."""

from collections.abc import Callable, Iterable
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accounts import totp
from accounts.models import RecoveryCode, User
from accounts.sealing import seal, unseal
from db.base import utcnow

PURPOSE = "totp"
Audit = Callable[[str, User | None, dict], None]


class Checked(StrEnum):
    CODE = "code"
    RECOVERY_CODE = "recovery_code"
    WRONG = "wrong"


def required_roles(setting: str | Iterable[str]) -> frozenset[str]:
    if isinstance(setting, str):
        return frozenset(part.strip() for part in setting.split(",") if part.strip())
    return frozenset(setting)


def must_enrol(user: User, required: frozenset[str]) -> bool:
    """A password sign-in of one of these roles needs a second factor; single sign-on leaves it to the
    provider (its own multi-factor rules), so a person without a password is never asked."""
    return bool(user.password_hash) and user.role in required and not is_enrolled(user)


def is_enrolled(user: User) -> bool:
    return user.totp_secret_sealed is not None


def enrol(
    session: Session, user: User, secret: str, code: str, *, secret_key: str, audit: Audit, now=None
) -> list[str] | None:
    """Keep the secret if `code` shows the app has it; returns the new recovery codes (shown once), or None
    for a wrong code (nothing changes)."""
    now = now or utcnow()
    step = totp.matching_step(secret, code, now, None)
    if step is None:
        return None
    user.totp_secret_sealed = seal(secret_key, PURPOSE, user.id, secret)
    user.totp_last_step = step
    user.totp_enrolled_at = now
    codes = totp.new_recovery_codes()
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.recovery_hash(c)) for c in codes)
    audit("auth.second_factor_enrolled", user, {"user_id": user.id, "recovery_codes": len(codes)})
    session.commit()
    return codes


def check(session: Session, user: User, code: str, *, secret_key: str, audit: Audit, now=None) -> Checked:
    """A code from the app (each good once) or an unused recovery code (then used up). Audited either way."""
    now = now or utcnow()
    result = Checked.WRONG
    secret = unseal(secret_key, PURPOSE, user.id, user.totp_secret_sealed)
    if secret is not None:
        step = totp.matching_step(secret, code, now, user.totp_last_step)
        if step is not None:
            # Only one request may take this step: the update names the step it read.
            taken = session.execute(
                update(User)
                .where(User.id == user.id, _step_unchanged(user.totp_last_step))
                .values(totp_last_step=step)
            )
            if taken.rowcount == 1:
                result = Checked.CODE
    if result is Checked.WRONG and totp.looks_like_recovery_code(code):
        used = session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == totp.recovery_hash(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=now)
        )
        if used.rowcount == 1:
            result = Checked.RECOVERY_CODE
    if result is Checked.WRONG:
        audit("auth.second_factor_failed", user, {"user_id": user.id})
    elif result is Checked.RECOVERY_CODE:
        left = recovery_codes_left(session, user)
        audit("auth.recovery_code_used", user, {"user_id": user.id, "left": left})
    session.commit()
    session.refresh(user)
    return result


def _step_unchanged(last_step: int | None):
    return User.totp_last_step.is_(None) if last_step is None else User.totp_last_step == last_step


def recovery_codes_left(session: Session, user: User) -> int:
    query = select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return len(session.scalars(query).all())


def reset(session: Session, user: User, *, audit: Audit) -> None:
    """An admin's reset (a lost phone): the secret and recovery codes go, and every session of the user ends;
    the next password sign-in enrols again."""
    user.totp_secret_sealed = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    audit("auth.second_factor_reset", user, {"user_id": user.id})
    session.commit()


def unseal_pending(secret_key: str, user_id: int, sealed: str | None) -> str | None:
    return unseal(secret_key, "totp-pending", user_id, sealed)


def seal_pending(secret_key: str, user_id: int, secret: str) -> str:
    return seal(secret_key, "totp-pending", user_id, secret)
