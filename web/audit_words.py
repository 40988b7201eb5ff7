"""The audit trail in plain words: each entry as a sentence saying who did what to whom, and why ("Cole
Coordinator (hub coordinator, Sutton Central Hub) declined the offer to Sutton Central Hub: no volunteers
this week"). Pure: the names of people and organisations are handed in. What an entry may say (its reason,
its note) is what `referrals.reading` has already decided the reader may see."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from triage import TIER_NAMES
from web.formatting import phone

AUTOMATIC = "Automatically"
# Actors that are the service itself, whatever role they act in (the fallback declines for the group).
AUTOMATIC_ACTORS = frozenset({"system", "cascade", "sms-outbox", "sms-fallback", "twilio-webhook"})
WHAT: dict[str, str] = {
    "referral.received": "logged the call",
    "referral.triaged": "lined up who to offer it to",
    "referral.matched": "matched it against the directory",
    "referral.offered": "offered it to {offeree}",
    "referral.accepted": "accepted it for {org}",
    "referral.declined": "declined the offer to {org}",
    "referral.expired": "closed the offer to {org}, as no one answered in time",
    "referral.passed_over": "passed over {offeree}",
    "referral.escalated": "escalated it to {to_org}",
    "referral.started": "started the work",
    "referral.occurrence_recorded": "recorded a visit or call{outcome}",
    "referral.completed": "completed it{outcome}",
    "referral.transferred": "asked {to_org} to take it over (a transfer)",
    "referral.transfer_declined": "declined the transfer, so it went back to {returned_to}",
    "referral.transfer_expired": "closed the transfer to {org}, as no one answered in time",
    "referral.passed_on": "passed the work on to {passee}",
    "referral.pass_on_accepted": "took on the work {holder} passed on",
    "referral.pass_on_declined": "declined the work passed on, so it went back to {returned_to}",
    "referral.pass_on_expired": "closed the work passed on to {offeree}, as no one answered in time",
    "referral.doer_deactivated": (
        "deactivated {offeree} in the directory, so the work they were doing went back to {holder}"
    ),
    "referral.cancelled": "cancelled it",
    "referral.signposted": "signposted the person to {org}",
    "referral.closed": "closed it{outcome}",
    "referral.routing_failed": "could not route the call, so the safety net holds it",
    "referral.linked": "linked the call to an open referral that already covers it",
    "referral.call_added": "added the person's new call to it",
    "referral.new_request": "logged the person's call for something else",
    "referral.repeat_caller_check": "listed the call for the helpline to check against people already known",
    "referral.repeat_caller_checked": "checked the call against people already known",
    "referral.awaiting_review": (
        "listed it for the helpline to review: nothing is offered until they confirm it"
    ),
    "referral.reviewed": "reviewed the request",
    "referral.refer_link_issued": "texted a one-time link to refer someone",
    "referral.tier_lowering_checked": "checked the lowered tier and let it stand",
    "referral.consent_given": "recorded that the person agrees to share their details",
    "referral.consent_withdrawn": "recorded that the person no longer agrees to share their details",
    "resident.read": "read the person's details ({door})",
    "resident.erased": "erased the person's details",
    "resident.details_updated": "updated the person's phone, address or contact details",
    "resident.folded": "folded another record of the person into this one",
    "triage.decided": "triaged the call",
    "triage.overridden": "changed what triage decided",
    "sms.sent": "sent {text}",
    "sms.delivered": "recorded that {text} was delivered",
    "sms.delivery_failed": "recorded that {text} could not be delivered",
    "sms.retry": "set {text} to be tried again",
    "sms.dead": "gave up sending {text}",
    "sms.duplicate": "found {text} had been sent twice",
    "sms.received": "replied {command} by text",
    "sms.phone_task": "asked the helpline to phone, as a text will not do",
    "sms.phone_task_call": "phoned, as a text would not do",
    "sms.phone_task_done": "finished the phone task",
    "referral.follow_up_raised": "raised a follow-up task for {call}",
    "referral.follow_up_done": "closed the follow-up task for {call}",
    "referral.follow_up_escalated": "passed the follow-up task for {call} to the safety-net team",
    "sms.phone_task_escalated": "passed the phone task to the safety-net team",
    "sms.quiet_hours_emergency": "texted {text} in quiet hours",
    "email.draft_received": "kept an email to the helpline as a draft call",
    "email.draft_completed": "made a call of an email to the helpline",
    "email.draft_dismissed": "set aside an email to the helpline as not a call",
    "email.drafts_forgotten": "blanked emails set aside as not calls",
    "email.webhook_rejected": "refused an email claiming to come from the mail provider",
    "webhook.subscribed": "subscribed a webhook to its referrals' changes of status",
    "webhook.ended": "ended a webhook",
    "webhook.delivered": "delivered the update to the referring partner's webhook",
    "webhook.dead": "gave up posting the update to the referring partner's webhook",
    "webhook.queued": "told the referring partner of the change, by a signed post to their webhook",
    "sms.reminder_queued": "wrote the reminder text for the day before, asking the volunteer to reply DONE",
    "sms.webhook_rejected": "refused a message claiming to come from the text service",
    "auth.failed": "was refused, having no valid sign-in",
    "auth.denied": "was refused",
    "auth.sign_in_failed": "was refused: a wrong username or password",
    "auth.signed_in": "signed in with a password",
    "auth.signed_out": "signed out",
    "auth.sso_refused": "was refused single sign-on",
    "auth.sso_account_created": "signed in with their council account for the first time",
    "auth.sso_signed_in": "signed in with their council account",
    "auth.sso_session_ended": "had their session ended: the council account could not be confirmed",
    "auth.role_changed": "had their role changed",
    "auth.second_factor_enrolled": "set up an authenticator app",
    "auth.second_factor_failed": "entered a wrong second-factor code",
    "auth.recovery_code_used": "signed in with a recovery code",
    "auth.second_factor_reset": "had their authenticator app reset",
    "audit.verified": "checked the audit trail's hash chain",
    "directory.import_started": "started a directory CSV import",
    "directory.import_finished": "finished a directory CSV import",
    "directory.feed_imported": "imported another directory's Open Referral UK feed",
}
# A request from outside says where it came from; a review says what the reviewer decided.
RECEIVED_BY_CHANNEL = {
    "self_referral": "asked for help on the public Ask for help page",
    "mutual_aid_referral": "referred the person through the group's one-time link",
}
REVIEWED = {
    "confirmed": "confirmed the request after review, so it goes to whoever can help",
    "not_taken_forward": "reviewed the request and did not take it forward",
}
# Who acts for a request from outside.
RESIDENT_ROLE = "resident"
RESIDENT_WORDS = "The person themselves"
# When the organisation acting is the one the offer was to, the sentence need not name it twice.
OWN_ORGANISATION = {"referral.accepted": "accepted it", "referral.declined": "declined the offer"}
TIER_ESCALATION = "moved it up from {from_tier} to {to_tier}"
TIER_CODE = re.compile(rf"\b({'|'.join(TIER_NAMES)})\b")
# The service's own reason only repeats the sentence (and names organisations by number).
REASON_REPEATS_WHAT = frozenset(
    {
        "referral.expired",
        "referral.transfer_expired",
        "referral.pass_on_expired",
        "sms.phone_task_done",
        "referral.awaiting_review",
        "referral.reviewed",
    }
)
DOORS = {"web audit page": "on the audit page", "web": "on the referral's page", "api": "through the API"}


@dataclass(frozen=True)
class Entry:
    seq: int | None
    kind: str
    at: datetime
    automatic: bool
    sentence: str  # who did what to whom, and why, as one sentence
    note: str


def who(actor: str, role: str, org_id: int | None, orgs: Mapping[int, str], people: Mapping[int, str]) -> str:
    """ "Cole Coordinator (hub coordinator, Sutton Central Hub)"; the service itself is "Automatically"."""
    kind, _, rest = actor.partition(":")
    org = orgs.get(org_id, f"organisation {org_id}") if org_id is not None else None
    if kind == "sms":
        return f"{org}'s lead" if org else f"Someone texting from {phone(rest) or 'an unknown number'}"
    if role == RESIDENT_ROLE:
        return RESIDENT_WORDS
    if kind == "lead" and org:
        return f"{org}'s lead"
    if actor in AUTOMATIC_ACTORS or role == "system":
        return AUTOMATIC
    number, _, name = rest.partition(":")
    if kind == "user":
        name = people.get(int(number), name) if number.isdigit() else name
    elif kind != "token":
        name = actor
    door = "API token, " if kind == "token" else ""
    details = ", ".join(part for part in (role.replace("_", " "), org) if part)
    return f"{name} ({door}{details})"


def tier_words(text: str) -> str:
    """The service's own reasons name tiers by code: "no vcs candidate left" → "no local charity or hub
    candidate left"."""
    return TIER_CODE.sub(lambda found: TIER_NAMES[found[1]].lower(), text)


