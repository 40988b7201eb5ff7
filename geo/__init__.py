"""UK postcodes: normalisation and validation, offline geocoding from shipped open data, bulk import.

Data: `data/uk_outcode_centroids.csv` (every UK postcode district) and, for full postcodes, the `postcode`
table filled by `import_postcodes` (see data/README.md for sources, licences and attribution).
"""

from geo.centroids import DATA_DIR, OutcodeCentroids, default_outcode_centroids
from geo.geocoder import GeopyGeocoder, PostcodeTableGeocoder, build_geocoder
from geo.location import Geocoder, Location, Precision
from geo.models import Boundary, Postcode
from geo.postcodes import InvalidPostcode, is_outcode, normalise_outcode, normalise_postcode, outcode_of

__all__ = [
    "DATA_DIR",
    "Boundary",
    "Geocoder",
    "GeopyGeocoder",
    "ImportReport",
    "InvalidPostcode",
    "Location",
    "OutcodeCentroids",
    "Postcode",
    "PostcodeTableGeocoder",
    "Precision",
    "build_geocoder",
    "default_outcode_centroids",
    "import_postcodes",
    "is_outcode",
    "normalise_outcode",
    "normalise_postcode",
    "outcode_of",
]


def __getattr__(name: str):
    """The bulk importer (pyproj, xlsx reading) is loaded when first asked for, not by every `import geo`."""
    if name in ("ImportReport", "import_postcodes"):
        from geo import importer

        return getattr(importer, name)
    raise AttributeError(f"module 'geo' has no attribute {name!r}")
