"""Reads, with the object-level rule of who may see which referral."""

from sqlalchemy.orm import Session

from accounts.tokens import Principal
from referrals.errors import NotFound
from referrals.models import Referral

SEES_ALL = frozenset({"helpline_staff", "safety_net_officer", "admin"})


def may_see(referral: Referral, principal: Principal) -> bool:
    if principal.role in SEES_ALL:
        return True
    if principal.role == "partner_referrer":
        return referral.created_by_token_id == principal.token_id or (
            principal.org_id is not None and referral.created_by_org_id == principal.org_id
        )
    if principal.role == "hub_coordinator":
        return principal.org_id is not None and referral.owner_org_id == principal.org_id
    return False


def get_referral_for(session: Session, referral_id: int, principal: Principal) -> Referral:
    """A referral the caller may see; otherwise 'not found', so ids of others' referrals leak nothing."""
    referral = session.get(Referral, referral_id)
    if referral is None or not may_see(referral, principal):
        raise NotFound(f"no referral with id {referral_id}")
    return referral
