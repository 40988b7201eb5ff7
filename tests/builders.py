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
        # Tests log this caller many times as separate cases; a repeat caller is tested with new_person unset.
        "new_person": True,
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


ALL_DAYS = {
    day: ["morning", "afternoon", "evening"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
}


def volunteer(session_factory, **fields) -> int:
    from directory.models import Volunteer

    values = {
        "name": "Test Volunteer",
        "phone": "+447700900501",
        "postcode": "SM1 1AA",
        "lat": 51.3597,
        "lon": -0.1931,
        "skills": ["shopping", "prescriptions", "befriending", "dog_walking", "errands"],
        "availability": ALL_DAYS,
        "travel_radius_km": 5.0,
    }
    values.update(fields)
    with session_factory() as session:
        row = Volunteer(**values)
        session.add(row)
        session.commit()
        return row.id


def small_directory(session_factory) -> dict[str, int]:
    """A safety-net team per area; in Sutton a hub, a food bank and a mutual-aid group with a volunteer."""
    ids = {}
    for area, outcodes in (("sutton", ["SM1", "SM2"]), ("coventry", ["CV1"]), ("buckinghamshire", ["HP19"])):
        ids[f"{area}_safety_net"] = organisation(
            session_factory,
            name=f"{area.title()} Council safety net",
            kind="safety_net",
            area=area,
            services=[],
            coverage_outcodes=outcodes,
            capacity=1000,
            opening_hours=None,
        )
    ids["hub"] = organisation(
        session_factory,
        name="Sutton Central Hub",
        services=["shopping", "prescriptions", "befriending", "food"],
        coverage_outcodes=["SM1", "SM2"],
    )
    ids["food_bank"] = organisation(
        session_factory,
        name="Sutton Food Bank",
        kind="vcs",
        services=["food", "financial"],
        coverage_outcodes=["SM1", "SM2"],
    )
    ids["mutual_aid"] = organisation(
        session_factory,
        name="SM1 Mutual Aid",
        kind="mutual_aid",
        mutual_aid_mode="integrated",
        services=["shopping", "prescriptions", "befriending", "dog_walking", "errands"],
        coverage_outcodes=["SM1"],
        contact_phone="+447700900600",
    )
    ids["volunteer"] = volunteer(session_factory, org_id=ids["mutual_aid"])
    return ids


# People the search tests find (API, pages and browser alike).
MARGARET = {
    "name": "Margaret Smith",
    "phone": "07700 900123",
    "postcode": "SM1 1AA",
    "address": "1 Example Road, Sutton",
    "date_of_birth": "1948-03-27",
}
MARY = {"name": "Mary Smyth", "phone": "07700 900456", "postcode": "SM2 5AA", "address": "9 Other Street"}
ALBERT = {"name": "Albert Jones", "phone": "07700 900789", "postcode": "CV1 1AH", "address": "3 Hill Street"}
