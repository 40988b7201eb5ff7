"""Triage on intake, re-triage and overrides: the engine decides, people may raise a tier; who may lower
it, in which cases, and what the reason must say is `config/tier_changes.yaml` (`referrals/tier_changes.py`),
asked in one place, `_check_override_allowed`; only a safety-net officer may clear a safeguarding flag."""

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access, audit
from referrals.actions import commit_or_conflict, load_for_update, raise_for
from referrals.errors import Conflict, DomainValidationError, Forbidden
from referrals.models import Referral, Resident
from referrals.residents import age_on
from referrals.routing import RoutingContext, route_or_hold
from referrals.sealing import seal
from referrals.tier_changes import Case, TierChangePolicy, statutory_needs
from triage import TIERS, Reason, Rules, TriageDecision, UnknownNeedError, triage

TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}
RETRIAGE_STATES = frozenset({"received", "triaged", "offered", "escalated"})
REROUTE_STATES = frozenset({"offered", "escalated"})
CLEARS_SAFEGUARDING = "safety_net_officer"
OVERRIDE = "override."  # the rules of reasons a person gave, overriding the engine
QUOTING_RULES = (".fuzzy", ".negated")  # reasons whose detail quotes the notes


def decide(
    notes: str, needs: list[str], flags: dict, date_of_birth: date | None, rules: Rules, today: date
) -> TriageDecision:
    try:
        return triage(notes, needs, flags, rules=rules, age=age_on(date_of_birth, today))
    except UnknownNeedError as exc:
        raise DomainValidationError("needs", str(exc)) from exc


def detail_quotes_person(rule: str) -> bool:
    """Reasons whose detail repeats words a person wrote: an override's typed reason, a misspelling read as
    a need ("'shopng' read as 'shopping'"), a negated mention ("not counted: ... 'no longer'")."""
    return rule.startswith(OVERRIDE) or rule.endswith(QUOTING_RULES)


def audit_payload(session: Session, resident_id: int, decision: TriageDecision) -> dict:
    """The decision for the audit trail; words quoted from the notes (as evidence, or in a detail that repeats
    them), and the reasons staff typed for an override, are sealed with the resident's key."""
    public = decision.to_dict()
    evidence = [reason.pop("evidence") for reason in public["reasons"]]
    sealed: dict = {"evidence": evidence}
    typed = {i: r.pop("detail") for i, r in enumerate(public["reasons"]) if r["rule"].startswith(OVERRIDE)}
    if typed:
        sealed["override_details"] = typed
    quoting = {
        i: r.pop("detail") for i, r in enumerate(public["reasons"]) if r["rule"].endswith(QUOTING_RULES)
    }
    if quoting:
        sealed["quoting_details"] = quoting
    return {"decision": public, "evidence": seal(session, resident_id, sealed)}


def apply_decision(referral: Referral, decision: TriageDecision) -> None:
    referral.tier = decision.tier
    referral.needs = list(decision.needs)
    referral.urgency = decision.urgency
    referral.safeguarding = decision.safeguarding
    referral.triage = decision.to_dict()
    if referral.status == "received":
        referral.status = "triaged"


def triage_on_intake(
    session: Session,
    referral: Referral,
    resident: Resident,
    decision: TriageDecision,
    principal: Principal,
    now: datetime,
    applied: bool = False,
) -> None:
    """Apply the decision (unless the referral was made with it, `applied`) and record it in the trail."""
    if not applied:
        apply_decision(referral, decision)
        referral.updated_at = now
    audit.record(
        session,
        "triage.decided",
        principal,
        referral_id=referral.id,
        resident_id=resident.id,
        payload=audit_payload(session, resident.id, decision),
        now=now,
    )


@dataclass(frozen=True)
class Retriage:
    """A request to triage again: optional extra notes, and optional overrides of tier or safeguarding."""

    notes_addendum: str = ""
    tier: str | None = None
    safeguarding: bool | None = None
    reason: str = ""


