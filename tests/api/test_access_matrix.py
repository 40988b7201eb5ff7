"""Every route × role × own/other organisation against an explicit rule table, generated from the URL map.

A route with no rule here fails the suite: deny by default starts with knowing every door."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from referrals.models import FollowUp
from tests.builders import auth, call, organisation, token_for

ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "partner_referrer", "admin")
EVERYONE = frozenset(ROLES)
READERS = frozenset({"helpline_staff", "partner_referrer", "safety_net_officer", "hub_coordinator", "admin"})
OFFER_ROLES = frozenset({"hub_coordinator", "safety_net_officer"})
OVERSIGHT = frozenset({"hub_coordinator", "safety_net_officer", "helpline_staff"})
OFFICERS = frozenset({"safety_net_officer", "admin"})


@dataclass(frozen=True)
class Api:
    """A token route: roles that may call it; `referral` routes also hide other organisations' referrals."""

    roles: frozenset[str]
    referral: bool = False
    owner: bool = (
        False  # a coordinator who was only offered the referral may not do this (403, or 409 by state)
    )
    offered: bool = False  # only the organisation the offer is to may: officers of the safety net get 403


PUBLIC, SIGNED, BEARER, WEB, OPERATOR = "public", "signed", "bearer", "web", "operator"
# SIGNED: Twilio's webhooks (its signature); BEARER: GOV.UK Notify's callbacks (NOTIFY_CALLBACK_TOKEN).
RULES: dict[str, dict[str, object]] = {
    "static": {"GET": PUBLIC},
    "health.healthz": {"GET": PUBLIC},
    "health.live": {"GET": PUBLIC},
    "health.ready": {"GET": PUBLIC},
    # Only METRICS_TOKEN, never a role's token: tests/api/test_metrics.py
    "metrics.metrics": {"GET": OPERATOR},
    "api-docs.openapi_json": {"GET": PUBLIC},
    "swagger_ui.show": {"GET": PUBLIC},
    "referrals.Referrals": {
        "POST": Api(frozenset({"helpline_staff", "partner_referrer", "safety_net_officer", "admin"}))
    },
    "referrals.ReferralById": {"GET": Api(READERS, referral=True)},
    "referrals.ReferralCandidates": {
        "GET": Api(frozenset({"helpline_staff", "safety_net_officer", "admin"}), True)
    },
    "referrals.ReferralTriage": {
        "POST": Api(
            frozenset({"helpline_staff", "safety_net_officer", "hub_coordinator", "admin"}), True, True
        )
    },
    "referrals.referral_accept": {"POST": Api(OFFER_ROLES, True, offered=True)},
    "referrals.referral_decline": {"POST": Api(OFFER_ROLES, True, offered=True)},
    "referrals.referral_start": {"POST": Api(OFFER_ROLES, True, True)},
    "referrals.referral_complete": {"POST": Api(OFFER_ROLES, True, True)},
    "referrals.referral_transfer": {"POST": Api(OFFER_ROLES, True, True)},
    # The holding organisation's coordinator (a broker, hub or VCS) passes work on; not the council's team.
    "referrals.referral_pass_on": {"POST": Api(frozenset({"hub_coordinator"}), True, True)},
    "referrals.ReferralPassOnTargets": {"GET": Api(frozenset({"hub_coordinator"}), True, True)},
    "referrals.ReferralOccurrence": {"POST": Api(OFFER_ROLES, True, True)},
    "referrals.referral_cancel": {"POST": Api(OVERSIGHT, True, True)},
    "referrals.referral_escalate": {"POST": Api(OVERSIGHT, True, True)},
    "referrals.referral_close": {"POST": Api(frozenset({"safety_net_officer"}), True)},
    "referrals.ReferralConsent": {"POST": Api(frozenset({"helpline_staff", "safety_net_officer"}), True)},
    "referrals.ReferralTierCheck": {"POST": Api(OFFICERS, True)},
    "referrals.ReferralRepeatCaller": {
        "POST": Api(frozenset({"helpline_staff", "safety_net_officer", "admin"}), True)
    },
    "oversight.repeat_callers": {"GET": Api(frozenset({"helpline_staff", "safety_net_officer", "admin"}))},
    "triage.preview": {"POST": Api(frozenset({"helpline_staff", "safety_net_officer", "admin"}))},
    "oversight.coordinator_queue": {"GET": Api(OFFER_ROLES | {"partner_referrer"})},
    "oversight.safety_net": {"GET": Api(frozenset({"safety_net_officer"}))},
    "oversight.safety_net_list": {"GET": Api(frozenset({"safety_net_officer"}))},
    "oversight.audit_events": {"GET": Api(OFFICERS, referral=True)},
    # A follow-up of recurring support: the holder's coordinator and the council's officers (404 for others).
    "oversight.follow_up_done": {"POST": Api(OFFER_ROLES, referral=True)},
    # A partner's webhooks: only partners, each its own (tests/api/test_partner_webhooks.py).
    "webhooks.subscribe": {"POST": Api(frozenset({"partner_referrer"}))},
    "webhooks.subscriptions": {"GET": Api(frozenset({"partner_referrer"}))},
    "webhooks.end": {"DELETE": Api(frozenset({"partner_referrer"}))},
    "oversight.audit_verify": {"GET": Api(OFFICERS)},
    "residents.erase": {"POST": Api(OFFICERS, referral=True)},
    "residents.erasure_candidates": {"GET": Api(OFFICERS, referral=True)},
    # Everyone may search; the access rule decides whom each finds (tests/api/test_people_search.py).
    "residents.search": {"GET": Api(EVERYONE)},
    "reports.needs": {"GET": Api(OFFICERS)},
    "reports.needs_map": {"GET": Api(OFFICERS)},
    "reports.outcomes": {"GET": Api(OFFICERS)},
    "reports.trend": {"GET": Api(OFFICERS)},
    "referrals.OutcomeChoices": {"GET": Api(READERS)},
    "directory.organisations": {"GET": Api(frozenset({"admin", "helpline_staff", "safety_net_officer"}))},
    "directory.organisation": {"GET": Api(frozenset({"admin", "helpline_staff", "safety_net_officer"}))},
    # The public Open Referral UK feed: anyone, no token (what it shows: referrals/access.py).
    **{
        f"oruk.oruk_{name}": {"GET": PUBLIC}
        for name in (
            "about",
            "services",
            "service",
            "organizations",
            "organization",
            "taxonomies",
            "taxonomy",
            "taxonomy_terms",
            "taxonomy_term",
        )
    },
    "sms.inbound": {"POST": SIGNED},
    "sms.status": {"POST": SIGNED},
    "sms_notify.inbound": {"POST": BEARER},
    "sms_notify.status": {"POST": BEARER},
    "email.inbound": {"POST": SIGNED},
}
WEB_PREFIX = "web."
ROLE_OF = {
    "other_coordinator": "hub_coordinator",
    "own_area_officer": "safety_net_officer",
    "other_area_officer": "safety_net_officer",
}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_has_a_rule(app):
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method in routes(app)
        if not rule.endpoint.startswith(WEB_PREFIX) and method not in RULES.get(rule.endpoint, {})
    ]
    assert missing == [], "routes without an access rule: add them to RULES"