def what(
    kind: str,
    payload: Mapping[str, Any],
    orgs: Mapping[int, str],
    outcomes: Mapping[str, str],
    actor_org_id: int | None = None,
) -> str:
    def org(key: str) -> str:
        org_id = payload.get(key)
        return orgs.get(org_id, f"organisation {org_id}") if org_id is not None else "the safety net"

    offeree = org("org_id")
    if payload.get("volunteer_id") is not None:
        offeree = f"a volunteer of {offeree}"
    outcome = payload.get("outcome_code")
    text_kind = str(payload.get("kind") or "")
    passee = "one of its volunteers" if payload.get("volunteer_id") is not None else org("to_org_id")
    values = {
        "org": org("org_id"),
        "passee": passee,
        "holder": org("holder_org_id"),
        "offeree": offeree,
        "to_org": org("to_org_id"),
        "returned_to": org("returned_to_org_id"),
        "outcome": f": {_outcome_words(payload.get('outcome_codes') or [outcome], outcomes)}"
        if outcome
        else "",
        "door": DOORS.get(payload.get("door", ""), payload.get("door") or "somewhere"),
        "text": f"the {text_kind.replace('_', ' ')} text" if text_kind else "a text",
        "command": str(payload.get("command") or "").upper() or "",
        "time": _time(payload),
        "call": "the one-off call"
        if payload.get("one_off")
        else f"time {_time(payload)} of the recurring plan",
    }
    template = WHAT.get(kind)
    if kind in OWN_ORGANISATION and actor_org_id is not None and payload.get("org_id") == actor_org_id:
        template = OWN_ORGANISATION[kind]
    if kind == "referral.escalated" and payload.get("to_tier"):
        lower = payload.get("from_tier") or "a lower tier"
        template = tier_words(TIER_ESCALATION.format(from_tier=lower, to_tier=payload["to_tier"]))
    if kind == "referral.received" and payload.get("channel") in RECEIVED_BY_CHANNEL:
        template = RECEIVED_BY_CHANNEL[payload["channel"]]
    if kind == "referral.reviewed" and payload.get("outcome") in REVIEWED:
        template = REVIEWED[payload["outcome"]]
        if payload.get("edited"):
            template += f" (with the {' and '.join(payload['edited'])} corrected)"
    if template is None:
        return f"recorded “{kind}”"
    return re.sub(r"\s+", " ", template.format_map(values))


