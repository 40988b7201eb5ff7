"""Follow-ups in the browser (a missed visit, a check-in nobody answered, a one-off check-in call finished as
no answer): listed on the coordinator's queue and the safety net's dashboard, closed with a note of what was
done and, for a call nobody answered, whether they reached the person (`referrals.actions.work_follow_up`,
audited; a second no answer goes to the safety net); who may is `referrals.access.may_work_follow_up`."""

from flask import current_app, flash, redirect, request, url_for

from referrals.access import FOLLOW_UP_ROLES
from referrals.actions import work_follow_up
from referrals.errors import Conflict, DomainValidationError
from referrals.follow_through import ESCALATED
from web.auth import current_principal, roles
from web.blueprint import blp, db


@blp.post("/follow-ups/<int:follow_up_id>/done")
@roles(*sorted(FOLLOW_UP_ROLES))
def close_follow_up_page(follow_up_id: int):
    principal, session = current_principal(), db()
    policy = current_app.extensions["oneroute"].lifecycle_policy
    note, outcome = request.form.get("note", "").strip(), request.form.get("outcome", "")
    try:
        task = work_follow_up(session, follow_up_id, principal, policy, note, outcome)
    except (Conflict, DomainValidationError) as exc:
        session.rollback()
        flash(f"Follow-up {follow_up_id}: {getattr(exc, 'message', exc)}.", "error")
    else:
        if task.status == ESCALATED:
            flash(
                f"No answer again: follow-up {task.id} (referral {task.referral_id}) goes to the safety net.",
                "success",
            )
        else:
            flash(f"Follow-up {task.id} (referral {task.referral_id}) is closed.", "success")
    page = "web.safety_net" if principal.role == "safety_net_officer" else "web.coordinator_queue"
    return redirect(url_for(page, _anchor="section-follow_ups"))
