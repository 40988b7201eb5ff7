"""Geocoders behind one interface, and the factory that picks one from a setting.

- "offline" (default): `PostcodeTableGeocoder`, unit postcodes from the `postcode` table, falling back to the
  shipped district centroids. No network.
- "outcode": `OutcodeCentroids` alone, district precision only (no database needed).
- "geopy:<service>" (e.g. "geopy:nominatim"): `GeopyGeocoder`, a live geopy geocoder with the district
  centroid as fallback when the service fails, finds nothing, or answers implausibly far from the district.
"""

import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from geo.centroids import CENTROIDS_FILE, DATA_DIR, OutcodeCentroids, load_outcode_centroids
from geo.location import Geocoder, Location, distance_km, within_uk
from geo.models import Postcode
from geo.postcodes import is_outcode, normalise_postcode

__all__ = [
    "Geocoder",
    "GeopyGeocoder",
    "Location",
    "OutcodeCentroids",
    "PostcodeTableGeocoder",
    "build_geocoder",
    "on_session",
]

log = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 4096
DEFAULT_MAX_DISTANCE_KM = 40.0
DEFAULT_TIMEOUT_SECONDS = 5.0


class PostcodeTableGeocoder:
    """Unit postcodes from the `postcode` table; the district centroid when the unit is not there.

    Found units are cached (bounded); misses are not, so postcodes imported while the app runs are seen.
    A unit imported without an admin district (a few non-geographic ones) takes its district's.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        fallback: OutcodeCentroids,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._session_factory = session_factory
        self._fallback = fallback
        self._cache = _BoundedCache(cache_size)

    def geocode(self, postcode: str, session: Session | None = None) -> Location | None:
        """`session`: read the table through that one (a request's own, already connected and inside its
        transaction) instead of a session of the geocoder's own (a pool checkout, its ping and a rollback)."""
        if is_outcode(postcode):
            return self._fallback.lookup_outcode(postcode)
        normalised = normalise_postcode(postcode)
        is_cached, cached = self._cache.get(normalised)
        if is_cached:
            return cached
        if session is not None:
            unit = session.get(Postcode, normalised)
        else:
            with self._session_factory() as own:
                unit = own.get(Postcode, normalised)
        if unit is None:
            return self._fallback.geocode(normalised)
        location = self._unit_location(unit)
        self._cache.put(normalised, location)
        return location

    def _unit_location(self, unit: Postcode) -> Location:
        district = self._fallback.lookup_outcode(unit.outcode)
        admin_from_district = unit.admin_district_code is None and district is not None
        admin_code = district.admin_district_code if admin_from_district else unit.admin_district_code
        admin_name = district.admin_district if admin_from_district else unit.admin_district
        if admin_name is None and admin_code is not None:
            admin_name = self._fallback.district_names.get(admin_code)
        return Location(
            lat=unit.latitude,
            lon=unit.longitude,
            precision="postcode",
            postcode=unit.postcode,
            outcode=unit.outcode,
            admin_district_code=admin_code,
            admin_district=admin_name,
        )


class _OnSession:
    """A `PostcodeTableGeocoder` reading through one session (`on_session`); same cache."""

    def __init__(self, geocoder: PostcodeTableGeocoder, session: Session) -> None:
        self._geocoder = geocoder
        self._session = session

    def geocode(self, postcode: str) -> Location | None:
        return self._geocoder.geocode(postcode, self._session)


def on_session(geocoder: Geocoder, session: Session) -> Geocoder:
    """The geocoder reading the postcode table through `session` (a request's own), where it reads the
    database at all; any other geocoder as it is."""
    if isinstance(geocoder, PostcodeTableGeocoder):
        return _OnSession(geocoder, session)
    return geocoder