@pytest.fixture
def world(client, session_factory, directory):
    """A referral offered to one hub, a coordinator of that hub and one of another, a token per role."""
    helpline = auth(token_for(session_factory, "helpline_staff"))
    referral = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    assert referral["current_offer"]["org_id"] == directory["hub"]
    other_hub = organisation(session_factory, name="Other Hub", coverage_outcodes=["SM5"])
    tokens = {role: auth(token_for(session_factory, role)) for role in ROLES if role != "hub_coordinator"}
    tokens["hub_coordinator"] = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    tokens["other_coordinator"] = auth(token_for(session_factory, "hub_coordinator", other_hub))
    tokens["own_area_officer"] = auth(
        token_for(session_factory, "safety_net_officer", directory["sutton_safety_net"])
    )
    tokens["other_area_officer"] = auth(
        token_for(session_factory, "safety_net_officer", directory["coventry_safety_net"])
    )
    return {
        "helpline": helpline,
        "tokens": tokens,
        "directory": directory,
        "referral": referral,
        "follow_up_id": _follow_up(client, helpline, tokens["hub_coordinator"], session_factory),
        "webhook_id": client.post(
            "/api/v1/webhooks", json=BODIES["webhooks.subscribe"], headers=tokens["partner_referrer"]
        ).get_json()["id"],
    }


