"""Whose figures a caller may see: a safety-net officer bound to a council team sees that council's area
(as on the safety-net dashboard); admins and unbound officers choose any area, or all of them."""

from accounts.tokens import Principal
from referrals import access
from referrals.errors import Forbidden


def report_area(principal: Principal, requested: str | None) -> str | None:
    own = access.area_scope(principal)
    if own is None:
        return requested
    if requested not in (None, own):
        raise Forbidden(f"a safety-net officer of {own} sees reports for {own} only")
    return own
