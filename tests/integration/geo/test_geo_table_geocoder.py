import pytest
from sqlalchemy import delete

from geo import InvalidPostcode, Postcode, PostcodeTableGeocoder, build_geocoder, import_postcodes

CV1_1AH = (52.41028, -1.509401)  # first row of the derived slice
SM1_CENTROID = (51.367098, -0.192841)
NOT_A_UNIT_IN_SM1 = "SM1 1ZY"  # no such live postcode; SM1 is a real district


@pytest.fixture
def geocoder(postcode_db, geo_test_data):
    report = import_postcodes(postcode_db, geo_test_data / "postcodes_slice.csv", progress=False)
    assert report.imported == 303
    return build_geocoder("offline", postcode_db)


def test_offline_setting_builds_the_table_geocoder(geocoder):
    assert isinstance(geocoder, PostcodeTableGeocoder)


def test_known_unit_is_postcode_precision(geocoder):
    location = geocoder.geocode("cv11ah")
    assert (location.lat, location.lon) == CV1_1AH
    assert (location.precision, location.postcode, location.outcode) == ("postcode", "CV1 1AH", "CV1")
    assert (location.admin_district_code, location.admin_district) == ("E08000026", "Coventry")


def test_unit_without_admin_codes_takes_its_districts(geocoder):
    location = geocoder.geocode("SM1 9WA")
    assert location.precision == "postcode"
    assert (location.admin_district_code, location.admin_district) == ("E09000029", "Sutton")


def test_unknown_unit_in_a_known_district_is_outcode_precision(geocoder):
    location = geocoder.geocode(NOT_A_UNIT_IN_SM1)
    assert (location.lat, location.lon) == SM1_CENTROID
    assert (location.precision, location.postcode, location.outcode) == ("outcode", NOT_A_UNIT_IN_SM1, "SM1")
    assert location.admin_district == "Sutton"


@pytest.mark.parametrize("query", ["SM99 1AA", "SM99", "JE2 3AB"])
def test_unknown_district_is_none(geocoder, query):
    assert geocoder.geocode(query) is None


def test_district_alone_is_outcode_precision(geocoder):
    location = geocoder.geocode("sm1")
    assert (location.precision, location.postcode, location.outcode) == ("outcode", None, "SM1")


def test_invalid_format_raises(geocoder):
    with pytest.raises(InvalidPostcode, match="not a UK postcode format"):
        geocoder.geocode("SM1 1CA")


def test_found_units_are_cached_and_misses_are_not(geocoder, postcode_db):
    assert geocoder.geocode("CV1 1AH").precision == "postcode"
    assert geocoder.geocode(NOT_A_UNIT_IN_SM1).precision == "outcode"
    with postcode_db() as session, session.begin():
        session.execute(delete(Postcode).where(Postcode.postcode == "CV1 1AH"))
        session.add(
            Postcode(
                postcode=NOT_A_UNIT_IN_SM1, outcode="SM1", latitude=51.36, longitude=-0.19, source="test"
            )
        )

    assert geocoder.geocode("CV1 1AH").precision == "postcode"
    new_unit = geocoder.geocode(NOT_A_UNIT_IN_SM1)
    assert (new_unit.precision, new_unit.lat, new_unit.admin_district) == ("postcode", 51.36, "Sutton")
