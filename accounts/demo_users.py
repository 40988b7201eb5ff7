"""Demo people for the web pages, one per role, sharing one fresh random password per run."""

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.passwords import create_user, set_password
from directory.models import Organisation

DEMO_AREA = "sutton"


def issue_demo_users(session: Session) -> tuple[str, list[tuple[str, str]]]:
    """Create or refresh the demo users; returns the new password and (username, description) pairs."""
    password = secrets.token_urlsafe(12)
    hub = _first(session, "hub")
    safety_net = _first(session, "safety_net")
    wanted = [
        ("demo-helpline", "Helpline Demo", "helpline_staff", None, "helpline staff"),
        (
            "demo-safety-net",
            "Safety Net Demo",
            "safety_net_officer",
            safety_net,
            "safety-net officer, Sutton",
        ),
        ("demo-admin", "Admin Demo", "admin", None, "admin"),
    ]
    if hub is not None:
        wanted.insert(1, ("demo-hub", "Hub Demo", "hub_coordinator", hub, f"hub coordinator, {hub.name}"))
    issued = []
    for username, display_name, role, org, description in wanted:
        org_id = org.id if org is not None else None
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            create_user(
                session,
                username=username,
                display_name=display_name,
                password=password,
                role=role,
                org_id=org_id,
            )
        else:
            user.role, user.org_id, user.active = role, org_id, True
            set_password(session, user, password)
        issued.append((username, description))
    return password, issued


def _first(session: Session, kind: str) -> Organisation | None:
    query = select(Organisation).where(Organisation.area == DEMO_AREA, Organisation.kind == kind)
    return session.scalar(query.order_by(Organisation.id))
