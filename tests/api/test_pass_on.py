"""Passing work on over HTTP and by text: a hub that holds a referral offers it to one of its volunteers or
to a mutual-aid group it works with (texted like any offer, same timers), keeps it whatever the answer, and
gets it back on a NO or when the offer expires; who may do it (403/404/409/422, one error format); in a hub
network one hub's decline tries the next hub before the council."""

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.passwords import create_user
from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation, Volunteer
from notify.models import OutboxMessage
from referrals.actions import expire_due_offers
from referrals.models import AuditEvent, Offer, Referral
from referrals.passing_on import who_is_doing
from referrals.policy import load_lifecycle_policy
from tests.api.http import act, log
from tests.builders import call, organisation, volunteer
from tests.web.conftest import PASSWORD, Person, sign_in
from texting.replies import InboundText, handle_inbound
from web.directory_changes import set_active

PROBLEM = "application/problem+json"
VERA_PHONE = "+447700900701"
GROUP_PHONE = "+447700900600"  # the small directory's SM1 Mutual Aid lead
POLICY = load_lifecycle_policy()
_sids = itertools.count(1)


@pytest.fixture
def vera(session_factory, directory) -> int:
    """A volunteer of the hub, near the caller, who can do the shopping."""
    return volunteer(session_factory, name="Vera Volunteer", phone=VERA_PHONE, org_id=directory["hub"])


def text(session_factory, body: str, phone: str) -> str:
    inbound = InboundText(sid=f"SM{next(_sids):032x}", from_phone=phone, to_phone="+447700900000", body=body)
    with session_factory() as session:
        return handle_inbound(session, inbound, POLICY)


def held_by_hub(client, helpline, hub) -> dict:
    referral = log(client, helpline)
    return act(client, hub, referral["id"], "accept")


def pass_on(client, headers, referral_id, expected=200, **body) -> dict:
    return act(client, headers, referral_id, "pass-on", expected, **body)


def offer_texted(session, referral_id: int) -> OutboxMessage:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.referral_id == referral_id, OutboxMessage.kind == "offer")
        .order_by(OutboxMessage.id.desc())
    ).first()


def test_a_hub_passes_work_to_its_volunteer_who_says_yes_by_text(
    client, helpline, hub, vera, directory, session, session_factory
):
    held = held_by_hub(client, helpline, hub)
    passed = pass_on(client, hub, held["id"], volunteer_id=vera, reason="she lives on the same road")

    assert passed["status"] == "passed_on"
    assert passed["owner_org_id"] == directory["hub"]
    offer = passed["current_offer"]
    assert (offer["kind"], offer["org_id"], offer["volunteer_id"]) == ("pass_on", directory["hub"], vera)
    texted = offer_texted(session, held["id"])
    assert texted.to == VERA_PHONE
    assert offer["task_code"] in texted.body
    assert "Margaret" not in texted.body

    reply = text(session_factory, f"YES {offer['task_code']}", VERA_PHONE)
    assert f"Task {offer['task_code']} is yours" in reply
    session.rollback()  # read what the text did
    row = session.get(Referral, held["id"])
    assert (row.status, row.owner_org_id, row.volunteer_id) == ("accepted", directory["hub"], vera)
    doing = who_is_doing(session, [row])[row.id]
    assert (doing.doing, doing.doing_by_text) == ("Vera Volunteer", True)

    text(session_factory, f"DONE {offer['task_code']}", VERA_PHONE)
    session.rollback()
    session.refresh(row)
    assert (row.status, row.owner_org_id) == ("completed", directory["hub"])
    completed = session.scalars(
        select(AuditEvent).where(AuditEvent.referral_id == row.id, AuditEvent.kind == "referral.completed")
    ).one()
    assert (completed.actor_org_id, completed.payload["volunteer_id"]) == (directory["hub"], vera)


