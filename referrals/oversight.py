"""Reads for the people who carry the work: a coordinator's queue and the safety net's dashboard."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation, Volunteer
from notify.models import PhoneTask
from referrals import access, follow_through, tier_checks
from referrals.follow_ups import followed_up, has_plan, open_follow_ups
from referrals.holding import Holding, holding
from referrals.lifecycle import OPEN_STATUSES, OWNED_STATUSES, PASS_ON, TRANSFER
from referrals.models import AuditEvent, Offer, Referral, tier_changes
from referrals.policy import LifecyclePolicy
from referrals.repeat_callers import waiting_for_check
from referrals.routing import ROUTING_FAILED

ESCALATED = "referral.escalated"


@dataclass(frozen=True)
class QueueItem:
    """One line of a queue: the offer (if any) and the referral, without personal details; `holding` says who
    holds it now and when its next answer or action is due (filled in by `described`)."""

    referral: Referral
    offer: Offer | None
    seconds_left: int | None
    holding: Holding | None = field(default=None, kw_only=True)
    due_seconds_left: int | None = field(default=None, kw_only=True)

    @property
    def held_by(self) -> str:
        return self.holding.words if self.holding else ""

    @property
    def due_at(self) -> datetime | None:
        return self.holding.due_at if self.holding else None

    @property
    def due_what(self) -> str:
        return self.holding.due_what if self.holding else ""


@dataclass(frozen=True)
class RoutingProblem(QueueItem):
    """A call that was saved although routing it failed: what went wrong, from its audit trail."""

    problem: str
    error: str
    at: datetime


def org_ids_for(session: Session, principal: Principal) -> list[int]:
    if principal.org_id is not None:
        return [principal.org_id]
    if principal.role == "safety_net_officer":
        return list(session.scalars(select(Organisation.id).where(Organisation.kind == "safety_net")))
    return []


def queue(
    session: Session, principal: Principal, now: datetime | None = None, policy: LifecyclePolicy | None = None
) -> dict[str, list[QueueItem]]:
    now = now or utcnow()
    if principal.role == "partner_referrer":
        referred = {"referred": referred_by(session, principal, now)}
        return described(session, referred, now, policy, name_volunteers=False)  # volunteers are not theirs
    orgs = org_ids_for(session, principal)
    offers = session.execute(
        select(Offer, Referral)
        .join(Referral, Referral.id == Offer.referral_id)
        .where(
            Offer.org_id.in_(orgs),
            Offer.status == "pending",
            # The holder's own pass-on to one of its volunteers is its work, waiting on the volunteer.
            ~((Offer.kind == PASS_ON) & Referral.owner_org_id.in_(orgs)),
        )
        .order_by(Offer.expires_at)
    ).all()
    work = session.scalars(
        select(Referral)
        .where(
            Referral.owner_org_id.in_(orgs)
            | Referral.assigned_org_id.in_(orgs),  # held, or done for the holder
            Referral.status.in_(OWNED_STATUSES),
        )
        .order_by(Referral.updated_at)
    ).all()
    held = session.scalars(
        select(Referral).where(Referral.escalated_to_org_id.in_(orgs), Referral.status == "escalated")
    ).all()
    sections = {
        "offers": [QueueItem(r, o, int((o.expires_at - now).total_seconds())) for o, r in offers],
        "work": [QueueItem(r, None, None) for r in work],
        "escalated": [QueueItem(r, None, None) for r in held],
    }
    board: dict = described(session, sections, now, policy)
    board["follow_ups"] = open_follow_ups(session, principal, orgs)
    return board


REFERRED_LISTED = 200


def referred_by(session: Session, principal: Principal, now: datetime) -> list[QueueItem]:
    """A partner's own referrals, newest first (as `access.may_see` decides: made with their token or by their
    organisation): where each is now and, once finished, what came of it (its outcomes)."""
    mine = Referral.created_by_token_id == principal.token_id
    if principal.org_id is not None:
        mine = mine | (Referral.created_by_org_id == principal.org_id)
    rows = session.scalars(select(Referral).where(mine).order_by(Referral.id.desc()).limit(REFERRED_LISTED))
    return [QueueItem(row, None, None) for row in rows if access.may_see(principal, row)]


def _area_filter(principal: Principal):
    area = access.area_scope(principal)
    return True if area is None else Referral.area == area


# The dashboard shows the first DASHBOARD_LISTED of each list and how many there are in all (counted in SQL);
# each list's own page shows them all, SECTION_PAGE at a time: its work stays the same whatever the backlog.
DASHBOARD_LISTED = 20
SECTION_PAGE = 50
SECTIONS = ("late", "overdue_offers", "escalations", "open_safeguarding", "gaps", "routing_problems")


@dataclass(frozen=True)
class Listing:
    """One page of a dashboard list: `items` from `offset` on, of `total` in all."""

    key: str
    items: list
    total: int
    offset: int
    limit: int

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1


def safety_net_dashboard(
    session: Session,
    principal: Principal,
    now: datetime | None = None,
    policy: LifecyclePolicy | None = None,
    *,
    listed: int | None = None,
) -> dict:
    """What a safety-net officer sees first: the first `listed` of each list (`SECTIONS`, the late list most
    overdue first), how many each has in all (`totals`), open follow-ups and phone tasks, and how many
    referrals have no owner. Every item is described (who holds it, what is due) in one batch of lookups."""
    now = now or utcnow()
    listed = listed or DASHBOARD_LISTED
    in_area = _area_filter(principal)
    follow_ups = open_follow_ups(session, principal)
    tasks = phone_tasks(session, principal)
    lowered = lowered_tiers(session, in_area)
    found = {
        key: _section(
            session,
            principal,
            key,
            now,
            policy,
            limit=listed,
            follow_ups=follow_ups,
            tasks=tasks,
            lowered=lowered,
        )
        for key in SECTIONS
    }
    board: dict = described(
        session, {"lowered_tiers": lowered, **{key: items for key, (items, _) in found.items()}}, now, policy
    )
    board["totals"] = {key: total for key, (_, total) in found.items()}
    board["follow_ups"] = follow_ups
    board["phone_tasks"] = tasks
    board["unowned_count"] = session.scalar(
        select(func.count()).select_from(Referral).where(in_area, Referral.owner_org_id.is_(None))
    )
    return board


def safety_net_section(
    session: Session,
    principal: Principal,
    key: str,
    page: int = 1,
    now: datetime | None = None,
    policy: LifecyclePolicy | None = None,
    *,
    per_page: int | None = None,
) -> Listing:
    """One of the dashboard's lists (`SECTIONS`), a page at a time, in the dashboard's order."""
    if key not in SECTIONS:
        raise KeyError(key)
    now = now or utcnow()
    per_page = per_page or SECTION_PAGE
    offset = (max(page, 1) - 1) * per_page
    items, total = _section(session, principal, key, now, policy, limit=per_page, offset=offset)
    return Listing(key, described(session, {key: items}, now, policy)[key], total, offset, per_page)


def _section(
    session: Session,
    principal: Principal,
    key: str,
    now: datetime,
    policy: LifecyclePolicy | None,
    *,
    limit: int,
    offset: int = 0,
    follow_ups: list | None = None,
    tasks: list | None = None,
    lowered: list | None = None,
) -> tuple[list[QueueItem], int]:
    """A list's items from `offset` (not described yet) and how many it has in all."""
    in_area = _area_filter(principal)
    if key == "late":
        return late_list(
            session,
            principal,
            now,
            policy,
            limit=limit,
            offset=offset,
            follow_ups=follow_ups,
            tasks=tasks,
            lowered=lowered,
        )
    if key == "routing_problems":
        return routing_problems_page(session, in_area, limit=limit, offset=offset)
    if key == "overdue_offers":
        query = _overdue_offers(in_area, now)
        rows = session.execute(query.limit(limit).offset(offset)).all()
        items = [QueueItem(r, o, int((o.expires_at - now).total_seconds())) for o, r in rows]
        return items, _count(session, query)
    is_open = Referral.status.in_(OPEN_STATUSES)
    conditions = {
        "escalations": (Referral.status == "escalated",),
        "open_safeguarding": (is_open, Referral.safeguarding.is_(True)),
        "gaps": (is_open, Referral.gap.is_(True)),
    }[key]
    query = select(Referral).where(in_area, *conditions).order_by(Referral.created_at, Referral.id)
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return [QueueItem(r, None, None) for r in rows], _count(session, query)


