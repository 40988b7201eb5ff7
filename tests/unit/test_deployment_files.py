"""What the image and compose.yaml promise, read from the files (no Docker engine is needed): the runtime
image installs only the runtime requirements, runs as a user of its own with a liveness check and never
migrates; the migrations run once, in the `migrate` one-off that everything else waits for; secrets stay
out of git and out of the image."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "retention")


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def runtime_stage() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", dockerfile, flags=re.MULTILINE)
    assert len(stages) == 3, "a builder stage and a runtime stage"
    return stages[-1]


def test_the_runtime_image_has_only_runtime_packages_a_user_and_a_liveness_check():
    stage = runtime_stage()
    assert "requirements-dev" not in stage
    assert "--require-hashes -r requirements.txt" in stage
    assert re.search(r"^USER (?!root)\w+", stage, flags=re.MULTILINE)
    assert "HEALTHCHECK" in stage
    assert "/healthz/live" in stage
    [command] = re.findall(r"^CMD (.+)$", stage, flags=re.MULTILINE)
    assert "gunicorn" in command
    assert "upgrade" not in command


def test_runtime_requirements_hold_no_test_tools_and_every_pin_has_a_hash():
    runtime = (ROOT / "requirements.txt").read_text()
    for tool in ("playwright", "pytest", "schemathesis", "ruff", "hypothesis", "py-spy"):
        assert not re.search(rf"^{tool}==", runtime, flags=re.MULTILINE | re.IGNORECASE), tool
    for name in ("requirements.txt", "requirements-dev.txt"):
        text = (ROOT / name).read_text()
        pins = re.findall(r"^[A-Za-z0-9_.-]+==\S+ \\$", text, flags=re.MULTILINE)
        assert pins, name
        every_pin = re.findall(r"^\S+==", text, flags=re.MULTILINE)
        assert len(pins) == len(every_pin), f"{name}: a pin without a hash"
    assert (ROOT / "requirements-dev.txt").read_text().startswith("-r requirements.txt\n")


def test_migrations_run_once_in_the_one_off_that_every_app_service_waits_for():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "upgrade" not in " ".join(services[name]["command"])
    assert "flask retention run" in " ".join(services["retention"]["command"])
    assert services["worker"]["command"] == ["flask", "worker"]


def test_the_stack_has_its_databases_and_the_fake_twilio_only_under_try():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", *APP_SERVICES, "fake-twilio"} == set(services)
    assert services["fake-twilio"]["profiles"] == ["try"]
    assert all("profiles" not in service for name, service in services.items() if name != "fake-twilio")
    assert "/healthz/ready" in " ".join(services["web"]["healthcheck"]["test"])


def test_secrets_stay_out_of_git_and_out_of_the_image():
    for name in (".gitignore", ".dockerignore"):
        entries = {line.strip().rstrip("/") for line in (ROOT / name).read_text().splitlines()}
        assert {".env", "prod.env", "instance", ".venv"} <= entries, name


def compose_schema_errors(document: dict) -> list[str]:
    """compose.yaml against the Compose Specification's own JSON Schema (compose-spec/compose-spec,
    schema/compose-spec.json, Apache-2.0: tests/data/compose/), what `docker compose config` checks first,
    for a machine without Docker's compose plugin."""
    from jsonschema import Draft7Validator

    schema = json.loads((ROOT / "tests/data/compose/compose-spec.json").read_text())
    validator = Draft7Validator(schema)
    return [f"{'/'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(document)]


def test_compose_yaml_is_valid_against_the_compose_specification():
    assert compose_schema_errors(compose()) == []


def test_the_compose_check_finds_a_mistake():
    broken = compose()
    broken["services"]["web"]["restart_policy"] = "always"  # a key Compose does not have (`restart` is)
    broken["services"]["worker"]["depends_on"] = {"migrate": {"condition": "when_ready"}}
    errors = compose_schema_errors(broken)
    assert any("restart_policy" in error for error in errors), errors
    assert any("when_ready" in error for error in errors), errors