def test_the_volunteers_no_by_text_brings_it_back_to_the_hub(
    client, helpline, hub, vera, directory, session, session_factory
):
    held = held_by_hub(client, helpline, hub)
    code = pass_on(client, hub, held["id"], volunteer_id=vera)["current_offer"]["task_code"]

    assert "We'll ask someone else" in text(session_factory, f"NO {code}", VERA_PHONE)
    back = client.get(f"/api/v1/referrals/{held['id']}", headers=hub).get_json()
    session.rollback()
    assert (back["status"], back["owner_org_id"], back["volunteer_id"]) == (
        "accepted",
        directory["hub"],
        None,
    )
    assert back["current_offer"] is None
    assert "referral.pass_on_declined" in [event["kind"] for event in back["timeline"]]
    row = session.get(Referral, held["id"])
    doing = who_is_doing(session, [row])[row.id]
    assert (doing.came_back_from, doing.came_back) == ("Vera Volunteer", "declined by text")
    act(client, hub, held["id"], "start")  # the hub does it itself: nothing has "come back" any more
    session.rollback()
    assert who_is_doing(session, [session.get(Referral, held["id"])])[held["id"]].came_back == ""


def test_an_unanswered_pass_on_expires_back_to_the_hub_on_the_worker_sweep(
    client, helpline, hub, vera, directory, session_factory
):
    held = act(client, hub, held_by_hub(client, helpline, hub)["id"], "start")
    pass_on(client, hub, held["id"], volunteer_id=vera)
    with session_factory() as session:
        assert expire_due_offers(session, POLICY) == 0
        assert expire_due_offers(session, POLICY, now=utcnow() + timedelta(hours=49)) == 1
        row = session.get(Referral, held["id"])
        assert (row.status, row.owner_org_id, row.volunteer_id) == ("in_progress", directory["hub"], None)
        offer = session.scalars(
            select(Offer).where(Offer.referral_id == row.id, Offer.kind == "pass_on")
        ).one()
        assert offer.status == "expired"
        assert who_is_doing(session, [row])[row.id].came_back == "did not answer in time"


def test_a_group_the_hub_works_with_takes_the_work_by_text_and_sees_the_person(
    client, helpline, hub, directory, headers_for, session, session_factory
):
    held = held_by_hub(client, helpline, hub)
    passed = pass_on(client, hub, held["id"], org_id=directory["mutual_aid"])
    offer = passed["current_offer"]
    assert (offer["org_id"], offer["volunteer_id"]) == (directory["mutual_aid"], None)
    assert offer_texted(session, held["id"]).to == GROUP_PHONE
    group = headers_for("hub_coordinator", directory["mutual_aid"])
    before = client.get(f"/api/v1/referrals/{held['id']}", headers=group).get_json()
    assert before["personal_details"] is False

    text(session_factory, f"YES {offer['task_code']}", GROUP_PHONE)
    taken = client.get(f"/api/v1/referrals/{held['id']}", headers=group).get_json()
    assert (taken["status"], taken["owner_org_id"]) == ("accepted", directory["hub"])
    assert (taken["assigned_org_id"], taken["personal_details"]) == (directory["mutual_aid"], True)
    act(client, group, held["id"], "transfer", 403, to_org_id=directory["food_bank"], reason="no")

    assert "is marked done" in text(session_factory, f"DONE {offer['task_code']}", GROUP_PHONE)
    done = client.get(f"/api/v1/referrals/{held['id']}", headers=hub).get_json()
    assert (done["status"], done["owner_org_id"]) == ("completed", directory["hub"])


