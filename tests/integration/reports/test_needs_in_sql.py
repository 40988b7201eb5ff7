"""The needs report aggregated in PostgreSQL (reports/needs_sql.py) gives exactly the report the reference
definition gives from each referral in Python (reports/needs.py `demand_in_python`, SQLite's path), over
varied data: people with several referrals, records merged into another (`same_as`), several and repeated
needs, none recognised, gaps with and without named unmet needs, acceptances from the audit trail and from
offers (some before the period), calls linked to an open referral, a district outside the served ones, wards
known and not, periods with referrals on their first and last moments, and open data at several thresholds
(suppression boundaries). On SQLite the SQL path does not exist: the default path is the reference."""

import dataclasses
import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from accounts.tokens import SYSTEM
from referrals import audit
from referrals.models import Offer, Referral, Resident
from reports.needs import needs_report
from tests.integration.reports.history import add_shipped_postcodes, remove_postcodes

NOW = datetime(2026, 6, 15, 12, 0, 0, 123456, tzinfo=UTC)
POSTCODES = (  # postcode, outcode, council area of the referral
    ("SM1 1AA", "SM1", "sutton"),  # ward known (add_shipped_postcodes)
    ("SM3 9AA", "SM3", "sutton"),  # ward known
    ("SM2 5AA", "SM2", "sutton"),  # ward not known
    ("CV1 1AH", "CV1", "coventry"),
    ("HP19 8AA", "HP19", "buckinghamshire"),
    ("SW1A 1AA", "SW1A", "sutton"),  # a district no served council has: placed from its residents
)
NEEDS = ("shopping", "food", "befriending", "prescriptions", "financial", "dog_walking")
STATUSES = ("received", "triaged", "offered", "declined", "escalated", "accepted", "completed", "closed")
URGENCIES = ("routine", "urgent", "emergency", None)


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time.min, UTC) + timedelta(
        seconds=rng.randrange(86400), microseconds=rng.randrange(1_000_000)
    )


def build_varied(session_factory, directory: dict[str, int], seed: int = 22) -> None:
    rng = random.Random(seed)
    first_day = date(2026, 4, 1)
    with session_factory() as session:
        residents = []
        for n in range(70):
            postcode, outcode, area = POSTCODES[n % len(POSTCODES)]
            resident = Resident(
                name=f"Person {n}",
                postcode=postcode,
                outcode=outcode,
                lat=51.36 + n / 1000,
                lon=-0.19,
                geo_precision="postcode",
                area=area,
            )
            session.add(resident)
            residents.append((resident, area))
        session.flush()
        # Some records found to be the same person as another, sometimes living elsewhere.
        for resident, _area in residents[60:]:
            resident.same_as_id = rng.choice(residents[:20])[0].id
        referrals = []
        for n in range(260):
            resident, area = rng.choice(residents[:30] * 3 + residents)  # many people refer again
            if n in (1, 2):  # on the first and last moments of the period the test asks for
                created = (
                    datetime(2026, 5, 1, tzinfo=UTC)
                    if n == 1
                    else datetime(2026, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)
                )
            else:
                created = _moment(rng, first_day + timedelta(days=rng.randrange(76)))
            needs = rng.sample(NEEDS, rng.choice((0, 1, 1, 1, 2, 3)))
            if needs and rng.random() < 0.1:
                needs.append(needs[0])  # a need named twice counts once
            gap = rng.random() < 0.2
            unmet = rng.sample(needs, min(len(needs), rng.choice((0, 1)))) if gap else []
            referral = Referral(
                resident_id=resident.id,
                channel="phone",
                consent_to_share=True,
                status=rng.choice(STATUSES),
                needs=needs,
                urgency=rng.choice(URGENCIES),
                area=area if rng.random() < 0.95 else None,
                gap=gap,
                unmet_needs=unmet,
                created_by_role="helpline",
                created_at=created,
            )
            if referrals and rng.random() < 0.05:
                referral.linked_referral_id = rng.choice(referrals).id
            session.add(referral)
            session.flush()
            referrals.append(referral)
        for referral in referrals:
            after = timedelta(minutes=rng.randrange(1, 6000), microseconds=rng.randrange(1_000_000))
            if rng.random() < 0.4:
                audit.record(
                    session,
                    "referral.accepted",
                    SYSTEM,
                    referral_id=referral.id,
                    now=referral.created_at + after,
                )
            if rng.random() < 0.4:
                status = rng.choice(("accepted", "accepted", "declined"))
                session.add(
                    Offer(
                        referral_id=referral.id,
                        org_id=directory["hub"],
                        status=status,
                        tier="hub",
                        expires_at=referral.created_at + timedelta(days=2),
                        responded_at=referral.created_at + after * rng.choice((0.5, 1, 2)),
                        created_at=referral.created_at,
                    )
                )
        session.commit()


def _report(session, areas, **kwargs) -> dict:
    return dataclasses.asdict(needs_report(session, areas, now=NOW, **kwargs))


PERIODS = (
    {"since": date(2026, 5, 1), "until": date(2026, 5, 31)},
    {"since": date(2026, 4, 1), "until": date(2026, 6, 15)},
    {"since": None, "until": date(2026, 6, 20)},
    {"since": date(2026, 6, 1), "until": date(2026, 6, 1)},
)


@pytest.fixture
def varied(session_factory, directory):
    add_shipped_postcodes(session_factory)
    build_varied(session_factory, directory)
    yield
    remove_postcodes(session_factory, ("SM1 1AA", "SM3 9AA"))


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p['since']}..{p['until']}")
@pytest.mark.parametrize(
    "options",
    [{}, {"area": "sutton"}, {"open_data": True, "threshold": 3}, {"open_data": True, "threshold": 10}],
    ids=("all", "sutton", "open3", "open10"),
)
def test_the_sql_path_gives_the_reference_report(varied, session, engine, areas, period, options):
    reference = _report(session, areas, in_sql=False, **period, **options)
    if engine.dialect.name == "postgresql":
        in_sql = _report(session, areas, in_sql=True, **period, **options)
        for key in reference:
            if isinstance(reference[key], tuple):  # row by row first, so a failure shows the row
                assert len(in_sql[key]) == len(reference[key]), key
                for got, expected in zip(in_sql[key], reference[key], strict=True):
                    assert got == expected, key
            assert in_sql[key] == reference[key], key
    assert _report(session, areas, **period, **options) == reference  # the default path


def test_the_varied_data_exercises_every_rule(varied, session, areas):
    report = needs_report(
        session, areas, now=NOW, since=date(2026, 4, 1), until=date(2026, 6, 15), in_sql=False
    )
    rows = [row for row in report.rows if row.people]
    assert any(row.referrals > row.people for row in rows)  # people with several referrals
    for figure in ("late", "unmet", "accepted", "completed"):
        assert any(getattr(row, figure) for row in rows), figure
    assert any(row.median_hours_to_accept is not None for row in rows)
    assert {row.area_type for row in rows} >= {"council_area", "hub", "outcode", "ward"}
    assert any(row.need == "none_recognised" for row in rows)
    assert any(d.outcode == "SW1A" and d.people for d in report.districts)
    assert any(w.people for w in report.wards)
    published = needs_report(
        session, areas, now=NOW, since=date(2026, 4, 1), until=date(2026, 6, 15), open_data=True, threshold=3
    )
    assert any(row.suppressed for row in published.rows)
    assert any(not row.suppressed for row in published.rows)
