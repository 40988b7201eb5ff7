"""What came of referrals: the outcomes recorded when they were completed or closed (`referral.outcome_codes`,
codes from config/outcomes.yaml), counted per council area and per organisation that held each referral, with
the share helped, referred on or not helped. Referrals are counted by when they came in (`since`), as in the
needs report; a referral with several outcomes counts once in each."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.models import Organisation
from referrals.lifecycle import CLOSED_STATUSES
from referrals.models import Referral
from referrals.outcomes import RESULTS, Outcomes


@dataclass
class OutcomeCounts:
    """The referrals finished in one area or by one organisation: how many, and each outcome's count."""

    key: str
    name: str
    finished: int = 0
    codes: Counter = field(default_factory=Counter)
    results: Counter = field(
        default_factory=Counter
    )  # referrals per result (helped, referred_on, not_helped)
    ons_code: str | None = None  # a council area's ONS local authority district code(s)


@dataclass(frozen=True)
class OutcomesReport:
    since: date | None
    area: str | None
    by_area: list[OutcomeCounts]
    by_organisation: list[OutcomeCounts]
    total: OutcomeCounts


def outcomes_report(
    session: Session,
    outcomes: Outcomes,
    *,
    since: date | None,
    area: str | None,
    area_names: dict[str, str],
    ons_codes: dict[str, str] | None = None,
) -> OutcomesReport:
    conditions = [Referral.status.in_(CLOSED_STATUSES)]
    if since is not None:
        conditions.append(Referral.created_at >= datetime.combine(since, time.min, tzinfo=UTC))
    if area is not None:
        conditions.append(Referral.area == area)
    rows = session.execute(
        select(Referral.area, Referral.owner_org_id, Referral.outcome_codes, Referral.outcome_code).where(
            *conditions
        )
    ).all()
    org_names = dict(session.execute(select(Organisation.id, Organisation.name)).all())
    total = OutcomeCounts("all", "All areas" if area is None else area_names.get(area, area))
    by_area: dict[str, OutcomeCounts] = {}
    by_org: dict[int, OutcomeCounts] = defaultdict(lambda: OutcomeCounts("", ""))
    for referral_area, org_id, codes, first in rows:
        recorded = list(dict.fromkeys(outcomes.canonical(c) for c in (codes or ([first] if first else []))))
        if not recorded:
            continue  # cancelled or signposted: nothing was recorded as done
        area_key = referral_area or "unknown"
        counts = [
            total,
            by_area.setdefault(
                area_key,
                OutcomeCounts(
                    area_key, area_names.get(area_key, area_key), ons_code=(ons_codes or {}).get(area_key)
                ),
            ),
        ]
        if org_id is not None:
            if not by_org[org_id].key:
                by_org[org_id] = OutcomeCounts(str(org_id), org_names.get(org_id, f"organisation {org_id}"))
            counts.append(by_org[org_id])
        # What a person recorded says how it went; the service's own codes ("every visit of the plan done")
        # only when there is nothing else.
        said = [code for code in recorded if (found := outcomes.get(code)) and not found.system] or recorded
        results = {found.result for code in said if (found := outcomes.get(code))}
        for count in counts:
            count.finished += 1
            count.codes.update(recorded)
            count.results.update(results)
    return OutcomesReport(
        since=since,
        area=area,
        by_area=sorted(by_area.values(), key=lambda c: c.name),
        by_organisation=sorted(by_org.values(), key=lambda c: (-c.finished, c.name)),
        total=total,
    )


def as_dict(report: OutcomesReport, outcomes: Outcomes) -> dict:
    """The report as JSON: each row's counts by code (with its label) and by result."""

    def row(count: OutcomeCounts) -> dict:
        return {
            "key": count.key,
            "name": count.name,
            "ons_code": count.ons_code,
            "finished": count.finished,
            "outcomes": [
                {"code": code, "label": outcomes.label(code), "count": n}
                for code, n in count.codes.most_common()
            ],
            "results": {result: count.results.get(result, 0) for result in RESULTS},
        }

    return {
        "since": report.since,
        "area": report.area,
        "total": row(report.total),
        "by_area": [row(count) for count in report.by_area],
        "by_organisation": [row(count) for count in report.by_organisation],
    }
