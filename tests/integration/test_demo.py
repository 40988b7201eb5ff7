"""The demo directory: complete for each area, on real postcodes and drama-range phones, and idempotent."""

import csv
import gzip
from collections import defaultdict
from datetime import date

import phonenumbers
import pytest
from sqlalchemy import func, select

from db import make_engine, make_session_factory
from db.migrate import load_models
from directory.demo import POSTCODE_FILE, demo_org_ids, load_demo
from directory.models import MUTUAL_AID_MODES, Organisation, Volunteer

TODAY = date(2020, 5, 1)
DISTRICTS = {"sutton": "E09000029", "coventry": "E08000026", "buckinghamshire": "E06000060"}
NEED_CODES = {
    "shopping", "prescriptions", "food", "befriending", "dog_walking", "errands", "transport", "digital",
    "financial", "housing", "mental_health", "personal_care", "advice",
}  # fmt: skip
DAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
SLOTS = {"morning", "afternoon", "evening"}
MOBILE_DRAMA = range(447700900000, 447700901000)
LANDLINE_DRAMA = (range(442079460000, 442079461000), range(441632960000, 441632961000))
UNCOMPARED = {"id", "created_at", "updated_at"}


def _session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    load_models().create_all(engine)
    return make_session_factory(engine)


def _snapshot(session) -> dict[str, dict]:
    rows = [*session.scalars(select(Organisation)), *session.scalars(select(Volunteer))]
    return {
        row.external_id: {
            attr.key: getattr(row, attr.key)
            for attr in row.__mapper__.column_attrs
            if attr.key not in UNCOMPARED
        }
        for row in rows
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    session_factory = _session_factory(tmp_path_factory.mktemp("demo"))
    with session_factory() as session:
        first = load_demo(session, today=TODAY)
        before = _snapshot(session)
    with session_factory() as session:
        second = load_demo(session, today=TODAY)
        after = _snapshot(session)
    return session_factory, first, second, before, after


@pytest.fixture
def session(loaded):
    with loaded[0]() as session:
        yield session


@pytest.fixture(scope="module")
def postcodes_by_area() -> dict[str, dict[str, tuple[float, float]]]:
    area_of = {code: area for area, code in DISTRICTS.items()}
    found: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    with gzip.open(POSTCODE_FILE, "rt", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["admin_district_code"] in area_of:
                found[area_of[row["admin_district_code"]]][row["postcode"]] = (
                    float(row["latitude"]),
                    float(row["longitude"]),
                )
    return found


def _orgs(session, area: str, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).where(Organisation.area == area)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))


def _volunteers_of(session, area: str) -> list[Volunteer]:
    return list(session.scalars(select(Volunteer).join(Organisation).where(Organisation.area == area)))


def test_second_run_creates_and_changes_nothing(loaded, session):
    _, first, second, before, after = loaded
    assert (first.organisations_created, first.volunteers_created) == (49, 360)
    assert (second.organisations_created, second.organisations_updated) == (0, 0)
    assert (second.volunteers_created, second.volunteers_updated, second.deactivated) == (0, 0, 0)
    assert after == before
    assert session.scalar(select(func.count()).select_from(Organisation)) == 49
    assert session.scalar(select(func.count()).select_from(Volunteer)) == 360
    assert second.by_area == first.by_area
    assert sum(area["volunteers"] for area in second.by_area.values()) >= 300


def test_names_are_not_duplicated_within_an_area(session):
    names = session.execute(select(Organisation.area, Organisation.name)).all()
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("area", DISTRICTS)
def test_each_area_has_one_safety_net_team_open_all_hours(session, area):
    teams = _orgs(session, area, "safety_net")
    assert len(teams) == 1
    assert teams[0].opening_hours is None
    assert {"personal_care", "housing"} <= set(teams[0].services)


@pytest.mark.parametrize("area", DISTRICTS)
def test_hubs_split_every_resident_outcode_between_them(session, postcodes_by_area, area):
    hubs = _orgs(session, area, "hub")
    assert 2 <= len(hubs) <= 4
    covered = [outcode for hub in hubs for outcode in hub.coverage_outcodes]
    assert len(covered) == len(set(covered)), "an outcode belongs to two hubs"
    resident_outcodes = {postcode.split(" ")[0] for postcode in postcodes_by_area[area]}
    assert set(covered) == resident_outcodes
    assert {volunteer.postcode.split(" ")[0] for volunteer in _volunteers_of(session, area)} <= set(covered)


@pytest.mark.parametrize("area", DISTRICTS)
def test_each_area_has_every_mutual_aid_mode_with_a_catchment(session, area):
    groups = _orgs(session, area, "mutual_aid")
    assert {group.mutual_aid_mode for group in groups} == set(MUTUAL_AID_MODES)
    for group in groups:
        assert group.coverage_outcodes or (group.radius_km and group.base_lat is not None), group.name
    assert any(group.radius_km for group in groups)
    assert any(group.coverage_outcodes for group in groups)


