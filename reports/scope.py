"""Who may read the reports, and whose figures: safety-net officers and admins; an officer bound to a
council team sees that council's area (as on the safety-net dashboard); admins and unbound officers choose any
area, or all of them. The API (`api/reports.py`) and the reports page (`web/reports.py`) both ask
`report_for` (`report_area` for the area alone)."""

from datetime import date

from sqlalchemy.orm import Session

from accounts.tokens import Principal
from directory.areas import Areas
from referrals import access
from referrals.errors import Forbidden
from referrals.outcomes import Outcomes
from reports.needs import NeedsReport, NeedsTrend, needs_report, needs_trend
from reports.outcomes import OutcomesReport, outcomes_report

REPORT_ROLES = ("safety_net_officer", "admin")


def report_area(principal: Principal, requested: str | None) -> str | None:
    """The area a report for `principal` covers (None: every area), or Forbidden."""
    if principal.role not in REPORT_ROLES:
        raise Forbidden("reports are for safety-net officers and admins")
    own = access.area_scope(principal)
    if own is None:
        return requested
    if requested not in (None, own):
        raise Forbidden(f"a safety-net officer of {own} sees reports for {own} only")
    return own


def report_for(
    session: Session,
    principal: Principal,
    areas: Areas,
    *,
    since: date | None,
    area: str | None,
    open_data: bool,
    threshold: int,
    until: date | None = None,
) -> NeedsReport:
    """The needs report as `principal` may read it, whichever door asked (the API's JSON, CSV and map, the
    reports page and its map)."""
    return needs_report(
        session,
        areas,
        since=since,
        until=until,
        area=report_area(principal, area),
        open_data=open_data,
        threshold=threshold,
    )


def trend_for(
    session: Session,
    principal: Principal,
    areas: Areas,
    *,
    since: date | None,
    until: date | None,
    area: str | None,
    open_data: bool,
    threshold: int,
) -> NeedsTrend:
    """Needs week by week as `principal` may read them, by the same rule."""
    return needs_trend(
        session,
        areas,
        since=since,
        until=until,
        area=report_area(principal, area),
        open_data=open_data,
        threshold=threshold,
    )


def outcomes_for(
    session: Session,
    principal: Principal,
    areas: Areas,
    outcomes: Outcomes,
    *,
    since: date | None,
    area: str | None,
) -> OutcomesReport:
    """What came of referrals (the outcomes recorded), as `principal` may read it, by the same rule."""
    names = {code: found.name for code, found in areas.by_code.items()}
    ons_codes = {code: ";".join(found.admin_district_codes) for code, found in areas.by_code.items()}
    return outcomes_report(
        session,
        outcomes,
        since=since,
        area=report_area(principal, area),
        area_names=names,
        ons_codes=ons_codes,
    )
