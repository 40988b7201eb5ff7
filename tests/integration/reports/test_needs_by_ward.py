"""The needs report by electoral ward: each resident placed in the ward of their postcode
(postcode.admin_ward_code), counted once however many referrals they made, with small counts suppressed in
open data."""

from datetime import timedelta

import pytest

from geo.models import Postcode
from referrals.models import Referral
from reports.needs import WARD_UNKNOWN, needs_report
from tests.integration.reports.history import SHOPPING, History, remove_postcodes

WARDS = {
    "SM1 1AA": ("E05013759", "Sutton Central", 51.3656, -0.1932),
    "SM1 2AA": ("E05013759", "Sutton Central", 51.3660, -0.1900),
    "SM2 5AA": ("E05013760", "Sutton South", 51.3540, -0.1900),
}


@pytest.fixture(autouse=True)
def _remove_postcodes_after(session_factory):
    yield
    remove_postcodes(session_factory, WARDS)


def add_postcodes(session) -> None:
    for postcode, (code, name, lat, lon) in WARDS.items():
        session.merge(
            Postcode(
                postcode=postcode,
                outcode=postcode.split()[0],
                latitude=lat,
                longitude=lon,
                admin_district_code="E09000029",
                admin_district="Sutton",
                admin_ward_code=code,
                admin_ward=name,
                source="test",
            )
        )
    session.commit()


def test_one_person_with_many_referrals_counts_once_in_their_ward(
    session_factory, session, areas, directory, now
):
    add_postcodes(session)
    history = History(session_factory, directory)
    made = [history.log(now - timedelta(hours=10 - i), SHOPPING, "SM1 1AA") for i in range(4)]
    for referral in made[1:]:
        session.get(Referral, referral.id).resident_id = made[0].resident_id
    session.commit()
    history.log(now - timedelta(hours=3), SHOPPING, "SM1 2AA")
    history.log(now - timedelta(hours=2), SHOPPING, "SM2 5AA")
    history.log(now - timedelta(hours=1), SHOPPING, "SM3 9ZZ")  # no ward known

    report = needs_report(session, areas, area="sutton", now=now)

    rows = {(r.area, r.need): r for r in report.rows if r.area_type == "ward"}
    central = rows[("E05013759", "shopping")]
    assert (central.people, central.referrals) == (2, 5)
    assert (central.area_name, central.ons_code, central.ons_name) == (
        "Sutton Central",
        "E05013759",
        "Sutton Central",
    )
    assert (central.council_area, rows[("E05013760", "shopping")].people) == ("sutton", 1)
    unknown = rows[(WARD_UNKNOWN, "shopping")]
    assert (unknown.people, unknown.area_name, unknown.ons_code) == (1, "Ward not known", None)
    totals = {t.area: t.people for t in report.places if t.area_type == "ward"}
    assert totals == {"E05013759": 2, "E05013760": 1, WARD_UNKNOWN: 1}
    council = next(t for t in report.places if t.area_type == "council_area")
    assert sum(totals.values()) == council.people


def test_open_data_suppresses_small_ward_counts_and_protects_the_council_total(
    session_factory, session, areas, directory, now
):
    add_postcodes(session)
    history = History(session_factory, directory)
    for i in range(5):
        history.log(now - timedelta(hours=20 - i), SHOPPING, "SM1 1AA")
    history.log(now - timedelta(hours=2), SHOPPING, "SM2 5AA")

    report = needs_report(session, areas, area="sutton", now=now, open_data=True, threshold=5)

    rows = {r.area: r for r in report.rows if r.area_type == "ward" and r.need == "shopping"}
    assert rows["E05013760"].people is None
    assert "people" in rows["E05013760"].suppressed
    # 5 in Sutton Central would give the small ward away from the council's 6: withheld to protect it
    assert "people" in rows["E05013759"].withheld
    council = next(r for r in report.rows if r.area_type == "council_area" and r.need == "shopping")
    for name in ("referrals", "accepted", "completed", "unmet", "people"):
        hidden = [r.area for r in rows.values() if name in r.suppressed]
        assert not (name not in council.suppressed and len(hidden) == 1), (name, hidden)
