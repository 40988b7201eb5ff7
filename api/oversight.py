from flask import current_app

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import (
    AuditQuerySchema,
    DashboardListQuerySchema,
    DashboardListSchema,
    DashboardSchema,
    FollowUpDoneSchema,
    FollowUpSchema,
    QueueSchema,
    RepeatCallerSchema,
    TimelineEventSchema,
    VerifySchema,
)
from referrals.access import CANDIDATE_READERS
from referrals.actions import work_follow_up
from referrals.audit import verify_trail
from referrals.errors import NotFound
from referrals.oversight import SECTIONS, queue, safety_net_dashboard, safety_net_section
from referrals.reading import audit_timeline, get_referral_for
from referrals.repeat_callers import to_check

blp = api_blueprint(
    "oversight", __name__, url_prefix="/api/v1", description="Queues, the safety net, the audit trail"
)


@blp.get("/queue")
@roles("hub_coordinator", "safety_net_officer", "partner_referrer")
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, QueueSchema)
def coordinator_queue():
    """Your organisation's open offers (with time left), accepted work and escalations it holds, each saying
    who holds it now and when its next answer or action is due. For a partner referrer: `referred`, the
    referrals they made, where each is now and what came of it."""
    return queue(get_session(), current_principal(), policy=_policy())


@blp.get("/safety-net")
@roles("safety_net_officer")
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, DashboardSchema)
def safety_net():
    """Everything late or waiting on the safety net in one list (`late`: offers and transfers,
    escalations untouched past their time, missed visits or calls of recurring plans, phone tasks, lowered
    tiers, partners' calls that may be someone known), then overdue offers, escalations, open safeguarding
    referrals, gaps, calls saved although routing them failed (`routing_problems`, with the problem), open
    phone tasks, and unowned referrals (0 unless an area has no safety-net team). Every item says who holds
    it now (`held_by`) and when its next answer or action is due (`due_at`, `due_seconds_left`)."""
    return safety_net_dashboard(get_session(), current_principal(), policy=_policy())


@blp.get("/safety-net/lists/<string:list_name>")
@roles("safety_net_officer")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(DashboardListQuerySchema, location="query")
@blp.response(200, DashboardListSchema)
def safety_net_list(query, list_name):
    """One of the dashboard's lists in full, a page at a time (`?page=2`), in the dashboard's order:
    `late`, `overdue_offers`, `escalations`, `open_safeguarding`, `gaps` or `routing_problems` (the
    dashboard holds the first 20 of each and `totals`). The page's items are under the list's name, with
    `total` and `pages`. 404 for another name or a page past the last."""
    if list_name not in SECTIONS:
        raise NotFound(f"there is no list {list_name!r}: one of {', '.join(SECTIONS)}")
    listing = safety_net_section(
        get_session(), current_principal(), list_name, query["page"], policy=_policy()
    )
    if query["page"] > listing.pages:
        raise NotFound(f"the list {list_name} has {listing.pages} page(s)")
    return {
        "list": list_name,
        "page": listing.page,
        "pages": listing.pages,
        "per_page": listing.limit,
        "total": listing.total,
        list_name: listing.items,
    }


@blp.post("/follow-ups/<int:follow_up_id>/done")
@roles("hub_coordinator", "safety_net_officer")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(FollowUpDoneSchema)
@blp.response(200, FollowUpSchema)
def follow_up_done(body, follow_up_id):
    """Close a follow-up (a missed visit, a check-in nobody answered, a one-off check-in call finished as no
    answer), saying what was done and, for a call nobody answered, whether you reached them (`outcome`). The
    second no answer in a row goes to the safety net: the referral is escalated, or, when it is finished,
    the follow-up is (status `escalated`, for the safety net's officers to close). Audited. 404 for one you
    may not work (`referrals.access.may_work_follow_up`), 409 when already done."""
    session, principal = get_session(), current_principal()
    return work_follow_up(session, follow_up_id, principal, _policy(), body["note"], body["outcome"])


def _policy():
    return current_app.extensions["oneroute"].lifecycle_policy


@blp.get("/repeat-callers")
@roles(*sorted(CANDIDATE_READERS))
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, RepeatCallerSchema(many=True))
def repeat_callers():
    """Partner referrals of people who may already be known, waiting for the helpline to check (oldest
    first), each with the known people it may be; settle one with POST /referrals/{id}/repeat-caller."""
    return to_check(get_session(), current_principal())


@blp.get("/audit")
@roles("safety_net_officer", "admin")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, TimelineEventSchema(many=True))
def audit_events(query):
    """Every audited event of one referral, in order."""
    session, principal = get_session(), current_principal()
    referral = get_referral_for(session, query["referral"], principal)
    return audit_timeline(session, referral, principal, "api")[1]


@blp.get("/audit/verify")
@roles("safety_net_officer", "admin")
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, VerifySchema)
def audit_verify():
    """Recompute the hash chain: ok with the count and head hash, or the first broken event."""
    return verify_trail(get_session())
