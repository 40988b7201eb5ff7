"""The safety net's dashboard: who holds each referral now, the time left on it, and everything late or
waiting on the safety net in one list (issue 19)."""

from datetime import date, timedelta

from sqlalchemy import select

from accounts.tokens import SYSTEM, authenticate
from db.base import utcnow
from referrals.models import Offer, Referral
from referrals.oversight import safety_net_dashboard
from referrals.policy import load_lifecycle_policy
from tests.api.http import act, log
from tests.builders import call, volunteer
from texting.phone_calls import record_call
from texting.phone_tasks import raise_phone_task

POLICY = load_lifecycle_policy()


def principal(session, headers):
    return authenticate(session, headers["Authorization"].removeprefix("Bearer "))


def dashboard(client, officer) -> dict:
    response = client.get("/api/v1/safety-net", headers=officer)
    assert response.status_code == 200
    return response.get_json()


def late(board: dict) -> dict[tuple[int, str], dict]:
    return {(item["referral"]["id"], item["kind"]): item for item in board["late"]}


def test_an_offered_referral_says_who_is_offered_it_and_who_holds_it_with_the_time_left(
    client, helpline, hub
):
    referral = log(client, helpline)
    queue = client.get("/api/v1/queue", headers=hub).get_json()
    offered = next(item for item in queue["offers"] if item["referral"]["id"] == referral["id"])
    assert offered["held_by"].startswith("Offered to Sutton Central Hub;")
    assert "safety" in offered["held_by"].casefold()
    assert offered["due_what"] == "Sutton Central Hub to answer"
    assert 0 < offered["due_seconds_left"] <= 48 * 3600


def test_accepted_work_says_who_has_it_and_has_no_deadline(client, helpline, hub):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    item = client.get("/api/v1/queue", headers=hub).get_json()["work"][0]
    assert item["referral"]["id"] == referral["id"]
    assert item["held_by"] == "Accepted by Sutton Central Hub; not started yet"
    assert item["due_at"] is None


def test_an_escalation_untouched_past_its_time_is_late_with_who_holds_it(
    client, helpline, hub, officer, session_factory
):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "decline", reason="no volunteers free this week")
    board = dashboard(client, officer)
    escalation = next(i for i in board["escalations"] if i["referral"]["id"] == referral["id"])
    assert escalation["held_by"].startswith("Escalated to ")
    assert escalation["due_seconds_left"] > 0, "routine: 48 hours to act"
    assert (referral["id"], "escalation") not in late(board)

    with session_factory() as session:  # the trail is append-only, so the clock moves on instead: 49 hours
        board = safety_net_dashboard(
            session,
            principal(session, officer),
            now=utcnow() + timedelta(hours=49),
            policy=load_lifecycle_policy(),
        )
    found = [item for item in board["late"] if item.referral.id == referral["id"]]
    assert [item.kind for item in found] == ["escalation"]
    assert found[0].due_seconds_left < 0


def test_a_transfer_waiting_and_one_past_its_time_are_listed(
    client, helpline, hub, food_bank, officer, directory, session_factory
):
    waiting = log(client, helpline)
    act(client, hub, waiting["id"], "accept")
    act(client, hub, waiting["id"], "transfer", to_org_id=directory["food_bank"], reason="they have a van")
    overdue = log(client, helpline, resident={"name": "Second Person", "phone": "07700 900777"})
    act(client, hub, overdue["id"], "accept")
    act(client, hub, overdue["id"], "transfer", to_org_id=directory["food_bank"], reason="they have a van")
    with session_factory() as session:
        offer = session.scalar(
            select(Offer).where(Offer.referral_id == overdue["id"], Offer.kind == "transfer")
        )
        offer.expires_at = utcnow() - timedelta(minutes=10)
        session.commit()

    listed = late(dashboard(client, officer))
    assert listed[(waiting["id"], "transfer")]["late_since"] is None
    assert listed[(waiting["id"], "transfer")]["due_seconds_left"] > 0
    assert listed[(overdue["id"], "transfer")]["late_since"] is not None
    assert listed[(overdue["id"], "transfer")]["due_seconds_left"] < 0
    assert "has offered it to Sutton Food Bank by transfer" in listed[(overdue["id"], "transfer")]["held_by"]
    assert next(key for key in listed if key[1] == "transfer") == (overdue["id"], "transfer"), (
        "most late first"
    )


