"""Admins' changes to the directory from the browser: add, edit, deactivate and reactivate organisations and
volunteers. One call is one transaction: the change and its audit event commit together, and the commit
moves the directory version (`directory/version.py`), so every worker's matching index sees the change on
its next match.

The audit event names the record and the fields that changed. Values are kept only for fields that say
nothing about a person (skills, caps, services, coverage, capacity...): names, phones, emails, postcodes,
DBS details and an organisation's contact person are staff or volunteer personal data, so the trail says
that they changed, not what to. The record itself keeps its history in `updated_at` only.

This lives in `web/` because it records to the audit trail (`referrals.audit`), which `directory/` sits
below; it has no Flask in it."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from directory.models import Organisation, Volunteer
from referrals.audit import record
from referrals.lifecycle import OWNED_STATUSES
from referrals.models import Offer, Referral
from referrals.passing_on import stop_doing

PERSONAL = {
    "volunteer": frozenset(
        {"name", "phone", "email", "postcode", "lat", "lon", "dbs_level", "dbs_checked_on", "dbs_expires_on"}
    ),
    "organisation": frozenset({"contact_name", "contact_phone", "contact_email"}),
}
NOT_AUDITED = frozenset({"lat", "lon", "base_lat", "base_lon"})  # follow from a postcode


def add_organisation(session: Session, principal: Principal, fields: dict) -> Organisation:
    org = Organisation(**fields)
    session.add(org)
    session.flush()
    _record(session, principal, "organisation", org.id, "added", fields)
    session.commit()
    return org


def add_volunteer(session: Session, principal: Principal, fields: dict) -> Volunteer:
    volunteer = Volunteer(**fields)
    session.add(volunteer)
    session.flush()
    _record(session, principal, "volunteer", volunteer.id, "added", fields)
    session.commit()
    return volunteer


def change(session: Session, principal: Principal, row: Organisation | Volunteer, fields: dict) -> list[str]:
    """Bring the record to `fields`; the names of the fields that changed (none: nothing is written)."""
    changed = {name: value for name, value in fields.items() if getattr(row, name) != value}
    if not changed:
        return []
    for name, value in changed.items():
        setattr(row, name, value)
    kind = _kind(row)
    _record(session, principal, kind, row.id, "changed", changed)
    session.commit()
    return sorted(set(changed) - NOT_AUDITED)


def set_active(session: Session, principal: Principal, row: Organisation | Volunteer, active: bool) -> bool:
    """Deactivate or reactivate; False when it already was. Work an organisation holds is not taken back; work
    a deactivated volunteer or group was doing for the organisation holding it comes back to that holder."""
    if row.active == active:
        return False
    row.active = active
    kind = _kind(row)
    held, doing, pending = open_work_of(session, row)
    extra = {"open_referrals": held + doing, "pending_offers": pending}
    if not active:
        extra["work_came_back"] = came_back(session, principal, row)
    _record(session, principal, kind, row.id, "reactivated" if active else "deactivated", {}, extra=extra)
    session.commit()
    return True


def came_back(session: Session, principal: Principal, row: Organisation | Volunteer) -> int:
    """The work a deactivated volunteer or group was doing for a holder goes back to the holder."""
    if isinstance(row, Volunteer):
        return stop_doing(session, principal, volunteer_id=row.id)
    return stop_doing(session, principal, org_id=row.id)


def open_work_of(session: Session, row: Organisation | Volunteer) -> tuple[int, int, int]:
    """(referrals an organisation holds now, referrals the volunteer or group is doing for the organisation
    holding them after a pass-on or an accepted offer, offers to them awaiting an answer)."""
    if isinstance(row, Volunteer):
        holding = None
        doing = Referral.volunteer_id == row.id
        offered = Offer.volunteer_id == row.id
    else:
        holding = Referral.owner_org_id == row.id
        doing = Referral.assigned_org_id == row.id
        offered = (Offer.org_id == row.id) & Offer.volunteer_id.is_(None)
    open_referrals = select(func.count()).select_from(Referral).where(Referral.status.in_(OWNED_STATUSES))
    with session.no_autoflush:
        held = session.scalar(open_referrals.where(holding)) if holding is not None else 0
        done_for = session.scalar(open_referrals.where(doing))
        pending = session.scalar(
            select(func.count()).select_from(Offer).where(offered, Offer.status == "pending")
        )
    return int(held or 0), int(done_for or 0), int(pending or 0)


def _kind(row: Organisation | Volunteer) -> str:
    return "volunteer" if isinstance(row, Volunteer) else "organisation"


def _record(
    session: Session,
    principal: Principal,
    kind: str,
    entity_id: int,
    what: str,
    fields: dict,
    extra: dict | None = None,
) -> None:
    names = sorted(set(fields) - NOT_AUDITED)
    values = {name: _plain(fields[name]) for name in names if name not in PERSONAL[kind]}
    payload = {
        f"{kind}_id": entity_id,
        **({"fields": names, "values": values} if names else {}),
        **(extra or {}),
    }
    record(session, f"directory.{kind}_{what}", principal, payload=payload)


def _plain(value):
    """JSON for the audit payload: dates as ISO text."""
    return value.isoformat() if hasattr(value, "isoformat") else value
