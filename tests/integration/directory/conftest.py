import pytest

from directory.areas import load_areas
from geo import build_geocoder


@pytest.fixture(scope="session")
def geocoder():
    """District centroids only: offline, no database, the same answer for every unit in a district."""
    return build_geocoder("outcode")


@pytest.fixture(scope="session")
def areas():
    return load_areas()
