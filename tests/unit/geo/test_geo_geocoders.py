from dataclasses import dataclass, field

import pytest
from geopy.exc import GeocoderServiceError, GeocoderTimedOut

from geo import (
    DATA_DIR,
    GeopyGeocoder,
    InvalidPostcode,
    OutcodeCentroids,
    PostcodeTableGeocoder,
    build_geocoder,
    default_outcode_centroids,
)

SUTTON = ("E09000029", "Sutton")
SM1_CENTROID = (51.367098, -0.192841)
SM1_1AA = (51.359723, -0.193146)
COVENTRY = (52.409411, -1.506543)
NEW_YORK = (40.7128, -74.0060)


@pytest.fixture(scope="module")
def centroids():
    return default_outcode_centroids()


def test_loads_every_uk_district(centroids):
    assert len(centroids) == 2943
    assert "SM1" in centroids
    assert "BT1" in centroids


def test_can_leave_out_northern_ireland():
    great_britain = OutcodeCentroids.from_csv(
        DATA_DIR / "uk_outcode_centroids.csv", include_northern_ireland=False
    )
    assert len(great_britain) == 2863
    assert great_britain.lookup_outcode("BT1") is None
    assert great_britain.lookup_outcode("SM1") is not None


@pytest.mark.parametrize(
    ("outcode", "lat", "lon", "district"),
    [
        ("SM1", 51.3671, -0.1928, SUTTON),
        ("cv1", 52.4094, -1.5065, ("E08000026", "Coventry")),
        ("HP19", 51.8237, -0.8281, ("E06000060", "Buckinghamshire")),
        (" sw1a ", 51.50, -0.14, ("E09000033", "Westminster")),
    ],
)
def test_district_centroid_lookup(centroids, outcode, lat, lon, district):
    location = centroids.lookup_outcode(outcode)
    assert location.lat == pytest.approx(lat, abs=0.01)
    assert location.lon == pytest.approx(lon, abs=0.01)
    assert (location.precision, location.postcode) == ("outcode", None)
    assert (location.admin_district_code, location.admin_district) == district


@pytest.mark.parametrize(
    ("query", "postcode", "outcode"),
    [("sm1 1aa", "SM1 1AA", "SM1"), ("SM1", None, "SM1"), ("EC1A1BB", "EC1A 1BB", "EC1A")],
)
def test_centroids_answer_at_district_precision(centroids, query, postcode, outcode):
    location = centroids.geocode(query)
    assert (location.precision, location.postcode, location.outcode) == ("outcode", postcode, outcode)


@pytest.mark.parametrize("query", ["SM99 1AA", "SM99", "JE2 3AB", "GIR 0AA"])
def test_unknown_district_is_none(centroids, query):
    assert centroids.geocode(query) is None


def test_invalid_format_raises(centroids):
    with pytest.raises(InvalidPostcode):
        centroids.geocode("12345")
    with pytest.raises(InvalidPostcode):
        centroids.lookup_outcode("SM1 1AA")


def test_names_local_authority_codes(centroids):
    assert centroids.district_names["E09000029"] == "Sutton"


@dataclass
class Point:
    latitude: float
    longitude: float


@dataclass
class FakeGeopy:
    """Answers like a geopy geocoder from a table of queries; anything else is 'not found'."""

    answers: dict[str, Point | Exception] = field(default_factory=dict)
    calls: list[tuple[str, dict]] = field(default_factory=list)

    def geocode(self, query, **kwargs):
        self.calls.append((query, kwargs))
        answer = self.answers.get(query)
        if isinstance(answer, Exception):
            raise answer
        return answer


def live(centroids, answers, **options):
    fake = FakeGeopy({f"{postcode}, United Kingdom": answer for postcode, answer in answers.items()})
    return fake, GeopyGeocoder(fake, centroids, **options)


def test_live_answer_near_its_district_is_postcode_precision(centroids):
    fake, geocoder = live(centroids, {"SM1 1AA": Point(*SM1_1AA)}, timeout=3)
    location = geocoder.geocode("sm11aa")
    assert (location.lat, location.lon) == SM1_1AA
    assert (location.precision, location.postcode, location.outcode) == ("postcode", "SM1 1AA", "SM1")
    assert (location.admin_district_code, location.admin_district) == SUTTON
    assert fake.calls == [("SM1 1AA, United Kingdom", {"exactly_one": True, "timeout": 3})]


@pytest.mark.parametrize(
    "answer",
    [None, Point(*COVENTRY), Point(*NEW_YORK), GeocoderTimedOut("slow"), GeocoderServiceError("quota")],
    ids=["not-found", "far-from-district", "outside-uk", "timeout", "service-error"],
)
def test_live_falls_back_to_the_district_centroid(centroids, answer):
    _, geocoder = live(centroids, {"SM1 1AA": answer})
    location = geocoder.geocode("SM1 1AA")
    assert (location.lat, location.lon) == SM1_CENTROID
    assert (location.precision, location.postcode) == ("outcode", "SM1 1AA")


def test_live_answer_for_a_district_we_lack_has_no_admin_district(centroids):
    _, geocoder = live(centroids, {"SM99 1AA": Point(*SM1_1AA), "JE2 3AB": Point(49.18, -2.10)})
    location = geocoder.geocode("SM99 1AA")
    assert (location.precision, location.outcode, location.admin_district) == ("postcode", "SM99", None)
    assert geocoder.geocode("JE2 3AB") is None


def test_live_district_query_needs_no_service(centroids):
    fake, geocoder = live(centroids, {})
    assert geocoder.geocode("SM1").precision == "outcode"
    assert fake.calls == []


def test_live_answers_are_cached_but_failures_are_retried(centroids):
    fake, geocoder = live(centroids, {"SM1 1AA": Point(*SM1_1AA), "SM2 5AA": GeocoderTimedOut()})
    geocoder.geocode("SM1 1AA")
    geocoder.geocode("sm1 1aa")
    geocoder.geocode("SM2 5AA")
    geocoder.geocode("SM2 5AA")
    assert [query for query, _ in fake.calls] == ["SM1 1AA, United Kingdom"] + ["SM2 5AA, United Kingdom"] * 2


def test_live_cache_is_bounded(centroids):
    fake, geocoder = live(centroids, {}, cache_size=2)
    for postcode in ["SM1 1AA", "SM1 1AB", "SM1 1AD", "SM1 1AB", "SM1 1AA"]:
        geocoder.geocode(postcode)
    assert [query.split(",")[0] for query, _ in fake.calls] == ["SM1 1AA", "SM1 1AB", "SM1 1AD", "SM1 1AA"]


def test_build_outcode_geocoder(centroids):
    assert build_geocoder("outcode") is centroids


def test_build_offline_geocoder_needs_a_database():
    with pytest.raises(ValueError, match="session factory"):
        build_geocoder("offline")
    assert isinstance(build_geocoder("offline", session_factory=object), PostcodeTableGeocoder)


def test_build_geopy_geocoder_by_service_name():
    geocoder = build_geocoder(
        "geopy:nominatim", user_agent="one-route-in tests", timeout=2, max_distance_km=10
    )
    assert isinstance(geocoder, GeopyGeocoder)


@pytest.mark.parametrize(
    ("kind", "options", "error"),
    [
        ("magic", {}, ValueError),
        ("geopy:no-such-service", {}, ValueError),
        ("offline", {"user_agent": "x"}, TypeError),
    ],
)
def test_build_refuses_unknown_settings(kind, options, error):
    with pytest.raises(error):
        build_geocoder(kind, session_factory=object, **options)