def test_the_first_volunteers_done_finishes_the_work_while_a_second_pass_on_waits(
    client, helpline, hub, vera, directory, session, session_factory
):
    held = act(client, hub, held_by_hub(client, helpline, hub)["id"], "start")
    first = pass_on(client, hub, held["id"], volunteer_id=vera)["current_offer"]["task_code"]
    text(session_factory, f"YES {first}", VERA_PHONE)
    other = volunteer(session_factory, name="Walter", phone="+447700900702", org_id=directory["hub"])
    second = pass_on(client, hub, held["id"], volunteer_id=other)["current_offer"]["task_code"]

    assert "is marked done" in text(session_factory, f"DONE {first}", VERA_PHONE)
    done = client.get(f"/api/v1/referrals/{held['id']}", headers=hub).get_json()
    assert (done["status"], done["volunteer_id"], done["current_offer"]) == ("completed", vera, None)
    session.rollback()
    withdrawn = session.scalars(select(Offer).where(Offer.task_code == second)).one()
    assert withdrawn.status == "withdrawn"
    assert "no longer open" in text(session_factory, f"YES {second}", "+447700900702")


@pytest.mark.parametrize("who", ["volunteer", "group"])
def test_deactivating_whoever_is_doing_the_work_brings_it_back_to_the_holder(
    who, client, helpline, hub, vera, directory, session, session_factory
):
    held = held_by_hub(client, helpline, hub)
    target = {"volunteer_id": vera} if who == "volunteer" else {"org_id": directory["mutual_aid"]}
    phone = VERA_PHONE if who == "volunteer" else GROUP_PHONE
    code = pass_on(client, hub, held["id"], **target)["current_offer"]["task_code"]
    text(session_factory, f"YES {code}", phone)
    with session_factory() as admin_session:
        admin = Principal(token_id=None, name="Ada Admin", role="admin", org_id=None)
        model = Volunteer if who == "volunteer" else Organisation
        row = admin_session.get(model, vera if who == "volunteer" else directory["mutual_aid"])
        assert set_active(admin_session, admin, row, False)

    session.rollback()
    back = session.get(Referral, held["id"])
    assert (back.status, back.owner_org_id, back.volunteer_id, back.assigned_org_id) == (
        "accepted",
        directory["hub"],
        None,
        None,
    )
    doing = who_is_doing(session, [back])[back.id]
    assert doing.came_back == "was deactivated in the directory"
    assert doing.came_back_from == ("Vera Volunteer" if who == "volunteer" else "SM1 Mutual Aid")
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == back.id, AuditEvent.kind == "referral.doer_deactivated"
        )
    ).one()
    assert event.actor_role == "admin"
    assert "is no longer open with you" in text(session_factory, f"DONE {code}", phone)


def test_work_not_started_waits_for_the_answer_to_a_pass_on(client, helpline, hub, vera):
    held = held_by_hub(client, helpline, hub)
    pass_on(client, hub, held["id"], volunteer_id=vera)
    refused = act(client, hub, held["id"], "complete", 409, outcome_codes=["shopping_delivered"])
    assert "had not started when it was passed on" in refused["detail"]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert (body["status"], bool(body["title"])) == (status, True)
    return body


def post(client, headers, referral_id, **body):
    return client.post(f"/api/v1/referrals/{referral_id}/pass-on", json=body, headers=headers)


