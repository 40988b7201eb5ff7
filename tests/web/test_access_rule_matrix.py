"""One rule, every door. For every role × referral state × relation (own organisation, offered, previously
offered, another organisation of the same council, another council; the partner's own or not) × action, the
access module's answer (`referrals.access`) is exactly what each door does:

- the API's action POST succeeds where the module allows it and otherwise answers 404 (not visible), 403
  (the role may not, or not theirs) or 409 (not in this state);
- the web page shows exactly the allowed buttons, and its POST accepts exactly those (same statuses);
- reads (API and page) are 404 where the module says not visible, and show the person's details and the
  call notes exactly where it says so.

Referrals are built through the API as people would build them; every allowed action is carried out on a
freshly built referral, through each door, so no case depends on another."""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from accounts.passwords import create_user
from accounts.tokens import authenticate
from directory.models import Organisation
from referrals import access
from referrals.models import Offer, Referral
from referrals.reading import organisation_facts
from tests.builders import auth, call, organisation, token_for
from tests.web.conftest import PASSWORD, Person, csrf_token, sign_in

REASON = "the matrix test says so"
OUTCOME = "help_given"
STATUS_FOR = {
    access.Why.NOT_VISIBLE: 404,
    access.Why.ROLE: 403,
    access.Why.NOT_YOURS: 403,
    access.Why.STATE: 409,
}
BUTTON = re.compile(r'action="/referrals/\d+/actions/([a-z_]+)"')
NAME = "Matrix Resident"
SECRET = "Key safe 4471"  # in the call notes: never shown to those who may not read them


@dataclass
class Who:
    role: str
    org: str | None  # a key of the directory
    web: bool = True


WHO = {
    "helpline": Who("helpline_staff", None),
    "hub": Who("hub_coordinator", "hub"),
    "food_bank": Who("hub_coordinator", "food_bank"),
    "coventry_hub": Who("hub_coordinator", "coventry_hub"),
    "group": Who("hub_coordinator", "mutual_aid"),  # the mutual-aid group the hub passes work on to
    "officer": Who("safety_net_officer", "sutton_safety_net"),
    "coventry_officer": Who("safety_net_officer", "coventry_safety_net"),
    "admin": Who("admin", None),
    "partner": Who("partner_referrer", None, web=False),
}


@pytest.fixture
def world(app, session_factory, directory):
    directory = {**directory}
    directory["coventry_hub"] = organisation(
        session_factory, name="Coventry Hub", area="coventry", coverage_outcodes=["CV1"]
    )
    with session_factory() as session:  # room for every referral the test builds
        for key in ("hub", "food_bank"):
            session.get(Organisation, directory[key]).capacity = 100_000
        session.commit()
    tokens, clients = {}, {}
    for key, who in WHO.items():
        org_id = directory[who.org] if who.org else None
        tokens[key] = token_for(session_factory, who.role, org_id, name=f"matrix {key}")
        if who.web:
            with session_factory() as session:
                create_user(
                    session,
                    username=f"matrix-{key}",
                    display_name=key,
                    password=PASSWORD,
                    role=who.role,
                    org_id=org_id,
                )
            client = app.test_client()
            assert sign_in(client, Person(f"matrix-{key}", who.role, org_id)).status_code == 302
            clients[key] = client
    with session_factory() as session:
        organisations = organisation_facts(session)
    return {"directory": directory, "tokens": tokens, "clients": clients, "organisations": organisations}


