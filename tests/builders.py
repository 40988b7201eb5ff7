"""Builders that make test data readable: a call as helpline staff would log it, tokens per role."""

from accounts.tokens import create_token


def call(**overrides) -> dict:
    body = {
        "channel": "phone",
        "resident": {
            "name": "Margaret Test",
            "phone": "07700 900123",
            "postcode": "SM1 1AA",
            "address": "1 Example Road, Sutton",
            "flags": {"lives_alone": True},
        },
        "notes": "Needs shopping picked up this week, lives alone.",
        "consent_to_share": True,
    }
    resident = overrides.pop("resident", None)
    if resident:
        body["resident"] = {**body["resident"], **resident}
    body.update(overrides)
    return body


def token_for(session_factory, role: str, org_id: int | None = None, name: str | None = None) -> str:
    with session_factory() as session:
        _token, plaintext = create_token(session, role=role, org_id=org_id, name=name or f"test {role}")
    return plaintext


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def organisation(session_factory, **fields) -> int:
    from directory.models import Organisation

    values = {
        "name": "Test Hub",
        "kind": "hub",
        "area": "sutton",
        "services": ["shopping", "prescriptions"],
        "coverage_outcodes": ["SM1"],
        "capacity": 10,
    }
    values.update(fields)
    with session_factory() as session:
        org = Organisation(**values)
        session.add(org)
        session.commit()
        return org.id