def test_who_may_pass_work_on_is_the_access_rules(client, helpline, hub, food_bank, officer, vera):
    offered = log(client, helpline)
    problem(post(client, hub, offered["id"], volunteer_id=vera), 409)  # not accepted yet
    held = act(client, hub, offered["id"], "accept")
    problem(post(client, helpline, held["id"], volunteer_id=vera), 403)  # the role may not
    problem(post(client, officer, held["id"], volunteer_id=vera), 403)  # the council transfers instead
    problem(post(client, food_bank, held["id"], volunteer_id=vera), 404)  # not theirs to see
    pass_on(client, hub, held["id"], volunteer_id=vera)
    problem(post(client, hub, held["id"], volunteer_id=vera), 409)  # already passed on


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "volunteer_id"),
        ({"volunteer_id": "VOLUNTEER", "org_id": "GROUP"}, "volunteer_id"),
        ({"volunteer_id": "OTHER_VOLUNTEER"}, "volunteer_id"),
        ({"org_id": "FOOD_BANK"}, "org_id"),
        ({"org_id": "ARMS_LENGTH"}, "org_id"),
        ({"org_id": "FAR_GROUP"}, "org_id"),
        ({"volunteer_id": 999_999}, "volunteer_id"),
    ],
)
def test_only_the_hubs_own_volunteers_and_groups_it_works_with_422(
    client, helpline, hub, vera, directory, session_factory, body, field
):
    ids = {
        "VOLUNTEER": vera,
        "GROUP": directory["mutual_aid"],
        "OTHER_VOLUNTEER": directory["volunteer"],  # a volunteer of the mutual-aid group, not the hub's
        "FOOD_BANK": directory["food_bank"],
        "ARMS_LENGTH": organisation(
            session_factory,
            name="Arm's length",
            kind="mutual_aid",
            mutual_aid_mode="arms_length",
            contact_phone="+447700900650",
        ),
        "FAR_GROUP": organisation(
            session_factory,
            name="SM5 Mutual Aid",
            kind="mutual_aid",
            mutual_aid_mode="integrated",
            coverage_outcodes=["SM5"],
            contact_phone="+447700900651",
        ),
    }
    held = held_by_hub(client, helpline, hub)
    body = {key: ids.get(value, value) for key, value in body.items()}
    answer = problem(post(client, hub, held["id"], **body), 422)
    assert field in answer["errors"]
    after = client.get(f"/api/v1/referrals/{held['id']}", headers=hub).get_json()
    assert (after["status"], after["current_offer"]) == ("accepted", None)


def test_a_volunteer_who_does_not_fit_the_task_is_not_offered_it(
    client, helpline, hub, directory, session_factory
):
    driver_only = volunteer(
        session_factory, name="Dan", phone="+447700900702", org_id=directory["hub"], skills=["befriending"]
    )
    held = held_by_hub(client, helpline, hub)
    answer = problem(post(client, hub, held["id"], volunteer_id=driver_only), 422)
    assert "skill" in answer["errors"]["volunteer_id"][0]


def test_in_a_hub_network_one_hubs_decline_tries_the_next_hub_before_the_council(
    client, helpline, hub, headers_for, directory, session_factory
):
    """Reproduced first: with one hub covering SM1 and another hub of Sutton's network covering SM5, the first
    hub's decline escalated straight to the council's safety-net team."""
    other_hub = organisation(session_factory, name="Carshalton Hub", coverage_outcodes=["SM5"])
    referral = log(client, helpline)
    assert referral["current_offer"]["org_id"] == directory["hub"]

    declined = act(client, hub, referral["id"], "decline", reason="no one free this week")
    assert declined["status"] == "offered"
    assert declined["current_offer"]["org_id"] == other_hub
    again = act(client, headers_for("hub_coordinator", other_hub), referral["id"], "decline", reason="full")
    assert (again["status"], again["owner_org_id"]) == ("escalated", directory["sutton_safety_net"])


def test_the_holders_queue_shows_the_work_passed_on_and_the_group_sees_what_it_does(
    client, helpline, hub, vera, headers_for, directory, session_factory
):
    held = held_by_hub(client, helpline, hub)
    pass_on(client, hub, held["id"], volunteer_id=vera)
    queue = client.get("/api/v1/queue", headers=hub).get_json()
    assert queue["offers"] == [], "its own pass-on is not an offer to itself"
    [work] = queue["work"]
    assert work["held_by"] == (
        "Sutton Central Hub holds it and has passed the work on to Vera Volunteer of Sutton Central Hub, "
        "who is texted the offer"
    )
    assert work["due_what"] == "Vera Volunteer of Sutton Central Hub to answer"
    text(session_factory, f"YES {pass_on_code(session_factory, held['id'])}", VERA_PHONE)
    [work] = client.get("/api/v1/queue", headers=hub).get_json()["work"]
    assert work["held_by"] == "Accepted by Vera Volunteer of Sutton Central Hub; not started yet"

    other = log(client, helpline, resident={"name": "Albert Group", "phone": "07700 900655"})
    act(client, hub, other["id"], "accept")
    pass_on(client, hub, other["id"], org_id=directory["mutual_aid"])
    group = headers_for("hub_coordinator", directory["mutual_aid"])
    offered = client.get("/api/v1/queue", headers=group).get_json()
    assert [item["referral"]["id"] for item in offered["offers"]] == [other["id"]]
    act(client, group, other["id"], "accept")
    [doing] = client.get("/api/v1/queue", headers=group).get_json()["work"]
    assert doing["referral"]["id"] == other["id"]
    assert doing["held_by"] == "Accepted by SM1 Mutual Aid, for Sutton Central Hub; not started yet"