def _count(session: Session, query) -> int:
    """How many rows `query` (of referrals, perhaps joined to offers) has, counted by the database."""
    counted = query.order_by(None).with_only_columns(Referral.id, maintain_column_froms=True)
    return session.scalar(select(func.count()).select_from(counted.subquery())) or 0


def _overdue_offers(in_area, now: datetime):
    """Offers past their time, most overdue first."""
    return (
        select(Offer, Referral)
        .join(Referral, Referral.id == Offer.referral_id)
        .where(in_area, Offer.status == "pending", Offer.expires_at < now)
        .order_by(Offer.expires_at, Offer.id)
    )


def described(
    session: Session,
    sections: dict[str, list[QueueItem]],
    now: datetime,
    policy: LifecyclePolicy | None,
    *,
    name_volunteers: bool = True,
) -> dict[str, list[QueueItem]]:
    """Each item with who holds it now and when its next answer or action is due (`referrals.holding`), looked
    up for all the items at once: pending offers, organisation and volunteer names, escalation times."""
    items = [item for listed in sections.values() for item in listed]
    ids = {item.referral.id for item in items}
    offers = {
        offer.referral_id: offer
        for offer in session.scalars(
            select(Offer).where(Offer.referral_id.in_(ids), Offer.status == "pending")
        )
    }
    org_ids, volunteer_ids = set(), set()
    for item in items:
        row, offer = item.referral, offers.get(item.referral.id)
        org_ids |= {row.owner_org_id, row.accepted_org_id, row.escalated_to_org_id, row.safety_net_org_id}
        org_ids |= {row.signposted_org_id, row.assigned_org_id, offer and offer.org_id}
        volunteer_ids |= {row.volunteer_id, offer and offer.volunteer_id}
    orgs = _names(session, Organisation, org_ids)
    volunteers = _names(session, Volunteer, volunteer_ids)
    escalated_at = dict(
        session.execute(
            select(AuditEvent.referral_id, func.max(AuditEvent.created_at))
            .where(AuditEvent.referral_id.in_(ids), AuditEvent.kind == ESCALATED)
            .group_by(AuditEvent.referral_id)
        ).all()
    )
    act_within = policy.offer_expiry if policy else None

    def describe(item: QueueItem) -> QueueItem:
        found = holding(
            item.referral,
            offers.get(item.referral.id),
            lambda org_id: orgs.get(org_id, "the safety-net team" if org_id else "no one"),
            lambda volunteer_id: (
                volunteers.get(volunteer_id, "")
                if name_volunteers
                else ("a volunteer" if volunteer_id else "")
            ),
            escalated_at=_aware(escalated_at.get(item.referral.id)),
            act_within=act_within,
        )
        left = int((found.due_at - now).total_seconds()) if found.due_at else None
        return replace(item, holding=found, due_seconds_left=left)

    return {key: [describe(item) for item in listed] for key, listed in sections.items()}


