"""The directory over HTTP: who may read it, what each organisation shows, and its response statistics."""

import pytest

from tests.api.http import act, log
from tests.builders import organisation

LIST = "/api/v1/organisations"


@pytest.fixture
def admin(headers_for):
    return headers_for("admin")


def by_name(body: list[dict]) -> dict[str, dict]:
    return {org["name"]: org for org in body}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("helpline_staff", 200),
        ("safety_net_officer", 200),
        ("partner_referrer", 403),
    ],
)
def test_who_may_read_the_directory(client, headers_for, directory, role, status):
    headers = headers_for(role)
    assert client.get(LIST, headers=headers).status_code == status
    assert client.get(f"{LIST}/{directory['hub']}", headers=headers).status_code == status


def test_coordinators_and_strangers_may_not(client, headers_for, directory):
    assert client.get(LIST, headers=headers_for("hub_coordinator", directory["hub"])).status_code == 403
    assert client.get(LIST).status_code == 401


def test_each_organisation_with_its_coverage_and_no_history_yet(client, admin, directory):
    body = client.get(LIST, headers=admin).get_json()

    assert len(body) == 6
    mutual_aid = by_name(body)["SM1 Mutual Aid"]
    assert mutual_aid == {
        "id": directory["mutual_aid"],
        "name": "SM1 Mutual Aid",
        "kind": "mutual_aid",
        "area": "sutton",
        "services": ["shopping", "prescriptions", "befriending", "dog_walking", "errands"],
        "coverage": {"outcodes": ["SM1"], "base_postcode": None, "radius_km": None, "area_wide": False},
        "capacity": 10,
        "open_accepted": 0,
        "mutual_aid_mode": "integrated",
        "public_contact": "",
        "active": True,
        "response": {
            "usually": None,
            "accepts_within_hours": None,
            "acceptance_rate": None,
            "offers": 0,
            "accepted": 0,
            "declined": 0,
            "expired": 0,
            "withdrawn": 0,
            "pending": 0,
        },
    }
    assert "contact_phone" not in mutual_aid


def test_response_statistics_follow_what_the_hub_did(client, admin, helpline, headers_for, directory):
    hub = headers_for("hub_coordinator", directory["hub"])
    first = log(client, helpline)
    second = log(client, helpline, resident={"name": "Second Resident", "phone": "07700 900456"})
    log(client, helpline, resident={"name": "Third Resident", "phone": "07700 900789"})
    act(client, hub, first["id"], "accept")
    act(client, hub, second["id"], "decline", reason="no volunteers this week")

    listed = by_name(client.get(LIST, headers=admin).get_json())["Sutton Central Hub"]
    one = client.get(f"{LIST}/{directory['hub']}", headers=admin).get_json()

    assert listed == one
    assert one["open_accepted"] == 1
    stats = one["response"]
    assert {k: stats[k] for k in ("offers", "accepted", "declined", "expired", "withdrawn", "pending")} == {
        "offers": 3,
        "accepted": 1,
        "declined": 1,
        "expired": 0,
        "withdrawn": 0,
        "pending": 1,
    }
    assert stats["acceptance_rate"] == 0.5
    assert stats["accepts_within_hours"] == 0.0
    assert stats["usually"] == "usually accepts within 1 minute"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"area": "coventry"}, {"Coventry Council safety net"}),
        ({"kind": "vcs"}, {"Sutton Food Bank"}),
        ({"service": "food"}, {"Sutton Central Hub", "Sutton Food Bank"}),
        ({"area": "sutton", "service": "dog_walking"}, {"SM1 Mutual Aid"}),
        ({"active": "false"}, {"Closed Hub"}),
    ],
)
def test_filters(client, admin, session_factory, query, names):
    organisation(session_factory, name="Closed Hub", active=False)

    body = client.get(LIST, headers=admin, query_string=query).get_json()

    assert {org["name"] for org in body} == names


def test_an_organisation_without_districts_or_radius_covers_its_whole_area(client, admin, session_factory):
    org_id = organisation(session_factory, name="Age UK Sutton", kind="vcs", coverage_outcodes=[])

    body = client.get(f"{LIST}/{org_id}", headers=admin).get_json()

    assert body["coverage"] == {"outcodes": [], "base_postcode": None, "radius_km": None, "area_wide": True}


def test_unknown_organisations_and_bad_filters(client, admin):
    missing = client.get(f"{LIST}/99999", headers=admin)
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    bad = client.get(LIST, headers=admin, query_string={"kind": "church"})
    assert bad.status_code == 422
    assert "kind" in bad.get_json()["errors"]
