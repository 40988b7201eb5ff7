"""A coordinator's queue and the safety-net dashboard: lists linking to each referral and its audit trail."""

from flask import flash, redirect, render_template, url_for

from referrals import access
from referrals.errors import Conflict, Forbidden
from referrals.oversight import queue, safety_net_dashboard
from referrals.passing_on import who_is_doing
from referrals.tier_checks import check_lowered_tier
from web.auth import current_principal, roles
from web.blueprint import blp, db, services
from web.lookups import actor_words, area_names, need_labels, organisation_names


def _names_for(*sections) -> dict[int, str]:
    ids = []
    for items in sections:
        for item in items:
            ids += [item.referral.owner_org_id, item.offer.org_id if item.offer else None]
    return organisation_names(ids)


@blp.get("/queue")
@roles("hub_coordinator", "safety_net_officer")
def coordinator_queue():
    principal = current_principal()
    sections = queue(db(), principal, policy=services().lifecycle_policy)
    return render_template(
        "queue.html",
        sections=sections,
        who=who_is_doing(db(), [item.referral for item in sections["work"]]),
        names=_names_for(*(items for key, items in sections.items() if key != "follow_ups")),
        needs=need_labels(),
        areas=area_names(),
        organisation=organisation_names([principal.org_id]).get(principal.org_id),
    )


@blp.get("/safety-net")
@roles("safety_net_officer")
def safety_net():
    principal = current_principal()
    board = safety_net_dashboard(db(), principal, policy=services().lifecycle_policy)
    lists = [
        board[key]
        for key in ("late", "overdue_offers", "escalations", "open_safeguarding", "gaps", "routing_problems")
    ]
    lists.append(board["lowered_tiers"])
    return render_template(
        "safety_net.html",
        board=board,
        tier_check=True,
        actor_words=actor_words,
        names=_names_for(*lists),
        needs=need_labels(),
        areas=area_names(),
    )


@blp.post("/referrals/<int:referral_id>/tier-check")
@roles(*sorted(access.TIER_CHECK_ROLES))
def check_tier(referral_id: int):
    """Let a lowered tier stand (the dashboard's "Checked: the lower tier stands"); to raise it, triage it
    again from the referral's page. Ends on the dashboard (an admin: on the referral)."""
    principal, session = current_principal(), db()
    try:
        check_lowered_tier(session, referral_id, principal)
    except (Conflict, Forbidden) as exc:
        session.rollback()
        flash(f"Referral {referral_id}: {exc}.", "error")
    else:
        flash(
            f"Referral {referral_id}: the lower tier stands, checked by you; it has left the late list.",
            "success",
        )
    if principal.role == "safety_net_officer":
        return redirect(url_for("web.safety_net", _anchor="section-late"))
    return redirect(url_for("web.referral", referral_id=referral_id))
