"""Can each council area route a referral with the directory as it stands? Checked when the app starts (the
problems are logged) and by `flask --app wsgi config check` (exit 1 on an error, naming the area).

Errors stop an area routing its referrals (they are still saved, held by the safety net: see
`referrals.routing.route_or_hold`); warnings are legal set-ups that may not be what was meant."""

import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from directory.areas import Area, Areas
from directory.models import ORG_KINDS, Organisation

logger = logging.getLogger(__name__)
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    area: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity.upper()}: {self.message}"


@dataclass(frozen=True)
class AreaSummary:
    area: Area
    safety_net: tuple[int, str] | None
    infrastructure: tuple[int, str] | None
    active_by_kind: dict[str, int]

    def line(self) -> str:
        parts = [f"{self.area.code} ({self.area.name}): {self.area.coordination_model}"]
        parts.append(f"safety-net team {_named(self.safety_net)}")
        if self.area.coordination_model == "infrastructure_broker":
            parts.append(f"infrastructure organisation {_named(self.infrastructure)}")
        counts = [
            f"{self.active_by_kind[kind]} {kind}" for kind in ORG_KINDS if self.active_by_kind.get(kind)
        ]
        parts.append(f"active organisations: {', '.join(counts) or 'none'}")
        return "; ".join(parts)


@dataclass(frozen=True)
class ConfigReport:
    findings: tuple[Finding, ...]
    summaries: tuple[AreaSummary, ...]
    active_organisations: int

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_areas(session: Session, areas: Areas) -> ConfigReport:
    """Every configured area against the active organisations in the directory: a council safety-net team
    (the owner of last resort) in each; an infrastructure organisation where the model is
    infrastructure_broker; a hub where it is hub_network; and no organisation in an area nobody configured.
    Where there are several, matching takes the first by id, as this reports."""
    found = {
        (area, kind): (count, first)
        for area, kind, count, first in session.execute(
            select(Organisation.area, Organisation.kind, func.count(), func.min(Organisation.id))
            .where(Organisation.active)
            .group_by(Organisation.area, Organisation.kind)
        )
    }
    chosen = [
        first for (_area, kind), (_count, first) in found.items() if kind in ("safety_net", "infrastructure")
    ]
    names = dict(
        session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(chosen))).all()
    )
    findings: list[Finding] = []
    summaries: list[AreaSummary] = []
    for area in areas.by_code.values():
        label = f"area {area.code!r} ({area.name})"
        safety_net = _first(found, area.code, "safety_net", names)
        infrastructure = _first(found, area.code, "infrastructure", names)
        findings += _safety_net_findings(label, area, found, safety_net)
        findings += _model_findings(label, area, found, infrastructure)
        counts = {kind: found[(area.code, kind)][0] for kind in ORG_KINDS if (area.code, kind) in found}
        summaries.append(AreaSummary(area, safety_net, infrastructure, counts))
    unknown = sorted({code for code, _kind in found} - set(areas.by_code))
    for code in unknown:
        count = sum(n for (where, _kind), (n, _first) in found.items() if where == code)
        findings.append(
            Finding(
                "warning",
                code,
                f"{count} active organisation(s) have area {code!r}, which the areas file does not list "
                f"(it lists {', '.join(areas.by_code)}): they are never matched",
            )
        )
    total = sum(count for count, _first in found.values())
    return ConfigReport(tuple(findings), tuple(summaries), total)


def _safety_net_findings(
    label: str, area: Area, found: dict, safety_net: tuple[int, str] | None
) -> list[Finding]:
    if safety_net is None:
        return [
            Finding(
                "error",
                area.code,
                f"{label} has no active council safety-net team (an organisation of kind safety_net with "
                f"area {area.code!r}): its referrals have no owner of last resort (they are saved, held "
                "without an owner)",
            )
        ]
    return _several(label, area, found, "safety_net", "safety-net teams", safety_net)


def _several(
    label: str, area: Area, found: dict, kind: str, words: str, first: tuple[int, str]
) -> list[Finding]:
    """A warning when an area has more than one active organisation of a kind routing takes only one of."""
    count = found[(area.code, kind)][0]
    if count <= 1:
        return []
    message = f"{label} has {count} active {words}: referrals go to the first, {_named(first)}"
    return [Finding("warning", area.code, message)]


def _model_findings(
    label: str, area: Area, found: dict, infrastructure: tuple[int, str] | None
) -> list[Finding]:
    model = area.coordination_model
    if model == "infrastructure_broker":
        if infrastructure is None:
            return [
                Finding(
                    "error",
                    area.code,
                    f"{label} uses coordination model infrastructure_broker but has no active infrastructure "
                    f"organisation (an organisation of kind infrastructure with area {area.code!r}): its "
                    "voluntary-sector and mutual-aid referrals cannot be routed (they are saved, held by the "
                    "safety-net team)",
                )
            ]
        return _several(label, area, found, "infrastructure", "infrastructure organisations", infrastructure)
    if model == "hub_network" and (area.code, "hub") not in found:
        return [
            Finding(
                "warning",
                area.code,
                f"{label} uses coordination model hub_network but has no active community hub: its "
                "voluntary-sector and mutual-aid referrals all go to the safety-net team as gaps",
            )
        ]
    return []


def _first(found: dict, area: str, kind: str, names: dict[int, str]) -> tuple[int, str] | None:
    entry = found.get((area, kind))
    return None if entry is None else (entry[1], names.get(entry[1], ""))


def _named(org: tuple[int, str] | None) -> str:
    return "none" if org is None else f"{org[1]} (id {org[0]})"


def log_area_problems(sessions: sessionmaker[Session], areas: Areas) -> ConfigReport | None:
    """At start-up: log each error (and warning) `check_areas` finds. The app starts anyway: refusing would
    stop every area taking calls, while a misconfigured area's calls are still saved and held by the safety
    net; and the commands that fix the directory start the app too. A database not migrated yet is not
    checked (`flask --app wsgi db upgrade` starts the app first); an empty directory is one warning."""
    try:
        with sessions() as session:
            report = check_areas(session, areas)
    except SQLAlchemyError as error:
        logger.warning("council areas not checked: the database is not ready (%s)", type(error).__name__)
        return None
    if report.active_organisations == 0:
        logger.warning(
            "the directory has no active organisations: no area can route a referral until it is loaded "
            "(flask --app wsgi directory import-organisations, or demo load); calls are still saved"
        )
        return report
    for finding in report.findings:
        log = logger.error if finding.severity == "error" else logger.warning
        log(
            "misconfigured council area %s: %s (flask --app wsgi config check)", finding.area, finding.message
        )
    if report.ok:
        logger.info("council areas checked: %d areas can route referrals", len(report.summaries))
    return report