def _names(session: Session, model: type, ids: Iterable) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC datetimes from an aggregate."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class LateItem(QueueItem):
    """One line of the safety net's list of what is late or waiting on it: what (`kind`, and `what` in words)
    and since when it has been due (`late_since`; None for what has no deadline, such as a lowered tier)."""

    kind: str
    what: str
    late_since: datetime | None
    source: QueueItem | None = None  # the dashboard's own item it comes from (a lowered tier's details)


LATE_KINDS = {
    "offer": "Offer not answered in time",
    "transfer": "Transfer waiting for an answer",
    "escalation": "Escalation not acted on in time",
    "missed_call": "Visit or call of a recurring plan missed",
    "follow_up": "Follow up recurring support",
    "phone_task": "Phone a lead",
    "lowered_tier": "Tier lowered by a person: check it",
    "possible_duplicate": "Partner's call: may be someone already known",
}


def late_list(
    session: Session,
    principal: Principal,
    now: datetime,
    policy: LifecyclePolicy | None,
    *,
    limit: int,
    offset: int = 0,
    follow_ups: list | None = None,
    tasks: list | None = None,
    lowered: list | None = None,
) -> tuple[list[LateItem], int]:
    """Everything late or waiting on the safety net, in one list, most overdue first (`limit` of it from
    `offset`, not described yet, and how many in all): offers past their time (the worker moves them on
    within a minute, so one here means the worker is behind), transfers waiting for an answer, escalations
    untouched past their time, missed visits or calls of recurring plans, open follow-ups and phone tasks,
    tiers a person lowered and partners' calls that may be someone known. Each kind is read in the list's own
    order and no more of it than the page needs, and counted in SQL where it is a query's rows."""
    in_area = _area_filter(principal)
    need = offset + limit
    late: list[LateItem] = []
    total = 0

    def add(item: QueueItem, kind: str, since: datetime | None, what: str = "") -> None:
        late.append(
            LateItem(
                item.referral,
                item.offer,
                item.seconds_left,
                kind=kind,
                what=what or LATE_KINDS[kind],
                late_since=_aware(since),
                source=item if isinstance(item, LoweredTier) else None,
            )
        )

    overdue = _overdue_offers(in_area, now)
    total += _count(session, overdue)
    for offer, row in session.execute(overdue.limit(need)).all():
        item = QueueItem(row, offer, int((offer.expires_at - now).total_seconds()))
        add(item, "transfer" if offer.kind == TRANSFER else "offer", offer.expires_at)
    transfers = (
        select(Offer, Referral)
        .join(Referral, Referral.id == Offer.referral_id)
        .where(in_area, Offer.status == "pending", Offer.kind == TRANSFER, Offer.expires_at >= now)
        .order_by(Referral.id, Offer.id)
    )
    total += _count(session, transfers)
    for offer, row in session.execute(transfers.limit(need)).all():
        add(QueueItem(row, offer, int((offer.expires_at - now).total_seconds())), "transfer", None)
    late_escalations = _late_escalations(session, in_area, now, policy)
    total += len(late_escalations)
    ids = [referral_id for _, referral_id in late_escalations[:need]]
    rows = {row.id: row for row in session.scalars(select(Referral).where(Referral.id.in_(ids)))}
    for due, referral_id in late_escalations[:need]:
        add(QueueItem(rows[referral_id], None, None), "escalation", due)
    grace = policy.recurring_call_grace if policy else timedelta(days=1)
    # held, or held while a transfer or pass-on of it waits: a visit is missed all the same
    planned = _referrals(session, in_area, Referral.status.in_(OWNED_STATUSES), has_plan())
    # A missed visit the worker has made a follow-up of is listed as that follow-up (below), not twice.
    raised = followed_up(session, [item.referral.id for item in planned])
    for item in planned:
        missed = [
            o
            for o in follow_through.missed(item.referral.occurrences or [], grace, now)
            if (item.referral.id, o["index"]) not in raised
        ]
        if missed:
            total += 1
            what = f"{len(missed)} visit(s) or call(s) of the recurring plan missed"
            add(item, "missed_call", follow_through.due_at(missed[0]) + grace, what)
    follow_ups = open_follow_ups(session, principal) if follow_ups is None else follow_ups
    total += len(follow_ups)
    for found in follow_ups:
        what = f"{found.what} (follow-up {found.task.id})"
        add(QueueItem(found.referral, None, None), "follow_up", found.task.due_at, what)
    tasks = phone_tasks(session, principal) if tasks is None else tasks
    by_referral: dict[int, PhoneTaskItem] = {}
    for task in tasks:  # oldest first: a referral is late since its oldest open task
        if task.referral is not None:
            by_referral.setdefault(task.referral.id, task)
    total += len(by_referral)
    for task in by_referral.values():
        add(
            QueueItem(task.referral, None, None),
            "phone_task",
            task.task.created_at,
            _phone_task_words(task.task),
        )
    lowered_once = {}
    for item in (
        lowered_tiers(session, in_area) if lowered is None else lowered
    ):  # newest first: one a referral
        lowered_once.setdefault(item.referral.id, item)
    total += len(lowered_once)
    for item in lowered_once.values():
        add(item, "lowered_tier", None)
    checks = waiting_for_check(session, access.area_scope(principal))
    total += len(checks)
    for _, referral in checks:
        add(QueueItem(referral, None, None), "possible_duplicate", None)
    never = datetime.max.replace(tzinfo=now.tzinfo)
    late.sort(key=lambda item: (item.late_since is None, item.late_since or never, item.referral.id))
    return late[offset:need], total


