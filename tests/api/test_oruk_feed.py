"""The public Open Referral UK feed (/oruk/...): HSDS 3.0 JSON that passes Open Referral's official schemas,
paged as the HSDS API describes, open without a token, rate-limited, and holding no personal data."""

import json
import uuid

import pytest

from api import create_app
from tests.builders import organisation, volunteer
from tests.hsds_schemas import errors

PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}
HUB = {
    "external_id": "csv:hub",
    "name": "Sutton Central Hub",
    "description": "Shopping, prescriptions and a friendly call",
    "services": ["shopping", "prescriptions", "befriending"],
    "base_postcode": "SM1 1EA",
    "base_address": "Civic Offices, St Nicholas Way",
    "base_lat": 51.3618,
    "base_lon": -0.1945,
    "opening_hours": {"mon": [["09:00", "17:00"]]},
    "min_age": 18,
    "contact_name": "Jo Referrals",
    "contact_phone": "+447700900111",
    "contact_email": "jo.referrals@example.org",
    "public_contact": "020 7946 0100 · hub@example.org · https://hub.example.org",
}


@pytest.fixture
def directory(session_factory):
    hub = organisation(session_factory, **HUB)
    others = [
        organisation(
            session_factory, external_id=f"csv:group-{n}", name=f"Street Group {n}", kind="mutual_aid"
        )
        for n in range(4)
    ]
    organisation(session_factory, external_id="csv:closed", name="Closed Larder", active=False)
    volunteer(session_factory, org_id=hub, name="Vera Volunteer", phone="+447700900222")
    return {"hub": hub, "others": others}


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_services_are_paged_as_hsds_describes_and_each_passes_the_official_schema(client, directory):
    pages = [get(client, f"/oruk/services?per_page=2&page={number}") for number in (1, 2, 3, 4)]

    assert all(set(page) == PAGE_KEYS for page in pages)
    assert [(p["page_number"], p["size"], p["first_page"], p["last_page"], p["empty"]) for p in pages] == [
        (1, 2, True, False, False),
        (2, 2, False, False, False),
        (3, 1, False, True, False),
        (4, 0, False, True, True),
    ]
    assert {(p["total_items"], p["total_pages"]) for p in pages} == {(5, 3)}
    listed = [item for page in pages for item in page["contents"]]
    assert len({item["id"] for item in listed}) == 5
    assert "Closed Larder" not in {item["name"] for item in listed}, (
        "an inactive organisation is not published"
    )
    for item in listed:
        assert errors("compiled/service_list.json", item) == []
        assert item["organization"]["name"]


def test_a_full_service_passes_the_official_schema_with_its_address_and_no_personal_data(client, directory):
    listed = get(client, "/oruk/services?search=central")["contents"]
    assert [item["name"] for item in listed] == ["Sutton Central Hub"]
    service = get(client, f"/oruk/services/{listed[0]['id']}")

    assert errors("service.json", service) == []
    (located,) = service["service_at_locations"]
    (address,) = located["location"]["addresses"]
    assert (address["address_1"], address["city"], address["state_province"], address["postal_code"]) == (
        "Civic Offices, St Nicholas Way",
        "Sutton",
        "England",
        "SM1 1EA",
    )
    assert service["minimum_age"] == 18
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [
        ("MO", "09:00:00", "17:00:00")
    ]
    needs = sorted(
        a["taxonomy_term"]["code"] for a in service["attributes"] if a["link_type"] == "one-route-in-needs"
    )
    assert needs == ["befriending", "prescriptions", "shopping"]
    text = json.dumps(service)
    for private in ("Jo Referrals", "7700900111", "jo.referrals@example.org", "Vera", "7700900222"):
        assert private not in text
    fields = {
        a["taxonomy_term"]["code"] for a in service["attributes"] if a["link_type"] == "one-route-in-fields"
    }
    assert fields.isdisjoint({"contact_name", "contact_phone", "contact_email", "capacity"})
    assert service["contacts"] == []
    assert [phone["number"] for phone in service["phones"]] == ["+442079460100"]


def test_organizations_and_taxonomies_pass_the_official_schemas(client, directory):
    organizations = get(client, "/oruk/organizations?per_page=10")
    assert organizations["total_items"] == 5
    for item in organizations["contents"]:
        assert errors("compiled/organization_list.json", item) == []
    hub = next(item for item in organizations["contents"] if item["name"] == "Sutton Central Hub")
    full = get(client, f"/oruk/organizations/{hub['id']}")
    assert errors("organization.json", full) == []
    assert [service["name"] for service in full["services"]] == ["Sutton Central Hub"]

    taxonomies = get(client, "/oruk/taxonomies")["contents"]
    assert taxonomies
    assert all(errors("taxonomy.json", item) == [] for item in taxonomies)
    needs = next(item for item in taxonomies if item["name"] == "one-route-in-needs")
    assert get(client, f"/oruk/taxonomies/{needs['id']}") == needs
    terms = get(client, f"/oruk/taxonomy_terms?taxonomy_id={needs['id']}&per_page=500")["contents"]
    assert terms
    assert all(errors("taxonomy_term.json", term) == [] for term in terms)
    shopping = next(term for term in terms if term["code"] == "shopping")
    assert get(client, f"/oruk/taxonomy_terms/{shopping['id']}") == shopping
    by_term = get(client, f"/oruk/services?taxonomy_term_id={shopping['id']}")["contents"]
    assert {item["name"] for item in by_term} == {
        "Sutton Central Hub",
        *(f"Street Group {n}" for n in range(4)),
    }
    about = get(client, "/oruk/")
    assert about["version"] == "3.0"
    assert about["openapi_url"].endswith("/openapi.json")


@pytest.mark.parametrize("kind", ["services", "organizations", "taxonomies", "taxonomy_terms"])
def test_an_unknown_id_is_a_404_problem(client, directory, kind):
    response = client.get(f"/oruk/{kind}/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.get(f"/oruk/{kind}/not-an-id").status_code == 404


def test_bad_paging_is_a_422_problem(client, directory):
    for query in ("page=0", "per_page=501", "per_page=x"):
        response = client.get(f"/oruk/services?{query}")
        assert (response.status_code, response.mimetype) == (422, "application/problem+json"), query


def test_the_feed_needs_no_token_and_is_rate_limited_per_address(database_url, session_factory, directory):
    app = create_app({"DATABASE_URL": database_url, "RATELIMIT_ORUK": "3 per minute"})
    client = app.test_client()
    made_up = [{"Authorization": f"Bearer ori_{uuid.uuid4().hex}"} for _ in range(4)]
    statuses = [client.get("/oruk/services", headers=headers).status_code for headers in made_up]
    assert statuses == [200, 200, 200, 429], "a made-up token neither blocks nor buys a fresh allowance"
    refused = client.get("/oruk/taxonomies")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert "Retry-After" in refused.headers
    app.extensions["oneroute"].engine.dispose()