class Builder:
    """Referrals in each state, made through the API by the people who would make them."""

    def __init__(self, client, world):
        self.client, self.world = client, world

    def api(self, key: str, path: str, body: dict | None = None):
        response = self.client.post(path, json=body or {}, headers=auth(self.world["tokens"][key]))
        assert response.status_code in (200, 201), (path, key, response.get_json())
        return response.get_json()

    def new(self, by: str = "helpline", **fields) -> int:
        body = call(resident={"name": NAME}, notes=f"Needs shopping picked up this week. {SECRET}.", **fields)
        referral = self.api(by, "/api/v1/referrals", body)
        assert referral["current_offer"]["org_id"] == self.world["directory"]["hub"]
        return referral["id"]

    def act(self, key: str, referral_id: int, name: str, body: dict | None = None) -> int:
        self.api(key, f"/api/v1/referrals/{referral_id}/{name}", body)
        return referral_id

    def offered(self) -> int:
        return self.new()

    def by_partner(self) -> int:
        return self.new(by="partner")

    def accepted(self) -> int:
        return self.act("hub", self.new(), "accept")

    def in_progress(self) -> int:
        return self.act("hub", self.accepted(), "start")

    def recurring(self) -> int:
        referral_id = self.new(recurrence={"every_days": 7, "count": 3})
        return self.act("hub", self.act("hub", referral_id, "accept"), "start")

    def declined_by_hub(self) -> int:
        return self.act("hub", self.new(), "decline", {"reason": REASON})

    def transfer_pending(self) -> int:
        body = {"to_org_id": self.world["directory"]["food_bank"], "reason": REASON}
        return self.act("hub", self.in_progress(), "transfer", body)

    def transfer_to_council_pending(self) -> int:
        body = {"to_org_id": self.world["directory"]["sutton_safety_net"], "reason": REASON}
        return self.act("hub", self.in_progress(), "transfer", body)

    def recurring_transfer_pending(self) -> int:
        body = {"to_org_id": self.world["directory"]["food_bank"], "reason": REASON}
        return self.act("hub", self.recurring(), "transfer", body)

    def passed_on_to_group(self) -> int:
        body = {"org_id": self.world["directory"]["mutual_aid"], "reason": REASON}
        return self.act("hub", self.in_progress(), "pass-on", body)

    def taken_by_group(self) -> int:
        return self.act("group", self.passed_on_to_group(), "accept")

    def consent_withdrawn(self) -> int:
        body = {"consent_to_share": False, "reason": REASON}
        return self.act("helpline", self.accepted(), "consent", body)

    def transferred_and_taken(self) -> int:
        return self.act("food_bank", self.transfer_pending(), "accept")

    def escalated(self) -> int:
        return self.act("helpline", self.new(), "escalate", {"reason": REASON})

    def held_by_safety_net(self) -> int:
        return self.act("officer", self.escalated(), "accept")

    def completed(self) -> int:
        return self.act("hub", self.in_progress(), "complete", {"outcome_code": OUTCOME})

    def cancelled(self) -> int:
        return self.act("helpline", self.new(), "cancel", {"reason": REASON})


STATES: dict[str, Callable[[Builder], int]] = {
    "offered to the hub": Builder.offered,
    "referred by the partner": Builder.by_partner,
    "accepted by the hub": Builder.accepted,
    "in progress with the hub": Builder.in_progress,
    "recurring, in progress": Builder.recurring,
    "declined by the hub": Builder.declined_by_hub,
    "transfer to the food bank pending": Builder.transfer_pending,
    "transfer to the council team pending": Builder.transfer_to_council_pending,
    "recurring, transfer to the food bank pending": Builder.recurring_transfer_pending,
    "transferred to the food bank": Builder.transferred_and_taken,
    "passed on by the hub to the mutual-aid group": Builder.passed_on_to_group,
    "taken on by the mutual-aid group for the hub": Builder.taken_by_group,
    "consent withdrawn, held by the safety net": Builder.consent_withdrawn,
    "escalated to the safety net": Builder.escalated,
    "held by the safety net": Builder.held_by_safety_net,
    "completed": Builder.completed,
    "cancelled": Builder.cancelled,
}


def facts(session_factory, referral_id: int):
    with session_factory() as session:
        referral = session.get(Referral, referral_id)
        offer = session.scalar(
            select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending")
        )
        session.expunge_all()
    return referral, offer


def principal_of(session_factory, token: str):
    with session_factory() as session:
        return authenticate(session, token)


def api_body(world, referral, name: str) -> tuple[str, dict]:
    path = f"/api/v1/referrals/{referral.id}/{name}"
    if name in ("decline", "cancel", "escalate"):
        return path, {"reason": REASON}
    if name in ("complete", "close"):
        return path, {"outcome_code": OUTCOME}
    if name == "record_occurrence":
        pending = access.pending_occurrences(referral)
        index = pending[0]["index"] if pending else 0
        return f"/api/v1/referrals/{referral.id}/occurrences/{index}", {"outcome_code": OUTCOME}
    if name == "transfer":
        return path, {"to_org_id": transfer_target(world, referral), "reason": REASON}
    if name == "pass_on":
        return f"/api/v1/referrals/{referral.id}/pass-on", {"org_id": world["directory"]["mutual_aid"]}
    return path, {}


def web_form(world, referral, name: str) -> dict:
    form = {f"{name}-reason": REASON, f"{name}-outcome_code": OUTCOME, f"{name}-outcome_codes": OUTCOME}
    form[f"{name}-note"] = ""
    if name == "transfer":
        form[f"{name}-to_org_id"] = str(transfer_target(world, referral))
    if name == "pass_on":
        form[f"{name}-pass_to"] = f"group:{world['directory']['mutual_aid']}"
    pending = access.pending_occurrences(referral)
    if pending:
        form["occurrence_index"] = str(pending[0]["index"])
    return form


def transfer_target(world, referral) -> int:
    """An organisation the rule lets this referral go to (the food bank or the hub), else the food bank."""
    allowed = [org.id for org in access.transfer_targets(referral, world["organisations"])]
    directory = world["directory"]
    for key in ("food_bank", "hub"):
        if directory[key] in allowed:
            return directory[key]
    return directory["food_bank"]


