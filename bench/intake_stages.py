"""Where one intake's CPU goes: the app in this process (Flask test client, the benchmark's database, token
and call bodies, rate limits raised), N intakes, each stage's thread CPU time and SQL statements.

    python -m bench.intake_stages --database-url postgresql+psycopg://... --bodies bodies.jsonl --token T

`python -m bench.intake` runs it on its own database after the measured run and prints the result beside its
figures ("stages"). Nothing in the service code knows about it: the stages are the functions intake goes
through, wrapped here for the run (the names they are looked up by in the modules that call them), so it
costs nothing when off. Time is exclusive: a stage called inside another (a flush inside routing, SQL inside
a flush) counts for the inner one only, so the stages add up to the request; "sql" is the time in the
driver's execute (sending, waiting for PostgreSQL, reading the rows), "other" what none of the stages
covers (Flask, flask-smorest, the idempotency wrapper, the session's set-up and close).
"""

import argparse
import functools
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

STAGES = (
    "auth_and_rate_limits",
    "body_validation",
    "geocoding",
    "duplicate_search",
    "triage",
    "routing_and_matching",
    "orm_flush_and_commit",
    "audit_chain",
    "sealing_key",
    "sms_text",
    "serialising",
    "sql",
    "other",
)


class StageClock:
    """Exclusive thread CPU time and SQL statements per stage, for the calls made while it is on."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.statements: Counter[str] = Counter()
        self.stack: list[list] = []  # [stage, started]
        self.on = False

    def enter(self, stage: str) -> None:
        now = time.thread_time()
        if self.stack:
            top = self.stack[-1]
            self.seconds[top[0]] += now - top[1]
        self.stack.append([stage, now])

    def leave(self) -> None:
        now = time.thread_time()
        stage, started = self.stack.pop()
        self.seconds[stage] += now - started
        if self.stack:
            self.stack[-1][1] = now

    def wrap(self, stage: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if not self.on:
                return function(*args, **kwargs)
            self.enter(stage)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        timed.__wrapped_stage__ = stage
        return timed

    def patch(self, owner, name: str, stage: str) -> None:
        setattr(owner, name, self.wrap(stage, getattr(owner, name)))


def install(app, clock: StageClock) -> None:
    """Wrap the functions of each stage where intake looks them up."""
    import marshmallow
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    import api.referrals
    import referrals.audit
    import referrals.intake
    import referrals.persistence
    import referrals.routing

    for key, functions in app.before_request_funcs.items():
        app.before_request_funcs[key] = [clock.wrap("auth_and_rate_limits", f) for f in functions]
    clock.patch(marshmallow.Schema, "load", "body_validation")
    clock.patch(marshmallow.Schema, "dump", "serialising")
    clock.patch(api.referrals, "describe", "serialising")
    clock.patch(api.referrals, "duplicates_shown", "serialising")
    clock.patch(referrals.intake, "locate", "geocoding")
    for name in ("possible_duplicates", "duplicates_shown", "index_resident", "person_record"):
        clock.patch(referrals.intake, name, "duplicate_search")
    for name in ("decide", "triage_on_intake"):
        clock.patch(referrals.intake, name, "triage")
    for name in ("route_or_hold", "note_on_open_referrals", "open_referral_with_same_needs"):
        clock.patch(referrals.intake, name, "routing_and_matching")
    clock.patch(referrals.intake, "new_key", "sealing_key")
    clock.patch(referrals.persistence, "enqueue_offer_text", "sms_text")
    clock.patch(Session, "flush", "orm_flush_and_commit")
    clock.patch(Session, "commit", "orm_flush_and_commit")
    clock.patch(referrals.audit, "record", "audit_chain")
    listener = referrals.audit._append_pending
    event.remove(Session, "before_commit", listener)
    event.listen(Session, "before_commit", clock.wrap("audit_chain", listener))

    engine = app.extensions["oneroute"].engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(*_args):
        if clock.on:
            clock.statements[clock.stack[-1][0] if clock.stack else "other"] += 1
            clock.enter("sql")

    @event.listens_for(engine, "after_cursor_execute")
    def _after(*_args):
        if clock.on and clock.stack and clock.stack[-1][0] == "sql":
            clock.leave()

    @event.listens_for(engine, "handle_error")
    def _error(*_args):
        if clock.on and clock.stack and clock.stack[-1][0] == "sql":
            clock.leave()


def breakdown(
    database_url: str, areas_file: str, bodies: list[str], token: str, calls: int, warmup: int
) -> dict:
    """Per intake: CPU ms by stage, SQL statements by stage, and the statuses answered."""
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "AREAS_FILE": areas_file,
            "APP_ENV": "development",
            "RATELIMIT_API": "1000000 per minute",
            "RATELIMIT_INTAKE": "1000000 per minute",
        }
    )
    from api import create_app

    app = create_app()
    services = app.extensions["oneroute"]
    services.rules  # noqa: B018  # as a worker does before it takes requests (config/gunicorn.py)
    services.routing.snapshot.current()
    clock = StageClock()
    install(app, clock)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    statuses: Counter[int] = Counter()
    for body in bodies[:warmup]:
        client.post("/api/v1/referrals", data=body, headers=headers)
    clock.on = True
    started = time.thread_time()
    for body in bodies[warmup : warmup + calls]:
        clock.enter("other")
        try:
            statuses[client.post("/api/v1/referrals", data=body, headers=headers).status_code] += 1
        finally:
            clock.leave()
    total = time.thread_time() - started
    clock.on = False
    done = sum(statuses.values())
    return {
        "calls": done,
        "cpu_ms_per_intake": round(1000 * total / done, 2),
        "stage_cpu_ms": {s: round(1000 * clock.seconds.get(s, 0.0) / done, 2) for s in STAGES},
        "sql_statements": round(sum(clock.statements.values()) / done, 2),
        "sql_statements_by_stage": {
            s: round(n / done, 2) for s, n in sorted(clock.statements.items(), key=lambda kv: -kv[1])
        },
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--areas-file", required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--offset", type=int, default=0, help="skip this many bodies (not yet logged ones)")
    options = parser.parse_args()
    bodies = options.bodies.read_text().splitlines()[options.offset :]
    print(
        json.dumps(
            breakdown(
                options.database_url, options.areas_file, bodies, options.token, options.calls, options.warmup
            )
        )
    )


if __name__ == "__main__":
    main()
