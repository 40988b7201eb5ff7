"""The needs report's demand figures aggregated in PostgreSQL from the facts kept in step with the referrals
(`needs_fact`, reports/facts.py): the period's person-needs are written once to a temporary table (a person
who asked for a need once in the period is that referral's fact as it stands; the rest are folded, GROUP BY
person, need), then counted by place (GROUPING SETS: council area, ward; and by postcode district) by
hashing, with each group's waits sorted as integers for its median, and the people placed by their first
referral; a hub's figures are summed here from its districts' and its median picked from their sorted
waits — so Python reads a few thousand aggregates, not a referral each. The counting rules are
reports/demand.py's, which the reference path (reports/needs.py, `demand_in_python`) applies in Python and
which SQLite uses; tests/integration/reports/test_needs_in_sql.py checks that both give the same report."""

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from reports.demand import ROUTINE, WAITING
from reports.facts import refreshed
from reports.statistics import SECONDS_PER_HOUR

# percentile_disc(p) is the ceil(p·n)-th value: p = ½ the lower middle (the middle when n is odd), p just
# above ½ the upper middle; exact for up to 10⁸ values.
_ABOVE_HALF = 0.500000001
WORK_MEM = "256MB"  # for the one statement: its sorts of a year's person-needs stay in memory


@dataclass(frozen=True)
class NeedCell:
    """The person-needs of one place (`kind`: council_area, outcode, ward, hub) and need."""

    kind: str
    area: str | None  # council area (outcode: None)
    place: str | None  # outcode, ward code (None: not known), hub id; council_area: the area
    need: str
    people: int
    referrals: int
    accepted: int
    completed: int
    unmet: int
    late: int
    median_hours: float | None  # the median hours from first referral to first acceptance, unrounded


@dataclass(frozen=True)
class PeopleCell:
    """People placed by their first referral of the period in a council area, district and ward."""

    area: str | None
    outcode: str
    ward_code: str | None
    ward_name: str | None
    people: int
    gap: int  # of them, people with a referral no provider could take (the districts on the map)
    short: int  # of them, people with a need unmet or waiting longer than its urgency allows (the wards)


def _hours(wait: timedelta) -> float:
    return wait.total_seconds() / SECONDS_PER_HOUR  # as reports.statistics.hours_between


def _median(count: int, low: timedelta | None, high: timedelta | None) -> float | None:
    """statistics.median of the hours, from the middle value(s) of the waits."""
    if not count or low is None or high is None:
        return None
    return _hours(low) if count % 2 else (_hours(low) + _hours(high)) / 2


_GROUPS = {  # GROUPING(area, ward): 1 where a column is not grouped (area the high bit); 2: the districts
    0b01: "council_area",
    0b10: "outcode",
    0b00: "ward",
}


MICROSECONDS = "CAST(extract(epoch FROM {}) * 1000000 AS bigint)"
# A person-need waited too long (reports/demand.py `person_needs`): accepted later than its urgency allows
# after the first referral for it, or nobody has accepted it, one is still waiting, and that long has passed.
LATE = """CASE WHEN accepted_at IS NOT NULL THEN accepted_at > {first} + allowed
                ELSE waiting AND CAST(:now AS timestamptz) > {first} + allowed END"""


def _alone(kind: str, since: bool, until: bool) -> str:
    """Whether the fact row's referral is the only one in the period of its person-need (`need`) or of its
    person (`person`): the referrals before and after it (all referrals of the person, whatever their scope)
    fall outside the period. Exact: a neighbour outside the scope only sends the row the folding way."""
    before = f"(f.{kind}_prev_at IS NULL" + (f" OR f.{kind}_prev_at < :start)" if since else ")")
    after = f"(f.{kind}_next_at IS NULL" + (f" OR f.{kind}_next_at >= :end)" if until else ")")
    return f"{before} AND {after}"


