"""A `flask` command that serves nothing builds the app without its HTTP side (`api/app.py`): `wsgi.py` asks
`create_app(defer_http=True)` when the `flask` command line loads the app to find or list a command. Once
installed (before its first request, or before a command that needs the routes) it is the same app; until
then it refuses the same settings and lists the same commands."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api import create_app
from config.settings import ConfigError
from tests.conftest import RELAXED_LIMITS

ROOT = Path(__file__).resolve().parents[2]


def deferred(database_url: str, **extra):
    settings = {"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS, **extra}
    return create_app(settings, defer_http=True)


def routes(app) -> list[tuple]:
    return sorted((rule.rule, rule.endpoint, sorted(rule.methods)) for rule in app.url_map.iter_rules())


def hooks(app) -> dict:
    """How many functions run around a request, per blueprint, and which errors have handlers."""
    return {
        "before": {key: len(funcs) for key, funcs in app.before_request_funcs.items()},
        "after": {key: len(funcs) for key, funcs in app.after_request_funcs.items()},
        "teardown": {key: len(funcs) for key, funcs in app.teardown_request_funcs.items()},
        "errors": {
            key: {code: sorted(map(str, handlers)) for code, handlers in by_code.items()}
            for key, by_code in app.error_handler_spec.items()
        },
        "blueprints": sorted(app.blueprints),
        "filters": sorted(app.jinja_env.filters),
    }


def test_a_deferred_app_installs_its_http_side_before_its_first_request(app, database_url):
    later = deferred(database_url)
    assert not later.http_installed
    assert "web.home" not in later.view_functions

    for path in ("/healthz/live", "/sign-in", "/api/v1/referrals", "/openapi.json"):
        assert later.test_client().get(path).status_code == app.test_client().get(path).status_code, path

    assert later.http_installed
    assert routes(later) == routes(app)
    assert hooks(later) == hooks(app)
    assert later.extensions["problem_api"].spec.to_dict() == app.extensions["problem_api"].spec.to_dict()
    assert {key: later.config[key] for key in later.config if key.startswith("SESSION_")} == {
        key: app.config[key] for key in app.config if key.startswith("SESSION_")
    }


def test_the_apps_own_commands_run_without_the_http_side(database_url):
    later = deferred(database_url)
    result = later.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert not later.http_installed


def test_flask_help_lists_the_same_commands_without_installing_anything(app, database_url):
    later = deferred(database_url)
    listed = later.test_cli_runner().invoke(args=["--help"])
    assert listed.exit_code == 0
    assert listed.output == app.test_cli_runner().invoke(args=["--help"]).output
    assert "openapi" in listed.output
    assert not later.http_installed


@pytest.mark.parametrize(
    "args",
    [["openapi", "print"], ["openapi", "--help"], ["openapi", "write", "--help"]],
    ids=["openapi print", "openapi --help", "openapi write --help"],
)
def test_a_command_that_needs_the_routes_installs_them_first(app, database_url, args):
    later = deferred(database_url)
    ran = later.test_cli_runner().invoke(args=args)
    assert ran.exit_code == 0, ran.output
    assert later.http_installed
    assert ran.output == app.test_cli_runner().invoke(args=args).output


def test_a_deferred_app_refuses_the_settings_the_pages_refuse(database_url):
    with pytest.raises(ConfigError, match="OIDC_ISSUER is set without OIDC_CLIENT_ID"):
        deferred(database_url, OIDC_ISSUER="https://login.council.example")


def flask(database_url: str, *args: str, **environ: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_flask_routes_lists_every_route(app, database_url):
    listed = flask(database_url, "routes")
    assert listed.returncode == 0, listed.stderr
    endpoints = {line.split()[0] for line in listed.stdout.splitlines()[2:] if line.strip()}
    assert endpoints == {rule.endpoint for rule in app.url_map.iter_rules()}


def test_a_flask_command_refuses_a_setting_only_the_pages_use(database_url):
    refused = flask(database_url, "config", "check", OIDC_ISSUER="https://login.council.example")
    assert refused.returncode == 3
    assert "OIDC_ISSUER is set without OIDC_CLIENT_ID" in refused.stderr
    assert "Traceback" not in refused.stderr
