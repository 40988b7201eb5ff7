"""Fresh demo tokens for each role, so a newcomer can try every route. Previous demo tokens are revoked."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken
from accounts.tokens import create_token
from db.base import utcnow
from directory.models import Organisation

DEMO_PREFIX = "demo "


def issue_demo_tokens(session: Session) -> list[tuple[str, str]]:
    now = utcnow()
    for token in session.scalars(select(ApiToken).where(ApiToken.name.startswith(DEMO_PREFIX))):
        if token.revoked_at is None:
            token.revoked_at = now
    session.commit()
    sutton_net = _first(session, "safety_net")
    sutton_hub = _first(session, "hub")
    wanted = [
        ("helpline_staff", None, "helpline staff"),
        (
            "hub_coordinator",
            sutton_hub and sutton_hub.id,
            f"hub coordinator, {getattr(sutton_hub, 'name', '')}",
        ),
        ("safety_net_officer", sutton_net and sutton_net.id, "safety-net officer, Sutton"),
        ("partner_referrer", None, "partner referrer (GP social prescriber)"),
        ("admin", None, "admin"),
    ]
    issued = []
    for role, org_id, label in wanted:
        if role == "hub_coordinator" and org_id is None:
            continue
        _token, plaintext = create_token(session, role=role, org_id=org_id, name=DEMO_PREFIX + label, now=now)
        issued.append((label, plaintext))
    return issued


def _first(session: Session, kind: str) -> Organisation | None:
    query = select(Organisation).where(Organisation.area == "sutton", Organisation.kind == kind)
    return session.scalar(query.order_by(Organisation.id))
