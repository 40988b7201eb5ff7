"""Health checks for the orchestrator and the load balancer.

- `/healthz/live`: the process is up and answering (no database): restart the container only when this fails.
- `/healthz/ready`: the database answers, its schema is at the migrations' head (a new release waits for the
  `migrate` one-off), and the shared Redis store answers when one is configured: send traffic only then.
- `/healthz`: the database round trip alone, as before (kept for existing probes).
"""

import functools

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from api.errors import problem

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """200 after a real database round trip; 503 when the database does not answer."""
    if _database_problem() is not None:
        return problem(503, "Service Unavailable", "The database is not reachable.")
    return jsonify(status="ok")


@blp.get("/healthz/live")
def live():
    """200 while the process answers; touches nothing else."""
    return jsonify(status="ok")


@blp.get("/healthz/ready")
def ready():
    """200 when every dependency is ready; 503 naming each that is not (never a secret or a URL)."""
    checks = {"database": _database_problem()}
    if checks["database"] is None:
        checks["migrations"] = _migrations_problem()
    uri = str(current_app.config["RATELIMIT_STORAGE_URI"])
    if not uri.startswith("memory://"):
        checks["redis"] = _redis_problem(uri)
    problems = {name: found for name, found in checks.items() if found is not None}
    if problems:
        details = "; ".join(f"{name}: {found}" for name, found in problems.items())
        return problem(503, "Service Unavailable", details)
    return jsonify(status="ok", checks=dict.fromkeys(checks, "ok"))


def _database_problem() -> str | None:
    engine = current_app.extensions["oneroute"].engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any driver failure means "not ready"
        current_app.logger.exception("health check: database unreachable")
        return "not reachable"
    return None


def _migrations_problem() -> str | None:
    engine = current_app.extensions["oneroute"].engine
    try:
        with engine.connect() as connection:
            current = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:
        current_app.logger.warning("health check: no alembic_version table; run flask db upgrade")
        return "not migrated (run flask db upgrade)"
    heads = migration_heads()
    if current != heads:
        return f"at {', '.join(sorted(current)) or 'nothing'}, not at head {', '.join(sorted(heads))}"
    return None


@functools.cache
def migration_heads() -> frozenset[str]:
    """The head revisions of the migrations this release ships (read once per process)."""
    from alembic.script import ScriptDirectory

    from db.migrate import MIGRATIONS_DIR

    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def _redis_problem(uri: str) -> str | None:
    try:
        answered = _limiter_storage(uri).check()
    except Exception:
        answered = False
    if not answered:
        current_app.logger.warning("health check: the shared Redis store did not answer")
        return "not reachable"
    return None


@functools.cache
def _limiter_storage(uri: str):
    from limits.storage import storage_from_string

    return storage_from_string(uri)