@pytest.mark.parametrize("area", DISTRICTS)
def test_each_area_has_the_core_voluntary_sector(session, area):
    vcs = _orgs(session, area, "vcs")
    offered = {code for org in vcs for code in org.services}
    assert {"food", "mental_health", "befriending", "advice", "financial", "housing"} <= offered
    assert any(org.min_age == 60 for org in vcs), "an older people's charity"
    for org in _orgs(session, area):
        assert org.description.startswith("Fictional demo organisation")
        assert set(org.services) <= NEED_CODES
        assert org.contact_email.endswith("@example.org")


def test_only_buckinghamshire_routes_through_an_infrastructure_organisation(session):
    assert {area: len(_orgs(session, area, "infrastructure")) for area in DISTRICTS} == {
        "sutton": 0,
        "coventry": 0,
        "buckinghamshire": 1,
    }


def _e164_number(text: str) -> int:
    number = phonenumbers.parse(text, None)
    assert number.country_code == 44
    assert phonenumbers.is_possible_number(number)
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == text
    return int(text[1:])


def test_every_phone_is_an_ofcom_drama_number(session):
    volunteer_phones = list(session.scalars(select(Volunteer.phone)))
    assert len(set(volunteer_phones)) == len(volunteer_phones)
    assert all(_e164_number(phone) in MOBILE_DRAMA for phone in volunteer_phones)
    for phone in session.scalars(select(Organisation.contact_phone)):
        assert any(_e164_number(phone) in drama for drama in LANDLINE_DRAMA), phone


def test_sutton_organisations_use_the_london_drama_range(session):
    assert all(org.contact_phone.startswith("+442079460") for org in _orgs(session, "sutton"))


@pytest.mark.parametrize("area", DISTRICTS)
def test_volunteers_live_at_real_postcodes_in_their_own_area(session, postcodes_by_area, area):
    volunteers = _volunteers_of(session, area)
    assert len(volunteers) >= 100
    for volunteer in volunteers:
        assert postcodes_by_area[area][volunteer.postcode] == (volunteer.lat, volunteer.lon)
        assert volunteer.email.endswith("@example.com")


def test_volunteer_profiles_are_within_their_ranges(session):
    volunteers = list(session.scalars(select(Volunteer)))
    member_kinds = {org.id: org.kind for org in session.scalars(select(Organisation))}
    for volunteer in volunteers:
        assert volunteer.skills
        assert set(volunteer.skills) <= NEED_CODES
        assert volunteer.availability
        assert set(volunteer.availability) <= DAYS
        assert all(slots and set(slots) <= SLOTS for slots in volunteer.availability.values())
        assert 1 <= volunteer.travel_radius_km <= 8
        assert 1 <= volunteer.max_active_tasks <= 4
        assert 2 <= volunteer.max_tasks_per_week <= 7
        assert member_kinds[volunteer.org_id] in {"mutual_aid", "hub", "vcs", "infrastructure"}
        if "personal_care" in volunteer.skills:
            assert volunteer.dbs_checked_on is not None
    assert {member_kinds[volunteer.org_id] for volunteer in volunteers} >= {"mutual_aid", "hub", "vcs"}
    assert 0 < sum(volunteer.sms_opted_out for volunteer in volunteers) < len(volunteers) // 10


def test_dbs_checks_are_a_mix_of_current_expired_and_none(session):
    statuses = defaultdict(int)
    for checked_on, expires_on in session.execute(select(Volunteer.dbs_checked_on, Volunteer.dbs_expires_on)):
        if checked_on is None:
            assert expires_on is None
            statuses["none"] += 1
        else:
            assert checked_on < TODAY
            statuses["current" if expires_on > TODAY else "expired"] += 1
    assert min(statuses["none"], statuses["current"], statuses["expired"]) >= 20


def test_demo_org_ids_names_each_area_safety_net(session):
    ids = demo_org_ids(session)
    assert set(ids) == set(DISTRICTS)
    for area, by_key in ids.items():
        assert session.get(Organisation, by_key["safety_net"]).kind == "safety_net"
        assert session.get(Organisation, by_key["safety_net"]).area == area
    assert "infrastructure" in ids["buckinghamshire"]


def test_reload_restores_edited_rows_and_retires_unknown_demo_rows(tmp_path):
    session_factory = _session_factory(tmp_path)
    with session_factory() as session:
        load_demo(session, today=TODAY)
        volunteer = session.scalar(select(Volunteer).where(Volunteer.external_id == "demo:vol:coventry:007"))
        original_phone, volunteer.phone = volunteer.phone, "+447700900999"
        session.add(
            Organisation(external_id="demo:sutton:closed-project", name="Old", kind="vcs", area="sutton")
        )
        session.add(Organisation(external_id="council:real-team", name="Real", kind="vcs", area="sutton"))
        session.commit()
    with session_factory() as session:
        report = load_demo(session, today=TODAY)
        assert (report.volunteers_updated, report.organisations_updated, report.deactivated) == (1, 0, 1)
        assert session.scalar(
            select(Volunteer.phone).where(Volunteer.external_id == "demo:vol:coventry:007")
        ) == (original_phone)
        active = dict(session.execute(select(Organisation.external_id, Organisation.active)).all())
        assert active["demo:sutton:closed-project"] is False
        assert active["council:real-team"] is True
        assert "closed_project" not in demo_org_ids(session)["sutton"]
