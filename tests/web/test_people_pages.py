"""Find a person and the person page, through the pages: the search box on every page, results in UK formats,
the same people the API finds for the same principal and text, a person's referrals, timeline, contact
preferences and consent, and the access rule deciding who finds whom; every read audited."""

import re

import pytest
from sqlalchemy import select

from referrals.models import AuditEvent, Resident
from tests.api.http import act, log
from tests.builders import ALBERT, MARGARET, MARY, auth, token_for

CONTACT = {
    "safe_to_contact": "no",
    "safe_times": "Weekday mornings, when her son is out",
    "safe_phone": "+447700900999",
    "no_message": True,
    "access_notes": "Key safe by the back door; a friendly dog",
    "emergency_contact": "Tom Smith (son) 07700 900111",
    "language": "Welsh",
    "communication_needs": "Speak slowly",
}
PERSON_LINK = re.compile(r'href="/people/(\d+)"')
TIMELINE_EVENT = re.compile(r'timeline-what">([^<]*)</span>, <a href="/referrals/(\d+)"')


@pytest.fixture
def helpline_token(session_factory) -> dict:
    return auth(token_for(session_factory, "helpline_staff"))


@pytest.fixture
def margaret(client, helpline_token, session_factory) -> dict:
    """Margaret, who rang twice (shopping, then a prescription), with how to contact her safely."""
    first = log(client, helpline_token, resident=MARGARET)
    second = log(
        client,
        helpline_token,
        resident=MARGARET,
        resident_id=first["resident"]["id"],
        notes="Could someone collect her prescription from the chemist",
    )
    with session_factory() as session:
        session.get(Resident, first["resident"]["id"]).contact = CONTACT
        session.commit()
    return {"id": first["resident"]["id"], "first": first, "second": second}


@pytest.fixture
def others(client, helpline_token) -> dict[str, dict]:
    return {
        "mary": log(client, helpline_token, resident=MARY),
        "albert": log(client, helpline_token, resident=ALBERT),
    }


