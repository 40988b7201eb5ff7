"""The project's own HTTP stack with none of intake's work in it, measured in the same run as the bare
baseline and the app, to show how much of the gap between them the stack alone accounts for.

It is `create_app()` unchanged (settings, rate limiter, security headers, the request's ORM session, problem
errors) plus one API blueprint made by `api_blueprint` like every other (bearer-token authentication with its
role check, the JSON-body rule, the same per-blueprint rate limit). Its one view validates the intake body
with the intake's own schema (`ReferralInSchema`), inserts one row through the request's session, commits and
answers 201 through a marshmallow schema: no triage, duplicate search, geocoding, matching, offer, audit or
outbox.

    DATABASE_URL=postgresql+psycopg://... gunicorn -w 2 'bench.floor_app:create_floor_app()'
    # then POST /api/v1/bench-floor with an intake body and a helpline token
"""

from flask import Flask
from marshmallow import Schema, fields
from sqlalchemy import column, insert, table

from api import create_app
from api.auth import roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.referrals import INTAKE_ROLES
from api.schemas import ReferralInSchema

PATH = "/api/v1/bench-floor"
BASELINE_CALL = table("baseline_call", column("id"), column("name"), column("postcode"), column("notes"))


class FloorOutSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)


def create_floor_app(config: dict | None = None) -> Flask:
    app = create_app(config)
    blp = api_blueprint("bench_floor", __name__, url_prefix=PATH, description="Benchmark floor: one insert.")

    @blp.route("", methods=["POST"])
    @roles(*INTAKE_ROLES)
    @blp.arguments(ReferralInSchema)
    @blp.response(201, FloorOutSchema)
    def log_call(data):
        session = get_session()
        resident = data["resident"]
        new_id = session.execute(
            insert(BASELINE_CALL)
            .values(name=resident["name"], postcode=resident["postcode"], notes=data["notes"])
            .returning(BASELINE_CALL.c.id)
        ).scalar_one()
        session.commit()
        return {"id": new_id, "status": "received"}

    (limiter,) = app.extensions["limiter"]
    limiter.limit(app.config["RATELIMIT_API"])(blp)
    app.extensions["problem_api"].register_blueprint(blp)
    return app