class GeopyGeocoder:
    """A live geopy geocoder (Nominatim, Google, ...) for unit postcodes, with district centroids as fallback.

    `geopy_geocoder` is anything with geopy's `geocode(query, exactly_one=True, timeout=...)` returning an
    object with `latitude` and `longitude`, or None. The admin district comes from the district file, since
    live services do not give local authority codes. Answers (including "not found") are cached; failures
    (timeouts, quota) are not, so the next request tries the service again.
    """

    def __init__(
        self,
        geopy_geocoder: Any,
        fallback: OutcodeCentroids,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_distance_km: float = DEFAULT_MAX_DISTANCE_KM,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self._geopy = geopy_geocoder
        self._fallback = fallback
        self._timeout = timeout
        self._max_distance_km = max_distance_km
        self._cache = _BoundedCache(cache_size)

    def geocode(self, postcode: str) -> Location | None:
        if is_outcode(postcode):
            return self._fallback.lookup_outcode(postcode)
        normalised = normalise_postcode(postcode)
        is_cached, cached = self._cache.get(normalised)
        if is_cached:
            return cached
        district = self._fallback.geocode(normalised)
        from geopy.exc import GeopyError  # geopy's package loads every service: only for this geocoder

        try:
            found = self._geopy.geocode(
                f"{normalised}, United Kingdom", exactly_one=True, timeout=self._timeout
            )
        except GeopyError as error:
            log.warning("live geocoder failed for %s, using the district centroid: %s", normalised, error)
            return district
        location = self._accept(found, normalised, district)
        self._cache.put(normalised, location)
        return location

    def _accept(self, found: Any, postcode: str, district: Location | None) -> Location | None:
        if found is None or not within_uk(found.latitude, found.longitude):
            return district
        if district is None:
            outcode = postcode.split(" ")[0]
            return Location(found.latitude, found.longitude, "postcode", postcode, outcode, None, None)
        if distance_km(found.latitude, found.longitude, district.lat, district.lon) > self._max_distance_km:
            log.warning("live geocoder put %s far from its district, using the district centroid", postcode)
            return district
        return dataclasses.replace(district, lat=found.latitude, lon=found.longitude, precision="postcode")


def build_geocoder(
    kind: str = "offline",
    session_factory: Callable[[], Session] | None = None,
    data_dir: Path | str = DATA_DIR,
    **options: Any,
) -> Geocoder:
    """Build the geocoder a setting names: "offline", "outcode" or "geopy:<service>".

    Options: `cache_size`, `include_northern_ireland` (default True; see data/README.md on its licence);
    for geopy also `timeout`, `max_distance_km`, and everything else goes to the geopy class
    (e.g. `user_agent="one-route-in (council@example.org)"` for Nominatim).
    """
    centroids = load_outcode_centroids(
        Path(data_dir) / CENTROIDS_FILE,
        include_northern_ireland=options.pop("include_northern_ireland", True),
    )
    cache_size = options.pop("cache_size", DEFAULT_CACHE_SIZE)
    if kind.startswith("geopy:"):
        return _build_geopy(kind.removeprefix("geopy:"), centroids, cache_size, options)
    if options:
        raise TypeError(f"unexpected options for the {kind!r} geocoder: {sorted(options)}")
    if kind == "outcode":
        return centroids
    if kind == "offline":
        if session_factory is None:
            raise ValueError("the offline geocoder needs a database session factory")
        return PostcodeTableGeocoder(session_factory, centroids, cache_size=cache_size)
    raise ValueError(f"unknown geocoder {kind!r}: expected 'offline', 'outcode' or 'geopy:<service>'")


def _build_geopy(
    service: str, centroids: OutcodeCentroids, cache_size: int, options: dict[str, Any]
) -> GeopyGeocoder:
    from geopy.exc import GeocoderNotFound  # imported on demand: geopy's package loads every service
    from geopy.geocoders import get_geocoder_for_service

    adapter_options = {name: options.pop(name) for name in ("timeout", "max_distance_km") if name in options}
    try:
        geopy_class = get_geocoder_for_service(service)
    except GeocoderNotFound as error:
        raise ValueError(f"unknown geopy geocoder {service!r}") from error
    return GeopyGeocoder(geopy_class(**options), centroids, cache_size=cache_size, **adapter_options)


class _BoundedCache:
    """A thread-safe least-recently-used mapping from postcode to answer."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[str, Location | None] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Location | None]:
        """(True, answer) when `key` is cached (the answer may be None), else (False, None)."""
        with self._lock:
            if key not in self._entries:
                return False, None
            self._entries.move_to_end(key)
            return True, self._entries[key]

    def put(self, key: str, value: Location | None) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
