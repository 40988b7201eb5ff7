"""Every `flask` command builds the app first, so the app factory must not load what only a few commands or
requests use: matplotlib and shapely (drawing a map), pyproj (importing postcodes), geopy (a live geocoder),
alembic (the `db` commands), requests (posting an audit checkpoint), twilio's REST client (only when Twilio is
configured), cryptography's key serialisation (audit checkpoint keys) or the compiled triage rules. Checked
in a fresh interpreter, since this test process has long since imported all of them. No timing here: the
start time is measured by `python -m bench.startup`."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED_ONLY_WHERE_USED = (
    "matplotlib",
    "shapely",
    "pyproj",
    "geopy",
    "alembic",
    "requests",
    "twilio.rest",
    "cryptography.hazmat.primitives.serialization",
)

PROBE = """
import json, sys
from api import create_app
app = create_app({"DATABASE_URL": sys.argv[1]})
import triage.loader
print(json.dumps({
    "modules": sorted(sys.modules),
    "rules_compiled": triage.loader._load_cached.cache_info().currsize,
}))
"""


def probe(database_url: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, database_url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_building_the_app_loads_no_heavy_module_it_does_not_need(database_url):
    found = probe(database_url)
    assert [name for name in LOADED_ONLY_WHERE_USED if name in found["modules"]] == []
    assert found["rules_compiled"] == 0


def test_the_rules_are_compiled_on_first_use(app):
    rules = app.extensions["oneroute"].rules
    assert rules.needs
    assert app.extensions["oneroute"].rules is rules