def _time(payload: Mapping[str, Any]) -> str:
    """Which visit or call of a plan: "2" or "2 of 6"."""
    index = payload.get("occurrence_index")
    if not isinstance(index, int):
        return "?"
    return f"{index + 1} of {payload['of']}" if isinstance(payload.get("of"), int) else str(index + 1)


def _lower_first(text: str) -> str:
    """ "No volunteers" → "no volunteers" after a colon; "ASB team" and "YES" keep their capitals."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def sentence(subject: str, predicate: str, why: str) -> str:
    text = f"{subject} {predicate}"
    why = why.strip().rstrip(".")
    if why:
        text += ": " + _lower_first(why)
    return text[:1].upper() + text[1:] + "."


def entry(
    event: Any,
    shown: Any,
    orgs: Mapping[int, str],
    people: Mapping[int, str],
    outcomes: Mapping[str, str],
) -> Entry:
    """`event`: the stored event; `shown`: the same event as the reader may read it (reason, note)."""
    subject = who(event.actor, event.actor_role, event.actor_org_id, orgs, people)
    why = "" if event.kind in REASON_REPEATS_WHAT or shown.payload.get("to_tier") else shown.reason or ""
    if subject == AUTOMATIC:
        why = tier_words(why)
    note = shown.payload.get("note") or ""
    return Entry(
        seq=event.seq,
        kind=event.kind,
        at=event.created_at,
        automatic=subject == AUTOMATIC,
        sentence=sentence(subject, what(event.kind, shown.payload, orgs, outcomes, event.actor_org_id), why),
        note=note if isinstance(note, str) else "",
    )


def _outcome_words(codes: list[str], outcomes: Mapping[str, str]) -> str:
    return ", ".join(_lower_first(outcomes.get(code) or code.replace("_", " ")) for code in codes)