def _follow_up(client, helpline, hub, session_factory) -> int:
    """A weekly call the hub holds whose first time went unanswered: a follow-up to work."""
    body = call(resident={"name": "Matrix Planned"}, notes="Would like a weekly check-in call")
    planned = client.post(
        "/api/v1/referrals", json={**body, "recurrence": {"every_days": 7, "count": 2}}, headers=helpline
    ).get_json()
    for action, payload in (("accept", {}), ("start", {}), ("occurrences/0", {"outcome_code": "no_answer"})):
        response = client.post(f"/api/v1/referrals/{planned['id']}/{action}", json=payload, headers=hub)
        assert response.status_code == 200, response.get_json()
    with session_factory() as session:
        return session.scalar(select(FollowUp.id).where(FollowUp.referral_id == planned["id"]))


def _url(rule, world, referral) -> str:
    values = {
        "referral_id": referral["id"],
        "resident_id": referral["resident"]["id"],
        "org_id": world["directory"]["hub"],
        "index": 0,
        "volunteer_id": world["directory"]["volunteer"],
        "job_id": 1,
        "name": "accept",
        "kind": "volunteers",
        "task_id": 1,
        "follow_up_id": world["follow_up_id"],
        "webhook_id": world["webhook_id"],
        "list_name": "late",
    }
    url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
    if rule.endpoint == "oversight.audit_events":
        url += f"?referral={referral['id']}"
    if rule.endpoint == "residents.search":
        url += "?q=Margaret+Test"
    return url


def _fresh_referral(client, world) -> dict:
    response = client.post(
        "/api/v1/referrals", json=call(resident={"name": "Matrix Person"}), headers=world["helpline"]
    )
    return response.get_json()


REASON = {"reason": "matrix test"}
OUTCOME = {"outcome_code": "help_given"}
BODIES = {
    "referrals.Referrals": call(resident={"name": "Matrix Caller"}),
    "referrals.referral_decline": REASON,
    "referrals.referral_cancel": REASON,
    "referrals.referral_escalate": REASON,
    "referrals.referral_complete": OUTCOME,
    "referrals.referral_close": OUTCOME,
    "referrals.ReferralOccurrence": OUTCOME,
    "referrals.referral_transfer": {**REASON, "to_org_id": 1},
    "referrals.referral_pass_on": {"volunteer_id": 1},
    "residents.erase": REASON,
    "referrals.ReferralConsent": {**REASON, "consent_to_share": False},
    "referrals.ReferralRepeatCaller": {"same_as": None},
    "triage.preview": {"notes": "needs shopping"},
    "webhooks.subscribe": {"url": "http://127.0.0.1:9/hook"},
}


def _request(client, method, rule, url, headers):
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "DELETE":
        return client.delete(url, headers=headers)
    return client.post(url, json=BODIES.get(rule.endpoint, {}), headers=headers)


def test_route_role_organisation_matrix(app, client, world):
    leaks = []
    for rule, method in routes(app):
        spec = RULES.get(rule.endpoint, {}).get(method)
        if not isinstance(spec, Api):
            continue
        for who, headers in world["tokens"].items():
            role = ROLE_OF.get(who, who)
            referral = _fresh_referral(client, world) if method == "POST" else world["referral"]
            status = _request(client, method, rule, _url(rule, world, referral), headers).status_code
            if role not in spec.roles:
                expected = {403}
            elif spec.referral and who in ("other_coordinator", "other_area_officer", "partner_referrer"):
                expected = {404}
            elif spec.owner and who == "hub_coordinator":
                expected = {403, 409}
            elif spec.offered and role == "safety_net_officer":
                expected = {403}
            else:
                expected = None
            if expected is not None and status not in expected:
                leaks.append(f"{method} {rule.rule} as {who}: {status}, expected {sorted(expected)}")
            if expected is None and status in (401, 403, 404):
                leaks.append(f"{method} {rule.rule} as {who}: {status}, expected access")
        unauthenticated = _request(client, method, rule, _url(rule, world, world["referral"]), {}).status_code
        if unauthenticated != 401:
            leaks.append(f"{method} {rule.rule} without a token: {unauthenticated}")
    assert leaks == []