def _statement(urgencies: int, since: bool, until: bool) -> str:
    """The statement, from fixed fragments only (every value is a bound parameter)."""
    urgency = " ".join(f"WHEN :urgency_{i} THEN CAST(:allowed_{i} AS interval)" for i in range(urgencies))
    moment = "AND f.created_at >= :start" if since else ""
    moment += " AND f.created_at < :end" if until else ""
    # nothing is accepted before it is asked for: as the reference path, acceptances from the period's start
    accepted = [
        f"CASE WHEN f.{column} >= :start THEN f.{column} END" if since else f"f.{column}"
        for column in ("event_accepted_at", "offer_accepted_at")
    ]
    alone = {kind: _alone(kind, since, until) for kind in ("need", "person")}
    return f"""
WITH f AS NOT MATERIALIZED (
    SELECT f.referral_id AS id, f.person_id AS person, f.need, f.area, f.outcode, f.ward, f.ward_name,
           f.created_at, f.status = 'completed' AS completed, f.status IN :waiting AS waiting, f.gap,
           f.unmet_need, f.any_unmet, f.first_need,
           CASE f.urgency {urgency} ELSE CAST(:allowed_routine AS interval) END AS allowed,
           least({accepted[0]}, {accepted[1]}) AS accepted_at,
           {alone["need"]} AS need_alone, {alone["person"]} AS person_alone
    FROM needs_fact f
    WHERE (f.area IN :councils OR f.outcode IN :districts) {moment}
), lone AS NOT MATERIALIZED (
    -- the person asked for the need once in the period (most do): that referral is the person-need
    SELECT *, {LATE.format(first="created_at")} AS late FROM f WHERE need_alone
), asked AS (
    SELECT *, row_number() OVER (PARTITION BY person, need ORDER BY created_at, id) AS nth
    FROM f WHERE NOT need_alone
), folded AS (
    SELECT person, need, count(*) AS referrals, min(accepted_at) AS accepted_at,
           bool_or(completed) AS completed, bool_or(unmet_need) AS unmet,
           bool_or(waiting) AS waiting, min(allowed) AS allowed, bool_or(gap) AS gap,
           min(created_at) FILTER (WHERE nth = 1) AS first_at,
           min(id) FILTER (WHERE nth = 1) AS first_id,
           min(area) FILTER (WHERE nth = 1) AS area,
           min(outcode) FILTER (WHERE nth = 1) AS outcode,
           min(ward) FILTER (WHERE nth = 1) AS ward,
           min(ward_name) FILTER (WHERE nth = 1) AS ward_name
    FROM asked GROUP BY person, need
), multi AS (
    SELECT person, need, area, outcode, ward, ward_name, referrals, accepted_at, completed, unmet, gap,
           first_at, first_id, {LATE.format(first="first_at")} AS late
    FROM folded
)
SELECT person, need, area, outcode, ward, ward_name, 1 AS referrals, accepted_at IS NOT NULL AS accepted,
       completed, unmet_need AS unmet, late, {MICROSECONDS.format("accepted_at - created_at")} AS wait, gap,
       created_at AS first_at,
       id AS first_id, person_alone, first_need, any_unmet
FROM lone
UNION ALL
SELECT person, need, area, outcode, ward, ward_name, referrals, accepted_at IS NOT NULL, completed, unmet,
       late, {MICROSECONDS.format("accepted_at - first_at")}, gap, first_at, first_id, false, false, false
FROM multi
"""  # noqa: S608 (fixed fragments; every value is bound)


COUNTS = """count(*) AS people, sum(referrals) AS referrals, count(*) FILTER (WHERE accepted) AS accepted,
       count(*) FILTER (WHERE completed) AS completed, count(*) FILTER (WHERE unmet) AS unmet,
       count(*) FILTER (WHERE late) AS late, count(wait) AS waits,
       array_agg(wait) FILTER (WHERE wait IS NOT NULL) AS waits_us"""
# The period's person-needs, written once to a temporary table that the figures below read three ways: a
# WITH query read by three parts kept them in a tuplestore its readers shared, several times slower.
PERSON_NEEDS = "needs_report_person_needs"

