"""Find a person (the search box in every page's header, and its results page) and a person's page: their
referrals, timeline, how to contact them safely, consent, and a new call for them.

Every signed-in role reaches both pages: who may find whom is the access rule's (`access.may_find_person`,
asked by `referrals.people`), so a coordinator whose organisation has accepted no one is told that no one
they may see matches, not refused the page; a person they may not find is "Page not found", whatever the id.
"""

from flask import render_template, request

from db.base import utcnow
from referrals.models import Offer, Referral
from referrals.people import person_history, search_people
from referrals.residents import age_on
from referrals.search_text import MAX_QUERY_LENGTH
from web.auth import current_principal, roles
from web.blueprint import blp, db
from web.call_form import FLAG_LABELS
from web.calls import INTAKE_ROLES
from web.formatting import day
from web.lookups import actor_words, area_names, need_labels, organisation_names

PEOPLE_ROLES = ("helpline_staff", "hub_coordinator", "safety_net_officer", "admin")
# What each role can find, said on the search page (the rule itself is referrals/access.py).
WHO_YOU_CAN_FIND = {
    "helpline_staff": "You can find anyone on record.",
    "admin": "You can find anyone on record.",
    "safety_net_officer": "You can find the people of your council area.",
    "hub_coordinator": (
        "You can find the people whose referrals your organisation has accepted and may hold details of."
    ),
}
STATUS_SENTENCES = {
    "received": "Logged, not triaged yet",
    "triaged": "Triaged, waiting to be offered",
    "offered": "Offered to {offered}: waiting for an answer",
    "accepted": "Accepted by {owner}",
    "in_progress": "{owner} is helping",
    "completed": "Completed by {owner}",
    "declined": "Declined: moving on to the next organisation",
    "escalated": "With {owner}",
    "signposted": "Signposted to another service",
    "transferred": "{owner} is handing it to {offered}",
    "passed_on": "{owner} has it and has passed the work on to a volunteer or group",
    "cancelled": "Cancelled",
    "closed": "Closed",
}
SAFE_TO_CONTACT = {
    "yes": "Yes",
    "no": "No: do not contact them as usual. Use only the number or the times below",
    "": "Not asked",
}


def status_sentence(referral: Referral, offer: Offer | None, names: dict[int, str]) -> str:
    """A referral's status in plain words, naming who has it: 'Offered to Sutton Central Hub: waiting for
    an answer'."""
    owner = names.get(referral.owner_org_id, "the organisation that has it")
    offered = names.get(offer.org_id, "an organisation") if offer else "an organisation"
    return STATUS_SENTENCES.get(referral.status, referral.status).format(owner=owner, offered=offered)


@blp.get("/search")
@roles(*PEOPLE_ROLES)
def search():
    principal = current_principal()
    text = " ".join(request.args.get("q", "").split())[:MAX_QUERY_LENGTH]
    result = search_people(db(), principal, text, door="web search") if text else None
    return render_template(
        "search.html",
        q=text,
        result=result,
        areas=area_names(),
        who_you_can_find=WHO_YOU_CAN_FIND.get(principal.role, ""),
        may_log_call=principal.role in INTAKE_ROLES,
        day=day,
        age=lambda born: age_on(born, utcnow().date()),
    )


@blp.get("/people/<int:resident_id>")
@roles(*PEOPLE_ROLES)
def person(resident_id: int):
    principal = current_principal()
    history = person_history(db(), principal, resident_id, door="web person page")
    names = organisation_names(
        [r.owner_org_id for r in history.referrals]
        + [offer.org_id for offer in history.offers.values()]
        + [item.event.actor_org_id for item in history.timeline]
    )
    return render_template(
        "person.html",
        history=history,
        person=history.resident,
        contact=history.contact,
        names=names,
        needs=need_labels(),
        areas=area_names(),
        flag_labels=FLAG_LABELS,
        actor_words=actor_words,
        status_sentence=lambda referral: status_sentence(referral, history.offers.get(referral.id), names),
        safe_to_contact=SAFE_TO_CONTACT,
        may_log_call=history.may_log_call and principal.role in INTAKE_ROLES,
        day=day,
        age=lambda born: age_on(born, utcnow().date()),
    )
