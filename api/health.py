from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from api.errors import problem

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """200 after a real database round trip; 503 when the database does not answer."""
    engine = current_app.extensions["oneroute"].engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1")).scalar_one()
    except Exception:  # any driver failure means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        return problem(503, "Service Unavailable", "The database is not reachable.")
    return jsonify(status="ok")
