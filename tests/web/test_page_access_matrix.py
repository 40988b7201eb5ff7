"""The web version of the API's access matrix: every page route × method × person (their role, their
organisation, their council) against an explicit rule table, generated from the URL map. A page route with no
rule here fails the suite: deny by default starts with knowing every door. (What each action does for whom is
`test_access_rule_matrix.py`; this is the doors themselves.)"""

from dataclasses import dataclass

import pytest

from accounts.passwords import create_user
from accounts.tokens import SYSTEM
from db.base import utcnow
from referrals.email_drafts import save_draft
from referrals.email_reading import from_fields
from referrals.models import FollowUp
from tests.builders import auth, call, token_for
from tests.web.conftest import PASSWORD, Person, csrf_token, sign_in
from texting.phone_tasks import raise_phone_task

HELPLINE, HUB, OFFICER, ADMIN = "helpline_staff", "hub_coordinator", "safety_net_officer", "admin"


@dataclass(frozen=True)
class Page:
    roles: frozenset[str]
    referral: bool = False  # a referral's page: 404 for those who may not see that referral
    person: bool = False  # a person's page: 404 for those who may not find that person


PUBLIC = "public"
RULES: dict[str, dict[str, object]] = {
    "web.static": {"GET": PUBLIC},
    "web.home": {"GET": PUBLIC},
    "web.sign_in": {"GET": PUBLIC, "POST": PUBLIC},
    "web.sign_out": {"POST": PUBLIC},
    # The steps of signing in: a second factor after a password, the council's provider, no role yet
    # (tests/web/test_second_factor.py, tests/web/test_single_sign_on.py).
    "web.enter_code": {"GET": PUBLIC, "POST": PUBLIC},
    "web.enrol_second_factor": {"GET": PUBLIC, "POST": PUBLIC},
    "web.sso_start": {"GET": PUBLIC},
    "web.sso_callback": {"GET": PUBLIC},
    "web.no_role": {"GET": PUBLIC},
    "web.admin_home": {"GET": Page(frozenset({ADMIN}))},
    "web.organisations": {"GET": Page(frozenset({ADMIN}))},
    "web.organisation": {"GET": Page(frozenset({ADMIN}))},
    "web.volunteers": {"GET": Page(frozenset({ADMIN}))},
    "web.volunteer": {"GET": Page(frozenset({ADMIN}))},
    "web.new_import": {"GET": Page(frozenset({ADMIN}))},
    "web.create_import": {"POST": Page(frozenset({ADMIN}))},
    "web.import_job": {"GET": Page(frozenset({ADMIN}))},
    "web.import_status": {"GET": Page(frozenset({ADMIN}))},
    "web.import_template": {"GET": Page(frozenset({ADMIN}))},
    # The directory in the browser: an empty form is a 422, deactivating without its confirmation shows the
    # page that asks for it, reactivating an active record changes nothing.
    "web.new_organisation": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.edit_organisation": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.deactivate_organisation": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.reactivate_organisation": {"POST": Page(frozenset({ADMIN}))},
    "web.new_volunteer": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.edit_volunteer": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.deactivate_volunteer": {"GET": Page(frozenset({ADMIN})), "POST": Page(frozenset({ADMIN}))},
    "web.reactivate_volunteer": {"POST": Page(frozenset({ADMIN}))},
    "web.new_call": {
        "GET": Page(frozenset({HELPLINE, OFFICER, ADMIN})),
        "POST": Page(frozenset({HELPLINE, OFFICER, ADMIN})),
    },
    "web.check_postcode": {"POST": Page(frozenset({HELPLINE, OFFICER, ADMIN}))},
    "web.preview_call": {"POST": Page(frozenset({HELPLINE, OFFICER, ADMIN}))},
    "web.call_saved": {"GET": Page(frozenset({HELPLINE, OFFICER, ADMIN}), referral=True)},
    "web.call_session": {"GET": Page(frozenset({HELPLINE, OFFICER, ADMIN}))},
    "web.signed_in_again": {"GET": Page(frozenset({HELPLINE, OFFICER, ADMIN}))},
    "web.coordinator_queue": {"GET": Page(frozenset({HUB, OFFICER}))},
    "web.safety_net": {"GET": Page(frozenset({OFFICER}))},
    "web.safety_net_list": {"GET": Page(frozenset({OFFICER}))},
    # A phone task about a referral is seen by those who may see the referral (404 to others).
    "web.phone_task_list": {"GET": Page(frozenset({HELPLINE, OFFICER}))},
    "web.phone_task": {"GET": Page(frozenset({HELPLINE, OFFICER}), referral=True)},
    "web.record_phone_call": {"POST": Page(frozenset({HELPLINE, OFFICER}), referral=True)},
    # Emails to the helpline: its staff only. A follow-up: the holder's coordinator and the council's officers
    # (404 to others; the shared referral's follow-up is closed by the first who may, then says so).
    "web.emails": {"GET": Page(frozenset({HELPLINE}))},
    "web.dismiss_email": {"POST": Page(frozenset({HELPLINE}))},
    "web.close_follow_up_page": {"POST": Page(frozenset({HUB, OFFICER}), referral=True)},
    "web.referral": {"GET": Page(frozenset({HELPLINE, HUB, OFFICER, ADMIN}), referral=True)},
    "web.act": {"POST": Page(frozenset({HELPLINE, HUB, OFFICER}), referral=True)},
    "web.record_consent_page": {"POST": Page(frozenset({HELPLINE, OFFICER}), referral=True)},
    "web.referral_audit": {"GET": Page(frozenset({OFFICER, ADMIN}), referral=True)},
    "web.verify_audit": {"POST": Page(frozenset({OFFICER, ADMIN}), referral=True)},
    "web.check_tier": {"POST": Page(frozenset({OFFICER, ADMIN}), referral=True)},
    # An officer bound to a council sees its figures; asking for another's is the API's 403
    # (tests/web/test_reports_pages.py compares the two doors).
    "web.reports": {"GET": Page(frozenset({OFFICER, ADMIN}))},
    "web.reports_map": {"GET": Page(frozenset({OFFICER, ADMIN}))},
    "web.reports_trend_csv": {"GET": Page(frozenset({OFFICER, ADMIN}))},
    "web.reports_wards": {"GET": Page(frozenset({OFFICER, ADMIN}))},
    "web.repeat_callers": {"GET": Page(frozenset({HELPLINE, OFFICER, ADMIN}))},
    "web.settle_repeat_caller": {"POST": Page(frozenset({HELPLINE, OFFICER, ADMIN}), referral=True)},
    # Requests from outside (issue 24): the public "Ask for help" page and a group lead's link need no
    # sign-in (a link is its own key: tests/web/test_group_referral.py); the review is the helpline's and the
    # council's officers' (a referral not waiting for review: back to the list with a message).
    "web.ask_for_help": {"GET": PUBLIC},
    "web.send_request": {"POST": PUBLIC},
    "web.request_sent": {"GET": PUBLIC},
    "web.check_urgent_words": {"POST": PUBLIC},
    "web.group_referral": {"GET": PUBLIC},
    "web.send_group_referral": {"POST": PUBLIC},
    "web.group_referral_sent": {"GET": PUBLIC},
    "web.group_referral_status": {"GET": PUBLIC},
    "web.requests_to_review": {"GET": Page(frozenset({HELPLINE, OFFICER}))},
    "web.confirm_request": {"POST": Page(frozenset({HELPLINE, OFFICER}), referral=True)},
    "web.decline_request": {"POST": Page(frozenset({HELPLINE, OFFICER}), referral=True)},
    # A mutual-aid group with accounts refers from a signed-in page: its coordinators only (another kind of
    # organisation's are refused: access.may_refer_as_group).
    "web.group_referrals_page": {"GET": Page(frozenset({HUB}))},
    "web.new_group_referral": {"GET": Page(frozenset({HUB}))},
    "web.send_signed_in_group_referral": {"POST": Page(frozenset({HUB}))},
    # Every role may search; whom each finds is the access rule's (tests/web/test_people_pages.py).
    "web.search": {"GET": Page(frozenset({HELPLINE, HUB, OFFICER, ADMIN}))},
    "web.person": {"GET": Page(frozenset({HELPLINE, HUB, OFFICER, ADMIN}), person=True)},
}
# Who: a person per role, plus another organisation of the same council and an officer of another council.
WHO = {
    "helpline": (HELPLINE, None),
    "hub": (HUB, "hub"),  # the referral is offered to the hub
    "food_bank": (HUB, "food_bank"),  # another organisation of the same council
    "officer": (OFFICER, "sutton_safety_net"),
    "coventry_officer": (OFFICER, "coventry_safety_net"),
    "admin": (ADMIN, None),
}
NOT_VISIBLE = {"food_bank", "coventry_officer"}
# The person of the shared referral: the hub was only offered it, so it sees no name and cannot find them.
NOT_FINDABLE = {"food_bank", "coventry_officer", "hub"}
# The page is theirs, the action is not: an organisation only offered a referral may not cancel it (which
# action each person may take is the access-rule matrix's).
# And import job 1 does not exist: its pages answer "not found" to the admin who may open them.
REFUSED_ACTION = {
    ("web.act", "hub"): {403},
    ("web.import_job", "admin"): {404},
    ("web.import_status", "admin"): {404},
    **{
        (endpoint, key): {403}
        for endpoint in (
            "web.group_referrals_page",
            "web.new_group_referral",
            "web.send_signed_in_group_referral",
        )
        for key in ("hub", "food_bank")
    },
}
FORMS = {
    "web.act": {"cancel-reason": "the page matrix"},
    "web.record_consent_page": {"consent_to_share": "no", "consent-reason": "the page matrix"},
    "web.preview_call": {"notes": "needs shopping"},
    "web.new_call": {"notes": ""},
    "web.settle_repeat_caller": {"same_as": "someone_else"},
    "web.record_phone_call": {"outcome": "no_answer"},
    "web.decline_request": {"reason": "the page matrix"},
    "web.dismiss_email": {"reason": "not_help"},
    "web.close_follow_up_page": {"note": "rang them: all well"},
}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("web."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_page_route_has_a_rule(app):
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method in routes(app)
        if method not in RULES.get(rule.endpoint, {})
    ]
    assert missing == [], "page routes without an access rule: add them to RULES"


