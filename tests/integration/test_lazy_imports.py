"""Every `flask` command builds the app first, so the app factory must not load what only a few commands or
requests use: matplotlib and shapely (drawing a map), pyproj (importing postcodes), geopy (a live geocoder),
alembic (the `db` commands), requests (posting an audit checkpoint), twilio's REST client (only when Twilio is
configured), cryptography's key serialisation (audit checkpoint keys) or the compiled triage rules. And a
`flask` command that serves nothing does not build the HTTP side at all (`api/app.py`): no page, no form, no
marshmallow schema or OpenAPI document, nor what only a request uses (BeautifulSoup for an email's HTML,
libphonenumber's tables, the Redis client, numpy for matching). Checked in a fresh interpreter, since this
test process has long since imported all of them. No timing here: the start time is measured by
`python -m bench.startup`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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

# Besides those: loaded when the app installs its HTTP side (before its first request), or first used there.
LOADED_ONLY_TO_SERVE = (
    "web.pages",
    "web.calls",
    "web.blueprint",
    "flask_wtf",
    "wtforms",
    "jinja2.ext",
    "flask_smorest",
    "marshmallow",
    "apispec",
    "webargs",
    "flask_swagger_ui",
    "api.referrals",
    "api.schemas",
    "api.problem_api",
    "bs4",
    "phonenumbers",
    "redis",
    "numpy",
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


def loaded_by_flask(database_url: str, *args: str) -> set[str]:
    """The modules a real `flask --app wsgi ...` command imports (Python's -X importtime lists them)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stderr.splitlines()
    return {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}


@pytest.mark.parametrize(
    "args", [["--help"], ["db", "upgrade", "--help"], ["retention", "run", "--help"]], ids=" ".join
)
def test_a_flask_command_that_serves_nothing_loads_no_page_schema_or_request_library(database_url, args):
    loaded = loaded_by_flask(database_url, *args)
    assert "api.cli" in loaded  # the app was built
    heavy = LOADED_ONLY_WHERE_USED + LOADED_ONLY_TO_SERVE
    assert (
        sorted(name for name in loaded if any(name == top or name.startswith(top + ".") for top in heavy))
        == []
    )