AGGREGATES = f"""
WITH person AS (
    -- a person who asked more than once: placed by their first referral (the first of one of their needs)
    SELECT DISTINCT ON (person) person, area, outcode, ward, ward_name,
           bool_or(gap) OVER whole AS gap, bool_or(unmet OR late) OVER whole AS short
    FROM {PERSON_NEEDS} WHERE NOT person_alone
    WINDOW whole AS (PARTITION BY person ORDER BY first_at, first_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ORDER BY person, first_at, first_id
), people AS (
    SELECT area, outcode, ward, ward_name, gap, short FROM person
    UNION ALL
    -- a person who asked once: their one referral (its first need's row stands for it)
    SELECT area, outcode, ward, ward_name, gap, any_unmet OR late FROM {PERSON_NEEDS}
    WHERE person_alone AND first_need
), sets AS (
    -- counted by hashing, each group's waits gathered unsorted: sorting a year's person-needs by their
    -- places cost seconds; sorting each group's waits (integers) after, a fraction of one
    SELECT 'need' AS kind, area, NULL AS outcode, ward, need, GROUPING(area, ward) AS grouped, {COUNTS}
    FROM {PERSON_NEEDS} GROUP BY GROUPING SETS ((area, need), (area, need, ward))
    UNION ALL
    SELECT 'outcode', NULL, outcode, NULL, need, 2, {COUNTS}
    FROM {PERSON_NEEDS} GROUP BY outcode, need
)
SELECT kind, area, outcode, ward, need, grouped, people, referrals, accepted, completed, unmet, late, waits,
       CASE WHEN kind = 'need' THEN (
           SELECT percentile_disc(CAST(:middle AS float8[])) WITHIN GROUP (ORDER BY x)
           FROM unnest(waits_us) AS x
       ) END AS middle,
       NULL AS ward_name,
       -- each district's waits sorted: its median, and a hub's, are picked from them in Python (`_kth`)
       CASE WHEN kind = 'outcode' THEN ARRAY(SELECT x FROM unnest(waits_us) AS x ORDER BY x)
       END AS sorted_waits
FROM sets
UNION ALL
SELECT 'people', area, outcode, ward, NULL, 0, count(*), 0, 0, 0,
       count(*) FILTER (WHERE gap), count(*) FILTER (WHERE short), 0, NULL, min(ward_name), NULL
FROM people GROUP BY area, outcode, ward
"""  # noqa: S608 (fixed fragments; every value is bound)


def demand_in_sql(
    session: Session,
    *,
    councils: Iterable[str],
    districts: Iterable[str],
    hubs: Mapping[str, Iterable[str]],
    allowances: Mapping[str, timedelta],
    now: datetime,
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[NeedCell], list[PeopleCell]]:
    """The person-needs of the period summed by council area, district, (council area, ward) and hub (hub id
    → the districts it covers), and the people by where their first referral placed them. PostgreSQL only."""
    urgencies = [u for u in allowances if u != ROUTINE]
    hubs = {hub: frozenset(outcodes) for hub, outcodes in hubs.items()}
    statement = text(
        f"CREATE TEMPORARY TABLE {PERSON_NEEDS} AS "
        + _statement(len(urgencies), start is not None, end is not None)
    )
    statement = statement.bindparams(
        bindparam("councils", expanding=True),
        bindparam("districts", expanding=True),
        bindparam("waiting", expanding=True),
    )
    params: dict[str, object] = {
        "councils": sorted(councils) or [""],
        "districts": sorted(districts) or [""],
        "waiting": sorted(WAITING),
        "allowed_routine": allowances[ROUTINE],
        "now": now,
    }
    for i, urgency in enumerate(urgencies):
        params[f"urgency_{i}"] = urgency
        params[f"allowed_{i}"] = allowances[urgency]
    if start is not None:
        params["start"] = start
    if end is not None:
        params["end"] = end
    needs: list[NeedCell] = []
    people: list[PeopleCell] = []
    refreshed(session)  # the facts in step with every write so far (reports/facts.py)
    connection = session.connection()
    # The planner's estimate of this statement is far above its cost (it cannot see how few groups the
    # person-needs make), so PostgreSQL would compile it with JIT: seconds of compiling for nothing (at
    # bench.scale's 10,000 referrals, 4.4 s instead of 0.55 s). Off for this statement only.
    # Its sorts and hashes hold the year's person-needs: in memory rather than in temporary files
    # (PostgreSQL's default work_mem, 4 MB, spilled every sort to disk at 100,000 referrals).
    # And a hash join of the referrals to their lists (the planner, not knowing how few they are, sorted
    # every referral by its lists for a merge join).
    settings = {"jit": "off", "work_mem": WORK_MEM, "enable_mergejoin": "off"}
    before = {
        name: connection.execute(text("SELECT current_setting(:name)"), {"name": name}).scalar_one()
        for name in settings
    }
    set_local = text("SELECT set_config(:name, :value, true)")
    for name, value in settings.items():
        connection.execute(set_local, {"name": name, "value": value})
    try:
        connection.execute(text(f"DROP TABLE IF EXISTS {PERSON_NEEDS}"))
        connection.execute(statement, params)
        connection.execute(text(f"ANALYZE {PERSON_NEEDS}"))
        rows = connection.execute(text(AGGREGATES), {"middle": [0.5, _ABOVE_HALF]}).all()
        connection.execute(text(f"DROP TABLE {PERSON_NEEDS}"))
    finally:
        for name, value in before.items():
            connection.execute(set_local, {"name": name, "value": value})
    waits: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        if row.kind == "people":
            people.append(
                PeopleCell(row.area, row.outcode, row.ward, row.ward_name, row.people, row.unmet, row.late)
            )
            continue
        kind = _GROUPS[row.grouped]
        middle = tuple(timedelta(microseconds=us) for us in row.middle) if row.middle else (None, None)
        if row.kind == "outcode":
            sorted_waits = waits[(row.outcode, row.need)] = row.sorted_waits or []
            middle = _middle([sorted_waits])
        place = {"council_area": row.area, "outcode": row.outcode, "ward": row.ward}
        needs.append(
            NeedCell(
                kind=kind,
                area=None if kind == "outcode" else row.area,
                place=place[kind],
                need=row.need,
                people=row.people,
                referrals=int(row.referrals),
                accepted=row.accepted,
                completed=row.completed,
                unmet=row.unmet,
                late=row.late,
                median_hours=_median(row.waits, *middle),
            )
        )
    return needs + _hub_cells(hubs, needs, waits), people


