"""The bare stack the intake benchmark is measured against: Flask, gunicorn and PostgreSQL, parsing the same
JSON body and inserting one row per request, with nothing else (no auth, triage, matching or audit).

    DATABASE_URL=postgresql://... gunicorn -w 2 bench.baseline_app:app
"""

import os

import psycopg
from flask import Flask, jsonify, request

TABLE = """CREATE TABLE IF NOT EXISTS baseline_call (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    postcode text NOT NULL,
    notes text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)"""

app = Flask(__name__)
_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    """One connection per worker process, opened on first use (gunicorn forks before any request)."""
    global _connection
    if _connection is None or _connection.closed:
        url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connection = psycopg.connect(url)
    return _connection


def create_table(url: str) -> None:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(TABLE)


@app.post("/api/v1/referrals")
def log_call():
    body = request.get_json()
    resident = body["resident"]
    conn = connection()
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO baseline_call (name, postcode, notes) VALUES (%s, %s, %s) RETURNING id",
            (resident["name"], resident["postcode"], body["notes"]),
        ).fetchone()
    return jsonify({"id": row[0], "status": "received"}), 201