def test_a_missed_visit_of_a_recurring_plan_is_late(
    client, helpline, hub, officer, directory, session_factory
):
    referral = log(
        client,
        helpline,
        notes="Lonely, would like a weekly check-in call",
        recurrence={"every_days": 7, "count": 3},
    )
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    assert (referral["id"], "missed_call") not in late(dashboard(client, officer))
    with session_factory() as session:
        row = session.get(Referral, referral["id"])
        first = row.occurrences[0]
        row.occurrences = [
            {**first, "due_at": (utcnow() - timedelta(days=2)).isoformat()},
            *row.occurrences[1:],
        ]
        session.commit()
    item = late(dashboard(client, officer))[(referral["id"], "missed_call")]
    assert item["what"] == "1 visit(s) or call(s) of the recurring plan missed"
    assert item["held_by"] == "Sutton Central Hub is working on it"

    checked = {"dbs_level": "enhanced", "dbs_checked_on": date.today(), "dbs_expires_on": date(2099, 1, 1)}
    volunteer_id = volunteer(session_factory, org_id=directory["hub"], **checked)
    act(client, hub, referral["id"], "pass-on", volunteer_id=volunteer_id)  # waiting for their answer
    item = late(dashboard(client, officer))[(referral["id"], "missed_call")]
    assert item["what"] == "1 visit(s) or call(s) of the recurring plan missed", "still missed meanwhile"


def test_a_phone_task_is_late_listed_and_worked_until_done(client, helpline, officer, session_factory):
    referral = log(client, helpline)
    with session_factory() as session:
        task = raise_phone_task(
            session,
            "+447700900999",
            "the offer text could not be delivered",
            SYSTEM,
            utcnow(),
            referral_id=referral["id"],
        )
        session.commit()
        task_id = task.id
    board = dashboard(client, officer)
    assert (
        late(board)[(referral["id"], "phone_task")]["what"]
        == "Phone a lead: the offer text could not be delivered"
    )
    assert [item["task"]["id"] for item in board["phone_tasks"]] == [task_id]

    with session_factory() as session:
        record_call(session, task_id, principal(session, officer), "no_answer", policy=POLICY)
    assert [item["task"]["id"] for item in dashboard(client, officer)["phone_tasks"]] == [task_id]
    with session_factory() as session:
        record_call(session, task_id, principal(session, officer), "will_do", policy=POLICY, done=True)
    board = dashboard(client, officer)
    assert board["phone_tasks"] == []
    assert (referral["id"], "phone_task") not in late(board)


def test_a_partners_call_that_may_be_someone_known_is_listed(
    client, helpline, headers_for, officer, directory
):
    known = log(client, helpline)
    partner = headers_for("partner_referrer")
    body = call(channel="partner_referral", resident={"name": "Maggie Test"})
    body.pop("new_person", None)
    response = client.post("/api/v1/referrals", json=body, headers=partner)
    assert response.status_code == 201
    listed = late(dashboard(client, officer))
    assert (response.get_json()["id"], "possible_duplicate") in listed
    assert (known["id"], "possible_duplicate") not in listed


def test_another_councils_officer_sees_none_of_it(client, helpline, hub, headers_for, directory):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "decline", reason="no volunteers free this week")
    coventry = headers_for("safety_net_officer", directory["coventry_safety_net"])
    board = dashboard(client, coventry)
    assert all(item["referral"]["id"] != referral["id"] for item in board["late"] + board["escalations"])


def test_another_councils_many_phone_tasks_do_not_crowd_out_an_officers_own(
    client, helpline, officer, session_factory, monkeypatch
):
    import referrals.oversight

    monkeypatch.setattr(referrals.oversight, "PHONE_TASKS_LISTED", 2)
    coventry = log(client, helpline, resident={"name": "Cora Coventry", "postcode": "CV1 1AH"})
    sutton = log(client, helpline, resident={"name": "Sue Sutton", "phone": "07700 900611"})
    with session_factory() as session:
        for referral_id in (coventry["id"], coventry["id"], coventry["id"], sutton["id"]):
            raise_phone_task(session, "+447700900999", "no reply", SYSTEM, utcnow(), referral_id=referral_id)
        session.commit()
    listed = dashboard(client, officer)["phone_tasks"]
    assert [item["task"]["referral_id"] for item in listed] == [sutton["id"]]


def test_a_referral_lowered_twice_is_listed_once(client, helpline, officer):
    referral = log(client, helpline, notes="Needs food bank referral")
    for tier, reason in (  # lowered, raised again, lowered again
        ("mutual_aid", "A neighbour already brings food, only shopping is needed"),
        ("vcs", "The neighbour has moved away, so the food bank is needed after all"),
        ("mutual_aid", "The neighbour is back and says collecting shopping is all that is needed"),
    ):
        body = {"tier": tier, "reason": reason}
        lowered = client.post(f"/api/v1/referrals/{referral['id']}/triage", json=body, headers=helpline)
        assert lowered.status_code == 200, lowered.get_json()
    kinds = [
        item["kind"]
        for item in dashboard(client, officer)["late"]
        if item["referral"]["id"] == referral["id"]
    ]
    assert kinds.count("lowered_tier") == 1