def page_of(client, path: str, expected: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def results(html: str) -> list[int]:
    """The people listed on a search page, in order."""
    listed = html.split('<ol class="card-list results"', 1)
    return [int(found) for found in PERSON_LINK.findall(listed[1])] if len(listed) > 1 else []


def reads(session, door: str) -> list[AuditEvent]:
    session.rollback()
    query = select(AuditEvent).where(AuditEvent.kind == "resident.read").order_by(AuditEvent.seq)
    return [event for event in session.scalars(query) if event.payload.get("door") == door]


@pytest.mark.parametrize(
    ("key", "home"),
    [
        ("helpline", "/calls/new"),
        ("hub", "/queue"),
        ("officer", "/safety-net"),
        ("admin", "/admin/organisations"),
    ],
)
def test_every_signed_in_page_has_the_search_box(signed_in, key, home):
    html = page_of(signed_in(key), home)
    assert '<label class="header-search-label" for="header-search-q">Find a person</label>' in html
    assert 'aria-keyshortcuts="/"' in html
    assert 'action="/search"' in html
    assert "find-person.js" in html
    search_page = page_of(signed_in(key), "/search")
    assert 'id="header-search-q"' not in search_page  # its own box, not two
    assert 'id="q"' in search_page


def test_the_sign_in_page_has_no_search_box(client):
    assert 'id="header-search-q"' not in page_of(client, "/sign-in")


def test_search_by_name_with_a_typo_shows_the_person_in_uk_formats(signed_in, margaret, others):
    html = page_of(signed_in("helpline"), "/search?q=Margret+Smiht")
    assert results(html)[:1] == [margaret["id"]]
    assert "Margaret Smith" in html
    assert "07700 900123" in html
    assert "+447700900123" not in html
    assert "Born 27 March 1948" in html
    assert f'href="/referrals/{margaret["second"]["id"]}"' in html  # the latest call
    assert "Looked for the name “Margret Smiht”" in html


@pytest.mark.parametrize(
    "typed", ["07700 900123", "+44 7700 900123", "(07700) 900-123", "SM1 1AA", "27/3/1948", "27 March 1948"]
)
def test_search_by_phone_postcode_and_date_of_birth(signed_in, margaret, others, typed):
    assert results(page_of(signed_in("helpline"), f"/search?q={typed}")) == [margaret["id"]]


def test_search_by_reference(signed_in, margaret):
    browser = signed_in("helpline")
    for typed in (f"R{margaret['first']['id']}", f"ref {margaret['second']['id']}"):
        assert results(page_of(browser, f"/search?q={typed}")) == [margaret["id"]]


def test_nothing_found_says_so_and_nothing_typed_shows_the_form(signed_in, margaret):
    html = page_of(signed_in("helpline"), "/search?q=Zebedee+Quux")
    assert "No one found" in html
    assert "No one you may see matches" in html
    assert 'href="/calls/new"' in html
    empty = page_of(signed_in("helpline"), "/search")
    assert "found" not in empty
    nonsense = page_of(signed_in("helpline"), "/search?q=%3F%3F%3F")
    assert "There was nothing to look for" in nonsense


def test_a_coordinator_whose_organisation_has_accepted_no_one_is_told_so(signed_in, margaret):
    html = page_of(signed_in("hub"), "/search?q=Margaret+Smith")
    assert results(html) == []
    assert "No one you may see matches" in html
    assert "your organisation has accepted" in html
    assert 'href="/calls/new"' not in html  # a coordinator does not log calls


def test_the_web_and_the_api_find_the_same_people_for_the_same_principal(
    client, signed_in, session_factory, directory, margaret, others
):
    """One rule, one query: a person signed in and a token of the same role and organisation get the same
    people in the same order, whatever they type, before and after an organisation accepts a referral."""
    orgs = {
        "helpline": None,
        "hub": "hub",
        "food_bank": "food_bank",
        "officer": "sutton_safety_net",
        "admin": None,
    }
    roles = {
        "helpline": "helpline_staff",
        "hub": "hub_coordinator",
        "food_bank": "hub_coordinator",
        "officer": "safety_net_officer",
        "admin": "admin",
    }
    tokens = {
        key: auth(token_for(session_factory, roles[key], directory[org] if org else None))
        for key, org in orgs.items()
    }
    browsers = {key: signed_in(key) for key in orgs}
    texts = [
        "Smith",
        "Margret Smith",
        "Smith SM1",
        "07700 900123",
        "SM1 1AA",
        "27/3/1948",
        "Jones",
        "CV1",
        f"R{margaret['first']['id']}",
        str(others["albert"]["id"]),
    ]

    def compare() -> dict[str, set[int]]:
        seen = {}
        for key in orgs:
            seen[key] = set()
            for text in texts:
                api = client.get("/api/v1/residents/search", query_string={"q": text}, headers=tokens[key])
                api_ids = [person["id"] for person in api.get_json()["results"]]
                web_ids = results(
                    browsers[key].get("/search", query_string={"q": text}).get_data(as_text=True)
                )
                assert web_ids == api_ids, f"{key} typing {text!r}: web {web_ids}, api {api_ids}"
                seen[key] |= set(api_ids)
        return seen

    seen = compare()
    albert, mary = others["albert"]["resident"]["id"], others["mary"]["resident"]["id"]
    assert seen["helpline"] == seen["admin"] == {margaret["id"], mary, albert}
    assert seen["officer"] == {margaret["id"], mary}
    assert seen["hub"] == seen["food_bank"] == set()
    act(client, tokens["hub"], margaret["first"]["id"], "accept")
    seen = compare()
    assert seen["hub"] == {margaret["id"]}
    assert seen["food_bank"] == set()


def test_the_person_page(signed_in, margaret):
    html = page_of(signed_in("helpline"), f"/people/{margaret['id']}")
    assert '<h1 class="heading-l">Margaret Smith</h1>' in html
    assert "27 March 1948 (age" in html
    assert "07700 900123" in html
    assert "+447700900123" not in html
    first, second = margaret["first"]["id"], margaret["second"]["id"]
    assert html.index(f'href="/referrals/{second}">Referral {second}') < html.index(
        f'href="/referrals/{first}">Referral {first}'
    )  # newest first
    assert "Offered to Sutton Central Hub: waiting for an answer" in html
    assert "Consent to share" in html
    assert f'Yes: as they said on <a href="/referrals/{second}">referral {second}</a>, the latest' in html
    for words in (
        "Contacting them safely",
        "<li>It is not safe to contact them as usual.</li>",
        "<li>Use 07700 900999.</li>",
        "<li>When it is safe: Weekday mornings, when her son is out</li>",
        "Do not leave a voicemail or a text that says who called",
        "At the door",
        "Key safe by the back door; a friendly dog",
        "Tom Smith (son) 07700 900111",
        "Welsh",
        "Speak slowly",
    ):
        assert words in html, words
    assert f'<a class="button button-link" href="/calls/new?person={margaret["id"]}">' in html
    timeline = TIMELINE_EVENT.findall(html.split('id="timeline"', 1)[1])
    calls = [int(referral) for what, referral in timeline if what == "Call logged"]
    assert calls == [second, first]  # both referrals' trails, newest first


def test_who_sees_the_person_page(client, signed_in, session_factory, directory, margaret):
    first, second = margaret["first"]["id"], margaret["second"]["id"]
    path = f"/people/{margaret['id']}"
    officer = page_of(signed_in("officer"), path)
    assert "Margaret Smith" in officer
    assert "/calls/new?person=" in officer
    admin = page_of(signed_in("admin"), path)
    assert "Margaret Smith" in admin
    # Both referrals are offered to the hub: it may not learn whose they are until it accepts one.
    page_of(signed_in("hub"), path, 404)
    page_of(signed_in("food_bank"), path, 404)
    act(client, auth(token_for(session_factory, "hub_coordinator", directory["hub"])), first, "accept")
    hub = page_of(signed_in("hub"), path)
    assert f'href="/referrals/{first}"' in hub
    assert f'href="/referrals/{second}"' not in hub  # still only offered: not linked to her name
    assert "Key safe by the back door" in hub  # the helper at the door needs it
    assert "/calls/new?person=" not in hub
    page_of(signed_in("food_bank"), path, 404)
    page_of(signed_in("helpline"), "/people/99999", 404)


def test_an_erased_persons_page_shows_no_details(client, signed_in, session_factory, margaret):
    admin = auth(token_for(session_factory, "admin"))
    erased = client.post(f"/api/v1/residents/{margaret['id']}/erase", json={"reason": "asked"}, headers=admin)
    assert erased.status_code == 200, erased.get_json()
    html = page_of(signed_in("helpline"), f"/people/{margaret['id']}")
    assert "Erased person" in html
    assert "Their details were erased on" in html
    for detail in ("Margaret", "07700", "Example Road", "1948", "Key safe", "Contacting them safely"):
        assert detail not in html, detail
    assert f'href="/referrals/{margaret["first"]["id"]}"' in html
    assert "/calls/new?person=" not in html
    search = page_of(signed_in("helpline"), f"/search?q=R{margaret['first']['id']}")
    assert "Erased person (district SM1)" in search
    assert "Margaret" not in search.split("<main", 1)[1].replace("Margaret Smith", "")


def test_reads_are_audited_naming_the_page(signed_in, session, margaret, others):
    browser = signed_in("helpline")
    page_of(browser, "/search?q=Smith")
    searched = reads(session, "web search")
    assert {event.resident_id for event in searched} == {margaret["id"], others["mary"]["resident"]["id"]}
    page_of(browser, f"/people/{margaret['id']}")
    [read] = reads(session, "web person page")
    assert (read.resident_id, read.actor_role) == (margaret["id"], "helpline_staff")
    page_of(browser, "/search?q=Nobody+Atall")
    assert len(reads(session, "web search")) == len(searched)
