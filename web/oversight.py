"""A coordinator's queue and the safety-net dashboard: lists linking to each referral and its audit trail."""

from flask import abort, flash, redirect, render_template, request, url_for

from referrals import access
from referrals.errors import Conflict, Forbidden
from referrals.oversight import queue, safety_net_dashboard, safety_net_section
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


# The dashboard's lists: title, what it says when empty, and a hint (each has its own page, a page at a time).
SECTION_WORDS = {
    "late": (
        "Late or waiting on you",
        "Nothing is late or waiting on the safety net.",
        "Most overdue first: offers and transfers past their time or waiting for an answer, escalations "
        "not acted on in time, missed visits or calls of recurring plans, phone tasks, tiers a person "
        "lowered and partners’ calls that may be someone already known.",
    ),
    "escalations": ("Escalations", "Nothing is escalated.", "Oldest first."),
    "open_safeguarding": ("Open safeguarding referrals", "No open safeguarding referrals.", "Oldest first."),
    "gaps": ("Gaps: needs no one in the directory can meet", "No gaps.", "Oldest first."),
    "routing_problems": (
        "Routing problems: calls saved but not routed, held by the safety net",
        "No routing problems.",
        "Oldest first.",
    ),
    "overdue_offers": ("Offers past their time", "No offer is past its time.", "Most overdue first."),
}
ON_THE_DASHBOARD = ("escalations", "open_safeguarding", "gaps", "routing_problems")


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
        words=SECTION_WORDS,
        shown=ON_THE_DASHBOARD,
        tier_check=True,
        actor_words=actor_words,
        names=_names_for(*lists),
        needs=need_labels(),
        areas=area_names(),
    )


@blp.get("/safety-net/<list_name>")
@roles("safety_net_officer")
def safety_net_list(list_name: str):
    """One of the dashboard's lists in full, a page at a time (`?page=2`)."""
    if list_name not in SECTION_WORDS:
        abort(404)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    listing = safety_net_section(
        db(), current_principal(), list_name, page, policy=services().lifecycle_policy
    )
    if page > listing.pages:
        abort(404)
    return render_template(
        "safety_net_list.html",
        listing=listing,
        words=SECTION_WORDS[list_name],
        tier_check=True,
        actor_words=actor_words,
        names=_names_for(listing.items),
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
