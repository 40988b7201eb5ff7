"""Follow-ups of recurring support in the browser (a missed visit, a check-in nobody answered): listed on the
coordinator's queue and the safety net's dashboard, closed with a note of what was done
(`referrals.follow_ups.close_follow_up`, audited); who may is `referrals.access.may_work_follow_up`."""

from flask import flash, redirect, request, url_for

from referrals.access import FOLLOW_UP_ROLES
from referrals.errors import Conflict, DomainValidationError
from referrals.follow_ups import close_follow_up
from web.auth import current_principal, roles
from web.blueprint import blp, db


@blp.post("/follow-ups/<int:follow_up_id>/done")
@roles(*sorted(FOLLOW_UP_ROLES))
def close_follow_up_page(follow_up_id: int):
    principal, session = current_principal(), db()
    try:
        task = close_follow_up(session, follow_up_id, principal, request.form.get("note", "").strip())
    except (Conflict, DomainValidationError) as exc:
        session.rollback()
        flash(f"Follow-up {follow_up_id}: {getattr(exc, 'message', exc)}.", "error")
    else:
        flash(f"Follow-up {task.id} (referral {task.referral_id}) is closed.", "success")
    page = "web.safety_net" if principal.role == "safety_net_officer" else "web.coordinator_queue"
    return redirect(url_for(page, _anchor="section-follow_ups"))