def pass_on_code(session_factory, referral_id: int) -> str:
    with session_factory() as session:
        return session.scalar(
            select(Offer.task_code).where(Offer.referral_id == referral_id, Offer.status == "pending")
        )


def test_the_api_lists_the_same_targets_as_the_page_by_the_same_rule(
    client, app, helpline, hub, food_bank, vera, directory, session_factory
):
    held = held_by_hub(client, helpline, hub)
    listed = client.get(f"/api/v1/referrals/{held['id']}/pass-on-targets", headers=hub)
    assert listed.status_code == 200
    keys = [target["key"] for target in listed.get_json()]
    assert keys == [f"volunteer:{vera}", f"group:{directory['mutual_aid']}"]

    with session_factory() as session:
        create_user(
            session,
            username="hub-page",
            display_name="Hub Page",
            password=PASSWORD,
            role="hub_coordinator",
            org_id=directory["hub"],
        )
    browser = app.test_client()
    assert sign_in(browser, Person("hub-page", "hub_coordinator", directory["hub"])).status_code == 302
    page = browser.get(f"/referrals/{held['id']}").get_data(as_text=True)
    assert re.findall(r'<option value="((?:volunteer|group):\d+)"', page) == keys, "one rule, two doors"

    other = client.get(f"/api/v1/referrals/{held['id']}/pass-on-targets", headers=food_bank)
    assert other.status_code == 404
    pass_on(client, hub, held["id"], volunteer_id=vera)
    waiting = client.get(f"/api/v1/referrals/{held['id']}/pass-on-targets", headers=hub)
    assert waiting.status_code == 409, "already passed on: nothing to choose until it comes back"


def test_the_partner_who_referred_is_not_told_the_volunteers_name(client, hub, vera, headers_for):
    partner = headers_for("partner_referrer")
    made = client.post("/api/v1/referrals", json=call(channel="partner_referral"), headers=partner).get_json()
    act(client, hub, made["id"], "accept")
    pass_on(client, hub, made["id"], volunteer_id=vera)
    [item] = client.get("/api/v1/queue", headers=partner).get_json()["referred"]
    assert "Vera" not in item["held_by"]
    assert "passed the work on to a volunteer of Sutton Central Hub" in item["held_by"]


def test_volunteer_loads_count_many_volunteers_at_once_as_one_is_counted(
    client, helpline, hub, vera, directory, session, session_factory
):
    from referrals.snapshot import volunteer_load, volunteer_loads

    walter = volunteer(session_factory, name="Walter", phone="+447700900702", org_id=directory["hub"])
    waiting = held_by_hub(client, helpline, hub)
    pass_on(client, hub, waiting["id"], volunteer_id=vera)
    doing = act(client, hub, held_by_hub(client, helpline, hub)["id"], "start")
    code = pass_on(client, hub, doing["id"], volunteer_id=vera)["current_offer"]["task_code"]
    text(session_factory, f"YES {code}", VERA_PHONE)
    session.rollback()

    now = utcnow()
    loads = volunteer_loads(session, [vera, walter, vera], now)

    assert loads == {vera: (2, 2), walter: (0, 0)}  # one offer waiting, one referral she is doing
    assert all(loads[who] == volunteer_load(session, who, now) for who in (vera, walter))
    assert volunteer_loads(session, [], now) == {}