def group_target(world) -> access.PassOnTarget:
    """The mutual-aid group every pass-on in the matrix names: it covers the person and has a lead's phone."""
    [group] = [org for org in world["organisations"] if org.id == world["directory"]["mutual_aid"]]
    return access.PassOnTarget(org=group)


def web_post(client, referral_id: int, name: str, form: dict):
    token = csrf_token(client, "/sign-in")
    return client.post(f"/referrals/{referral_id}/actions/{name}", data={**form, "csrf_token": token})


# The states in four parts, so the parts run on separate test workers side by side (each part builds its own
# world); together they cover every state.
PARTS = 4
PART_OF_STATE = {name: index % PARTS for index, name in enumerate(STATES)}


def test_the_parts_cover_every_state_once():
    assert sorted(PART_OF_STATE) == sorted(STATES)
    assert set(PART_OF_STATE.values()) == set(range(PARTS))


@pytest.mark.parametrize("part", range(PARTS))
def test_every_door_answers_as_the_access_rule_says(client, world, session_factory, part):
    builder = Builder(client, world)
    problems: list[str] = []
    cases = 0
    states = {name: build for name, build in STATES.items() if PART_OF_STATE[name] == part}
    for state_name, build in states.items():
        shared = build(builder)
        for key, who in WHO.items():
            token = world["tokens"][key]
            principal = principal_of(session_factory, token)
            referral, offer = facts(session_factory, shared)
            where = f"{state_name} / {key}"

            # Reads: the API and the page.
            cases += 1
            visible = access.may_see(principal, referral, offer)
            personal = access.sees_personal_details(principal, referral, offer)
            read = client.get(f"/api/v1/referrals/{shared}", headers=auth(token))
            if not visible:
                if read.status_code != 404:
                    problems.append(f"{where}: API read {read.status_code}, expected 404")
            else:
                shown = read.get_json()
                if read.status_code != 200 or shown["personal_details"] != personal:
                    problems.append(f"{where}: API read {read.status_code}, personal {personal} expected")
                elif (shown["resident"].get("name") == NAME) != personal or (
                    shown["notes"] is None
                ) == personal:
                    problems.append(f"{where}: API shows name/notes {shown['resident'].get('name')!r}")
                elif not personal and (NAME in str(shown) or SECRET in str(shown)):
                    problems.append(f"{where}: the name or the notes appear somewhere in the API answer")
                matched = [e["data"] for e in shown.get("timeline", []) if e["kind"] == "referral.matched"]
                if any("candidates" in data for data in matched) != access.sees_match_results(principal):
                    problems.append(f"{where}: matching results shown: {bool(matched)}")
            allowed = set(access.allowed_actions(principal, referral, offer))
            if who.web:
                cases += 1
                page = world["clients"][key].get(f"/referrals/{shared}")
                expected_page = 200 if visible else 404
                if page.status_code != expected_page:
                    problems.append(f"{where}: page {page.status_code}, expected {expected_page}")
                elif visible:
                    text = page.get_data(as_text=True)
                    buttons = set(BUTTON.findall(text))
                    if buttons != allowed:
                        problems.append(f"{where}: buttons {sorted(buttons)}, rule allows {sorted(allowed)}")
                    if (NAME in text) != personal or (SECRET in text) != personal:
                        problems.append(f"{where}: page shows the name or notes, personal {personal}")

            # Actions: each door does exactly what the rule says.
            for name in access.ACTIONS:
                cases += 1
                refused = access.refusal(principal, referral, offer, name)
                doors = ["api", "web"] if who.web else ["api"]
                for door in doors:
                    target = build(builder) if refused is None else shared
                    row, _ = facts(session_factory, target)
                    if door == "api":
                        path, body = api_body(world, row, name)
                        status = client.post(path, json=body, headers=auth(token)).status_code
                        ok = status == 200
                    else:
                        response = web_post(world["clients"][key], target, name, web_form(world, row, name))
                        status = response.status_code
                        ok = status == 302
                    expected = "success" if refused is None else STATUS_FOR[refused.why]
                    no_target = name == "transfer" and not access.transfer_targets(
                        row, world["organisations"]
                    )
                    if name == "pass_on":
                        no_target = access.pass_on_refusal(row, group_target(world)) is not None
                    if refused is None and no_target:
                        expected = 422  # allowed, but no organisation may receive it: the target is refused
                    if (expected == "success" and not ok) or (expected != "success" and status != expected):
                        problems.append(f"{where} / {name} by {door}: {status}, expected {expected}")
                    if expected != "success" and ok:
                        shared = build(builder)  # it changed: rebuild what the next cases look at
    assert problems == [], "\n".join(problems)
    assert cases >= len(states) * len(WHO) * len(access.ACTIONS)