def _late_escalations(
    session: Session, in_area, now: datetime, policy: LifecyclePolicy | None
) -> list[tuple[datetime, int]]:
    """(when it was due, referral id) of each escalated referral untouched past its time to act (by urgency,
    the policy's offer windows; no urgency is routine), most overdue first, as `referrals.holding` reckons it
    from its latest `referral.escalated`. Read as plain rows, one per escalation, ids and times only. No
    policy: no time to act, nothing late."""
    windows = (policy.offer_expiry if policy else None) or {}
    if not windows:
        return []
    escalated_at = (
        select(func.max(AuditEvent.created_at))
        .where(AuditEvent.referral_id == Referral.id, AuditEvent.kind == ESCALATED)
        .correlate(Referral)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Referral.id, Referral.urgency, escalated_at).where(in_area, Referral.status == "escalated")
    ).all()
    late = []
    for referral_id, urgency, at in rows:
        window = windows.get(urgency or "routine")
        if at is not None and window is not None and (due := _aware(at) + window) < now:
            late.append((due, referral_id))
    return sorted(late)


def _phone_task_words(task: PhoneTask) -> str:
    words = f"Phone a lead: {task.reason}"
    return f"No answer twice in a row, the safety net's now. {words}" if task.status == "escalated" else words


@dataclass(frozen=True)
class PhoneTaskItem:
    """An open phone task with the referral it is about (None: about no referral, e.g. an opt-out text)."""

    task: PhoneTask
    referral: Referral | None


