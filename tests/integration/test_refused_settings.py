"""Bad settings stop `flask` commands and gunicorn with one line per bad value and exit status 3, never a
traceback (gunicorn's master stops before it starts a worker)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BAD = {"SMS_MAX_ATTEMPTS": "six", "SMS_PROVIDER": "notfy"}
LINES = [
    "One Route In cannot start: 2 settings are wrong",
    "  SMS_PROVIDER='notfy': expected one of twilio, notify, log (or empty: twilio when any TWILIO_* "
    "setting is given, otherwise log)",
    "  SMS_MAX_ATTEMPTS='six': expected a whole number from 1 to 10000",
]


def run(command: list[str], database_url: str, **environ: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIND": "127.0.0.1:0",
        "WEB_CONCURRENCY": "1",
        **environ,
    }
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "flask", "--app", "wsgi", "config", "check"],
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "wsgi:app"],
    ],
    ids=["flask", "gunicorn"],
)
def test_bad_settings_are_listed_and_nothing_starts(command, database_url):
    refused = run(command, database_url, **BAD)
    assert refused.returncode == 3
    assert refused.stderr.splitlines() == LINES
    assert "Traceback" not in refused.stdout + refused.stderr


def test_a_refusal_found_while_building_the_app_is_printed_the_same_way(database_url):
    refused = run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "config", "check"],
        database_url,
        TRUSTED_PROXIES="the load balancer",
    )
    assert refused.returncode == 3
    assert "TRUSTED_PROXIES" in refused.stderr
    assert "Traceback" not in refused.stderr
