"""The geocoder port: what every geocoder answers, and the interface a deployment can implement."""

import math
from dataclasses import dataclass
from typing import Literal, Protocol

Precision = Literal["postcode", "outcode"]

# A box around the UK (Scilly to Shetland, Northern Ireland to East Anglia), for sanity checks on coordinates.
UK_LATITUDE_RANGE = (49.8, 60.95)
UK_LONGITUDE_RANGE = (-8.7, 1.8)

EARTH_RADIUS_KM = 6371.0088
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}  # ONS code prefixes


@dataclass(frozen=True, slots=True)
class Location:
    """Where a postcode is, and how precisely we know it.

    `precision` is "postcode" when the coordinates are the unit postcode's own, "outcode" when they are the
    centroid of its district. `postcode` is the normalised postcode that was asked for (None when only a
    district was given); `outcode` is its district. The admin district (local authority) is the unit's own,
    or the district's majority one.
    """

    lat: float
    lon: float
    precision: Precision
    postcode: str | None
    outcode: str
    admin_district_code: str | None
    admin_district: str | None

    @property
    def nation(self) -> str | None:
        """England, Wales, Scotland or Northern Ireland, from the first letter of the ONS district code."""
        return NATIONS.get((self.admin_district_code or " ")[0])


class Geocoder(Protocol):
    def geocode(self, postcode: str) -> Location | None:
        """Locate a full postcode or a district ("SM1").

        Raises InvalidPostcode when the text is not a postcode format; returns None when the district is
        not known.
        """
        ...


def within_uk(lat: float, lon: float) -> bool:
    return (
        UK_LATITUDE_RANGE[0] <= lat <= UK_LATITUDE_RANGE[1]
        and UK_LONGITUDE_RANGE[0] <= lon <= UK_LONGITUDE_RANGE[1]
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_chord = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(half_chord))