PHONE_TASKS_LISTED = 500


def phone_tasks(
    session: Session, principal: Principal, statuses: tuple[str, ...] = ("open", "escalated")
) -> list[PhoneTaskItem]:
    """Phone tasks not done the principal may work (`access.may_work_phone_task`), oldest first."""
    if principal.role not in access.PHONE_TASK_ROLES:
        return []
    # The resident is loaded apart: joined to an outer-joined referral, it would drop the tasks about none.
    query = select(PhoneTask, Referral).outerjoin(Referral, Referral.id == PhoneTask.referral_id)
    query = query.options(selectinload(Referral.resident))
    if (area := access.area_scope(principal)) is not None:  # in the query, so no council crowds out another
        query = query.where((Referral.area == area) | PhoneTask.referral_id.is_(None))
    rows = session.execute(
        query.where(PhoneTask.status.in_(statuses))
        .order_by(PhoneTask.created_at, PhoneTask.id)
        .limit(PHONE_TASKS_LISTED)
    ).all()
    return [
        PhoneTaskItem(task, referral)
        for task, referral in rows
        if access.may_work_phone_task(principal, referral, task.status)
    ]


def _referrals(session: Session, *conditions) -> list[QueueItem]:
    rows = session.scalars(select(Referral).where(*conditions).order_by(Referral.created_at).limit(500))
    return [QueueItem(r, None, None) for r in rows]


def routing_problems(session: Session, in_area=True) -> list[RoutingProblem]:
    """Open referrals whose routing failed at intake (`referral.routing_failed`), oldest first, each with the
    latest problem recorded for it (the first 500)."""
    return routing_problems_page(session, in_area, limit=500)[0]


def routing_problems_page(
    session: Session, in_area=True, *, limit: int, offset: int = 0
) -> tuple[list[RoutingProblem], int]:
    """`routing_problems` from `offset`, `limit` of them, and how many there are in all."""
    failed = (
        select(Referral.id)
        .where(
            in_area,
            Referral.status.in_(OPEN_STATUSES),
            select(AuditEvent.seq)
            .where(AuditEvent.referral_id == Referral.id, AuditEvent.kind == ROUTING_FAILED)
            .exists(),
        )
        .order_by(Referral.created_at, Referral.id)
    )
    total = _count(session, failed)
    ids = list(session.scalars(failed.limit(limit).offset(offset)))
    rows = session.execute(
        select(Referral, AuditEvent)
        .join(AuditEvent, AuditEvent.referral_id == Referral.id)
        .where(Referral.id.in_(ids), AuditEvent.kind == ROUTING_FAILED)
        .order_by(Referral.created_at, Referral.id, AuditEvent.seq)
    ).all()
    latest: dict[int, RoutingProblem] = {}
    for referral, event in rows:
        problem = event.payload.get("problem") or event.reason
        latest[referral.id] = RoutingProblem(
            referral, None, None, problem, event.payload.get("error", ""), event.created_at
        )
    return list(latest.values()), total


@dataclass(frozen=True)
class LoweredTier(QueueItem):
    """A person lowered the tier of an open referral (an override, or a re-triage whose new notes did): from
    and to which tier, who and when; the reason they gave is in the referral's audit trail."""

    from_tier: str
    to_tier: str
    by: str
    by_role: str
    at: datetime


def lowered_tiers(session: Session, in_area=True) -> list[LoweredTier]:
    """Open referrals whose tier a person lowered and no one has checked since (`referrals.tier_checks`),
    newest lowering first, each referral once."""
    rows = session.execute(
        select(Referral, AuditEvent)
        .join(AuditEvent, AuditEvent.referral_id == Referral.id)
        .where(
            in_area,
            Referral.status.in_(OPEN_STATUSES),
            # In the words of the partial index ix_audit_event_tier_changes, written out (not bound), so
            # the planner sees the index holds them whatever plan it keeps.
            tier_changes(session.get_bind().dialect.name, "audit_event."),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(500)
    ).all()
    trails: dict[int, tuple[Referral, list[AuditEvent]]] = {}
    for referral, event in rows:  # newest first, per referral
        trails.setdefault(referral.id, (referral, []))[1].append(event)
    pending = [
        (referral, found)
        for referral, events in trails.values()
        if (found := tier_checks.pending_lowering(events)) is not None
    ]
    pending.sort(key=lambda each: each[1].seq, reverse=True)
    return [
        LoweredTier(referral, None, None, found.from_tier, found.to_tier, found.by, found.by_role, found.at)
        for referral, found in pending
    ]
