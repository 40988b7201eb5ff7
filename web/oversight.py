"""A coordinator's queue and the safety-net dashboard: lists linking to each referral and its audit trail."""

from flask import render_template

from referrals.oversight import queue, safety_net_dashboard
from referrals.passing_on import who_is_doing
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
        names=_names_for(*sections.values()),
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
        actor_words=actor_words,
        names=_names_for(*lists),
        needs=need_labels(),
        areas=area_names(),
    )