def test_providers_doors_open_to_their_provider_only(app, client, world):
    """No API token of any role, and no anonymous request, gets past a provider's webhook (SMS, email)."""
    doors = [
        (rule, method)
        for rule, method in routes(app)
        if RULES.get(rule.endpoint, {}).get(method) in (SIGNED, BEARER)
    ]
    assert {rule.endpoint for rule, _ in doors} == {
        "sms.inbound",
        "sms.status",
        "sms_notify.inbound",
        "sms_notify.status",
        "email.inbound",
    }
    for rule, method in doors:
        for who, headers in {"nobody": {}, **world["tokens"]}.items():
            response = client.open(
                rule.rule, method=method, json={"id": "x", "status": "delivered"}, headers=headers
            )
            assert response.status_code == 403, f"{method} {rule.rule} as {who}: {response.status_code}"


# Pages for people outside the council (issue 24): a resident's own request, and a group lead's pages behind
# a one-time link (without a valid link: 404, tests/web/test_group_referral.py).
OUTSIDE_PAGES = {
    "web.ask_for_help",
    "web.request_sent",
    "web.group_referral",
    "web.group_referral_sent",
    "web.group_referral_status",
}


def test_public_api_routes_answer_without_a_token(app, client, world):
    for rule, method in routes(app):
        if rule.endpoint.startswith(WEB_PREFIX) or RULES.get(rule.endpoint, {}).get(method) != PUBLIC:
            continue
        values = dict.fromkeys(rule.arguments, "00000000-0000-0000-0000-000000000000")
        url = rule.build(values, append_unknown=False)[1]
        status = client.open(url, method=method).status_code
        assert status in (200, 302, 308, 404), f"{method} {rule.rule} answered {status} without a token"


# The steps of signing in itself: through the council's provider (404 while single sign-on is off) and the
# second factor after a password (back to the sign-in page without a password first).
SIGN_IN_STEPS = {"web.sso_start", "web.sso_callback", "web.enter_code", "web.enrol_second_factor"}


def test_web_pages_need_a_signed_in_person(app, client, world):
    open_pages = {"web.sign_in", "web.static", "web.home", *OUTSIDE_PAGES, *SIGN_IN_STEPS}
    for rule, method in routes(app):
        if not rule.endpoint.startswith(WEB_PREFIX) or rule.endpoint in open_pages or method != "GET":
            continue
        url = _url(rule, world, world["referral"])
        response = client.get(url)
        assert response.status_code in (302, 303, 401), (
            f"{rule.rule} answered {response.status_code} unsigned"
        )


def test_the_steps_of_signing_in_lead_nowhere_without_a_sign_in(client):
    assert client.get("/sign-in/sso").status_code == 404, "single sign-on is off here"
    assert client.get("/sign-in/sso/callback").status_code == 404
    for endpoint in ("web.enter_code", "web.enrol_second_factor"):
        with client.application.test_request_context():
            from flask import url_for

            path = url_for(endpoint)
        response = client.get(path)
        assert response.status_code in (302, 303), f"{path}: {response.status_code}"
        assert "/sign-in" in response.headers["Location"]


def test_the_pages_for_people_outside_need_no_sign_in_and_show_nothing_without_a_link(client):
    assert client.get("/ask-for-help").status_code == 200
    assert client.get("/ask-for-help/sent").status_code == 302, "nothing sent: back to the form"
    for path in ("/refer/made-up", "/refer/sent", "/refer/status/made-up"):
        assert client.get(path).status_code == 404, path