def _middle(lists: Sequence[Sequence[int]]) -> tuple[timedelta | None, timedelta | None]:
    """The middle value(s) of the waits (microseconds) in several sorted lists, as percentile_disc(½) and just
    above ½ give: the middle, or the two middle (1-based, the ((n + 1) // 2)-th and the (n // 2 + 1)-th)."""
    count = sum(len(values) for values in lists)
    if not count:
        return None, None
    low, high = (count + 1) // 2, count // 2 + 1
    if len(lists) == 1:
        return timedelta(microseconds=lists[0][low - 1]), timedelta(microseconds=lists[0][high - 1])
    return timedelta(microseconds=_kth(lists, low)), timedelta(microseconds=_kth(lists, high))


def _hub_cells(
    hubs: Mapping[str, frozenset[str]],
    needs: Iterable[NeedCell],
    waits: Mapping[tuple[str, str], list[int]],
) -> list[NeedCell]:
    """Each hub's figures for each need: the sums of its districts' and the median of their waits
    (microseconds, each district's sorted)."""
    by_outcode: dict[str, list[NeedCell]] = {}
    for cell in needs:
        if cell.kind == "outcode":
            by_outcode.setdefault(cell.place or "", []).append(cell)
    found = []
    for hub, outcodes in hubs.items():
        cells: dict[str, list[NeedCell]] = {}
        for outcode in sorted(outcodes):
            for cell in by_outcode.get(outcode, ()):
                cells.setdefault(cell.need, []).append(cell)
        for need, parts in cells.items():
            lists = [waits[(part.place, need)] for part in parts if (part.place, need) in waits]
            count = sum(len(values) for values in lists)
            found.append(
                NeedCell(
                    "hub",
                    None,
                    hub,
                    need,
                    *(sum(getattr(part, name) for part in parts) for name in _SUMMED),
                    median_hours=_median(count, *_middle(lists)),
                )
            )
    return found


_SUMMED = ("people", "referrals", "accepted", "completed", "unmet", "late")


def _kth(lists: Sequence[Sequence[int]], k: int) -> int:
    """The k-th smallest (1-based) of the values of several sorted lists: the least value with at least k
    values at or below it, found by halving the range of values."""
    low = min(values[0] for values in lists if values)
    high = max(values[-1] for values in lists if values)
    while low < high:
        middle = (low + high) // 2
        if sum(bisect_right(values, middle) for values in lists) >= k:
            high = middle
        else:
            low = middle + 1
    return low