def test_only_referrals_with_a_plan_are_looked_at_for_missed_visits(client, helpline, session):
    from referrals.oversight import has_plan

    plain = log(client, helpline)
    planned = log(
        client,
        helpline,
        notes="Lonely, would like a weekly check-in call",
        recurrence={"every_days": 7, "count": 2},
        resident={"name": "Percy Plan", "phone": "07700 900613"},
    )
    session.rollback()
    found = session.scalars(select(Referral.id).where(has_plan())).all()
    assert found == [planned["id"]], f"not {plain['id']}, whose plan is stored as JSON null"


def test_the_late_list_a_page_at_a_time_is_the_list_in_full(client, helpline, hub, officer, session_factory):
    """Each kind of late item is read no further than the page needs and the pages are cut from them merged:
    page after page of one item gives the whole list, in order, and the dashboard says how many in all."""
    from referrals.oversight import safety_net_section

    for n in range(3):
        referral = log(client, helpline, resident={"name": f"Person {n}", "phone": f"07700 90088{n}"})
        act(client, hub, referral["id"], "decline", reason="no volunteers free this week")
    later = utcnow() + timedelta(hours=49)
    with session_factory() as session:
        who = principal(session, officer)
        whole = safety_net_section(session, who, "late", now=later, policy=POLICY, per_page=100)
        pages = [
            safety_net_section(session, who, "late", page, now=later, policy=POLICY, per_page=1)
            for page in range(1, whole.total + 2)
        ]
        board = safety_net_dashboard(session, who, now=later, policy=POLICY, listed=2)
    assert whole.total == len(whole.items) >= 3
    assert [(i.referral.id, i.kind) for p in pages for i in p.items] == [
        (i.referral.id, i.kind) for i in whole.items
    ]
    assert pages[-1].items == []
    assert pages[0].pages == whole.total
    assert board["totals"]["late"] == whole.total
    assert [i.referral.id for i in board["late"]] == [i.referral.id for i in whole.items[:2]]
    assert board["totals"]["escalations"] >= 3
    assert len(board["escalations"]) == 2


def test_each_list_in_full_a_page_at_a_time_as_the_page_shows_it(client, helpline, hub, officer, monkeypatch):
    """The API's list pages give what the web's do (`referrals.oversight.safety_net_section`): the
    dashboard holds the first of each list and `totals`, each list is there in full a page at a time."""
    from referrals import oversight

    ids = []
    for n in range(3):
        referral = log(client, helpline, resident={"name": f"Person {n}", "phone": f"07700 90013{n}"})
        act(client, hub, referral["id"], "decline", reason="no volunteers free")
        ids.append(referral["id"])
    monkeypatch.setattr(oversight, "DASHBOARD_LISTED", 2)
    monkeypatch.setattr(oversight, "SECTION_PAGE", 2)

    board = dashboard(client, officer)
    assert [item["referral"]["id"] for item in board["escalations"]] == ids[:2]
    assert board["totals"]["escalations"] == 3

    first = client.get("/api/v1/safety-net/lists/escalations", headers=officer)
    assert first.status_code == 200
    body = first.get_json()
    assert (body["list"], body["page"], body["pages"], body["per_page"], body["total"]) == (
        "escalations",
        1,
        2,
        2,
        3,
    )
    assert [item["referral"]["id"] for item in body["escalations"]] == ids[:2]
    second = client.get("/api/v1/safety-net/lists/escalations?page=2", headers=officer).get_json()
    assert [item["referral"]["id"] for item in second["escalations"]] == ids[2:]
    assert "late" not in second

    past = client.get("/api/v1/safety-net/lists/escalations?page=3", headers=officer)
    assert past.status_code == 404
    assert past.content_type == "application/problem+json"
    assert client.get("/api/v1/safety-net/lists/nothing", headers=officer).status_code == 404
    assert client.get("/api/v1/safety-net/lists/late?page=0", headers=officer).status_code == 422
    assert client.get("/api/v1/safety-net/lists/late", headers=hub).status_code == 403
    empty = client.get("/api/v1/safety-net/lists/gaps", headers=officer).get_json()
    assert (empty["gaps"], empty["total"], empty["pages"]) == ([], 0, 1)