@pytest.fixture
def people(app, session_factory, directory):
    clients = {}
    for key, (role, org) in WHO.items():
        org_id = directory[org] if org else None
        with session_factory() as session:
            create_user(
                session, username=f"page-{key}", display_name=key, password=PASSWORD, role=role, org_id=org_id
            )
        client = app.test_client()
        assert sign_in(client, Person(f"page-{key}", role, org_id)).status_code == 302
        clients[key] = client
    return clients


def test_page_route_role_organisation_council_matrix(app, client, session_factory, directory, people):
    helpline = auth(token_for(session_factory, HELPLINE))

    def new_referral() -> dict:
        made = client.post("/api/v1/referrals", json=call(resident={"name": "Page Person"}), headers=helpline)
        assert made.get_json()["current_offer"]["org_id"] == directory["hub"]
        return made.get_json()

    shared = new_referral()
    with session_factory() as session:
        task = raise_phone_task(
            session,
            "+447700900321",
            "the text could not be delivered",
            SYSTEM,
            utcnow(),
            referral_id=shared["id"],
        )
        session.commit()
        task_id = task.id
    hub_token = auth(token_for(session_factory, HUB, directory["hub"]))
    held = new_referral()
    for action in ("accept", "start"):
        assert (
            client.post(f"/api/v1/referrals/{held['id']}/{action}", json={}, headers=hub_token).status_code
            == 200
        )
    with session_factory() as session:
        follow_up = FollowUp(
            referral_id=held["id"], kind="missed_visit", occurrence_index=0, status="open", due_at=utcnow()
        )
        draft, _new = save_draft(
            session, from_fields(sender="pat@example.org", text="Shopping please"), "webhook", SYSTEM
        )
        session.add(follow_up)
        session.commit()
        follow_up_id, draft_id = follow_up.id, draft.id
    values = {
        "follow_up_id": follow_up_id,
        "draft_id": draft_id,
        "task_id": task_id,
        "org_id": directory["hub"],
        "volunteer_id": directory["volunteer"],
        "job_id": 1,
        "kind": "volunteers",
        "name": "cancel",
        "list_name": "late",
    }
    leaks = []
    for rule, method in routes(app):
        spec = RULES[rule.endpoint][method]
        if not isinstance(spec, Page):
            continue
        for key, browser in people.items():
            role = WHO[key][0]
            referral = new_referral() if method == "POST" and spec.referral else shared
            ids = {"referral_id": referral["id"], "resident_id": referral["resident"]["id"]}
            url = rule.build({**values, **ids}, append_unknown=False)[1]
            if rule.endpoint == "web.search":
                url += "?q=Page+Person"
            if method == "GET":
                status = browser.get(url).status_code
            else:
                form = {**FORMS.get(rule.endpoint, {}), "csrf_token": csrf_token(browser, "/sign-in")}
                status = browser.post(url, data=form).status_code
            if role not in spec.roles:
                expected = {403}
            elif (spec.referral and key in NOT_VISIBLE) or (spec.person and key in NOT_FINDABLE):
                expected = {404}
            else:
                expected = REFUSED_ACTION.get((rule.endpoint, key))
            where = f"{method} {rule.rule} as {key}: {status}"
            if expected is not None and status not in expected:
                leaks.append(f"{where}, expected {sorted(expected)}")
            if expected is None and status in (401, 403, 404, 500):
                leaks.append(f"{where}, expected the page")
    assert leaks == [], "\n".join(leaks)
