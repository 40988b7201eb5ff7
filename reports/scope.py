"""Whose figures a caller may see: a safety-net officer bound to a council team sees that council's area
(as on the safety-net dashboard); admins and unbound officers choose any area, or all of them."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from directory.models import Organisation
from referrals.errors import Forbidden


def report_area(session: Session, principal: Principal, requested: str | None) -> str | None:
    if principal.role != "safety_net_officer" or principal.org_id is None:
        return requested
    own = session.scalar(select(Organisation.area).where(Organisation.id == principal.org_id))
    if requested not in (None, own):
        raise Forbidden(f"a safety-net officer of {own} sees reports for {own} only")
    return own
