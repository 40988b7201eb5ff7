"""Postcode district (outcode) centroids from the shipped `data/uk_outcode_centroids.csv`, held in memory."""

import csv
import dataclasses
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

from geo.location import Location
from geo.postcodes import is_outcode, normalise_outcode, normalise_postcode

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CENTROIDS_FILE = "uk_outcode_centroids.csv"
NORTHERN_IRELAND = "Northern Ireland"


class OutcodeCentroids:
    """A geocoder that answers every query with its district's centroid (precision "outcode")."""

    def __init__(self, districts: Iterable[Location]) -> None:
        self._by_outcode = {district.outcode: district for district in districts}
        self._district_names = {
            district.admin_district_code: district.admin_district
            for district in self._by_outcode.values()
            if district.admin_district_code and district.admin_district
        }

    @classmethod
    def from_csv(cls, path: Path | str, *, include_northern_ireland: bool = True) -> "OutcodeCentroids":
        """Load a centroid file. Northern Ireland rows carry an extra licence condition (data/README.md)."""
        with open(path, newline="", encoding="utf-8") as file:
            rows = [
                row
                for row in csv.DictReader(file)
                if include_northern_ireland or row["country"] != NORTHERN_IRELAND
            ]
        return cls(
            Location(
                lat=float(row["latitude"]),
                lon=float(row["longitude"]),
                precision="outcode",
                postcode=None,
                outcode=normalise_outcode(row["outcode"]),
                admin_district_code=row["admin_district_code"] or None,
                admin_district=row["admin_district"] or None,
            )
            for row in rows
        )

    def __len__(self) -> int:
        return len(self._by_outcode)

    def __contains__(self, outcode: object) -> bool:
        return outcode in self._by_outcode

    def lookup_outcode(self, outcode: str) -> Location | None:
        """The district's centroid, or None for an unknown district. Raises InvalidPostcode on bad format."""
        return self._by_outcode.get(normalise_outcode(outcode))

    def geocode(self, postcode: str) -> Location | None:
        if is_outcode(postcode):
            return self.lookup_outcode(postcode)
        normalised = normalise_postcode(postcode)
        district = self._by_outcode.get(normalised.split(" ")[0])
        if district is None:
            return None
        return dataclasses.replace(district, postcode=normalised)

    @property
    def district_names(self) -> Mapping[str, str]:
        """Local authority district code → name ("E09000029" → "Sutton")."""
        return self._district_names


def load_outcode_centroids(path: Path | str, *, include_northern_ireland: bool = True) -> OutcodeCentroids:
    """Load a centroid file once per process (the object is read-only, so it is shared)."""
    return _load_once(Path(path).resolve(), include_northern_ireland)


@functools.cache
def _load_once(path: Path, include_northern_ireland: bool) -> OutcodeCentroids:
    return OutcodeCentroids.from_csv(path, include_northern_ireland=include_northern_ireland)


def default_outcode_centroids() -> OutcodeCentroids:
    """The shipped centroid file, loaded once per process."""
    return load_outcode_centroids(DATA_DIR / CENTROIDS_FILE)