def _overridden(
    decision: TriageDecision, request: Retriage, current: Referral, principal: Principal
) -> TriageDecision:
    safeguarding = decision.safeguarding or current.safeguarding
    reasons = list(decision.reasons)
    if current.safeguarding and not decision.safeguarding:
        reasons.append(
            Reason(
                "override.safeguarding_sticky",
                "safeguarding",
                "",
                "safeguarding stays flagged until a safety-net officer clears it",
            )
        )
    if request.safeguarding is not None and request.safeguarding != safeguarding:
        safeguarding = request.safeguarding
        reasons.append(
            Reason(
                "override.safeguarding",
                "safeguarding" if safeguarding else "no safeguarding",
                principal.role,
                request.reason or "set by hand",
            )
        )
    tier = decision.tier
    if safeguarding and TIER_RANK[tier] < TIER_RANK["statutory"]:
        tier = "statutory"
    if request.tier is not None and request.tier != tier:
        tier = request.tier
        reasons.append(
            Reason("override.tier", f"tier:{tier}", principal.role, request.reason or "set by hand")
        )
    return replace(decision, tier=tier, safeguarding=safeguarding, reasons=reasons)


def _case(current: Referral, engine: TriageDecision, rules: Rules) -> Case:
    """The case as the lowering rules see it: the referral as it stands, or what triage finds in it now."""
    stored = [reason.get("rule", "") for reason in (current.triage or {}).get("reasons", [])]
    return Case(
        safeguarding=bool(current.safeguarding or engine.safeguarding),
        urgencies=frozenset(u for u in (current.urgency, engine.urgency) if u),
        statutory_needs=statutory_needs(
            rules, [*(current.needs or []), *engine.needs], [*stored, *(r.rule for r in engine.reasons)]
        ),
    )


def _check_override_allowed(
    current: Referral,
    engine: TriageDecision,
    new: TriageDecision,
    request: Retriage,
    principal: Principal,
    rules: Rules,
    tier_changes: TierChangePolicy,
) -> None:
    """The one rule for lowering: the role the configuration allows for this case, then a reason that says
    something (the same for clearing a safeguarding flag, which only a safety-net officer may do)."""
    lowers_tier = current.tier is not None and TIER_RANK[new.tier] < TIER_RANK[current.tier]
    clears_safeguarding = (current.safeguarding or engine.safeguarding) and not new.safeguarding
    if clears_safeguarding and principal.role != CLEARS_SAFEGUARDING:
        raise Forbidden("only a safety-net officer may clear a referral's safeguarding flag")
    if lowers_tier:
        refusal = tier_changes.refusal(_case(current, engine, rules), principal.role)
        if refusal:
            raise Forbidden(refusal)
    if lowers_tier or clears_safeguarding:
        problem = tier_changes.reason.problem(request.reason)
        if problem:
            raise DomainValidationError(
                "reason", f"lowering a tier or clearing safeguarding needs a reason: {problem}"
            )


def retriage(
    session: Session,
    referral: Referral,
    request: Retriage,
    principal: Principal,
    rules: Rules,
    routing: RoutingContext,
    tier_changes: TierChangePolicy,
    now: datetime | None = None,
) -> Referral:
    now = now or utcnow()
    referral, pending = load_for_update(session, referral.id)
    raise_for(access.retriage_refusal(principal, referral, pending), referral)
    if referral.status not in RETRIAGE_STATES:
        raise Conflict(f"a referral that is {referral.status} cannot be triaged again", referral.status)
    if request.tier is not None and request.tier not in TIER_RANK:
        raise DomainValidationError("tier", f"tier must be one of {', '.join(TIER_RANK)}")
    if request.notes_addendum.strip():
        referral.notes = f"{referral.notes}\n{request.notes_addendum.strip()}".strip()
    resident = referral.resident
    engine_decision = decide(
        referral.notes, referral.given_needs, resident.flags, resident.date_of_birth, rules, now.date()
    )
    new = _overridden(engine_decision, request, referral, principal)
    _check_override_allowed(referral, engine_decision, new, request, principal, rules, tier_changes)
    before = {
        "tier": referral.tier,
        "safeguarding": referral.safeguarding,
        "needs": list(referral.needs),
        "urgency": referral.urgency,
    }
    apply_decision(referral, new)
    referral.updated_at = now
    overridden = request.tier is not None or request.safeguarding is not None
    audit.record(
        session,
        "triage.overridden" if overridden else "triage.decided",
        principal,
        referral_id=referral.id,
        resident_id=resident.id,
        reason=seal(session, resident.id, {"reason": request.reason.strip()})
        if request.reason.strip()
        else "",
        payload={"before": before, **audit_payload(session, resident.id, new)},
        now=now,
    )
    if referral.status in REROUTE_STATES:
        plan = referral.plan and {"every_days": referral.plan["every_days"], "count": referral.plan["count"]}
        route_or_hold(session, referral, principal, routing, now, recurrence=plan, pending=pending)
    commit_or_conflict(session, referral)
    return referral
