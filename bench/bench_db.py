"""A fresh PostgreSQL database with the national directory in it, for one benchmark run."""

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from accounts.tokens import create_token
from bench.history import add_offer_history
from bench.national_directory import (
    District,
    UnitPostcodes,
    copy_postcodes,
    insert_organisations,
    load_districts,
    make_postcodes,
    write_areas_yaml,
)
from bench.national_volunteers import copy_volunteers
from db import make_engine, make_session_factory
from db.migrate import upgrade

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


@dataclass
class BenchDatabase:
    name: str
    conninfo: str
    url: str
    areas_file: Path
    districts: list[District]
    units: UnitPostcodes
    organisations: dict[str, list[dict]]
    helpline_token: str
    timings: dict[str, float]

    def session_factory(self):
        return make_session_factory(make_engine(self.url))


def create_database() -> str:
    name = f"oneroute_bench_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(
    name: str,
    volunteers: int,
    workdir: Path,
    seed: int,
    independent_share: float,
    history_offers: int = 0,
    revision: str = "head",
) -> BenchDatabase:
    """Migrate the empty database `name` and fill it with the national directory."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    conninfo = f"{SERVER}/{name}"
    url = conninfo.replace("postgresql://", "postgresql+psycopg://")
    upgrade(url, revision)
    timings["migrate_s"] = time.perf_counter() - started
    districts = load_districts()
    areas_file = write_areas_yaml(districts, workdir / "areas.yaml")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        organisations = insert_organisations(session, districts, seed)
        _token, helpline = create_token(session, role="helpline_staff", name="bench helpline")
    units = make_postcodes(districts, seed)
    copy_postcodes(conninfo, units)
    started = time.perf_counter()
    copy_volunteers(conninfo, volunteers, districts, organisations, units, seed, independent_share)
    timings["volunteers_copy_s"] = time.perf_counter() - started
    add_offer_history(conninfo, history_offers)
    engine.dispose()
    return BenchDatabase(name, conninfo, url, areas_file, districts, units, organisations, helpline, timings)


def analyze(conninfo: str) -> None:
    """Planner statistics, as a database in service has them (a fresh one has none for its new rows)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute("ANALYZE")


def backend_pids(conninfo: str, name: str) -> list[int]:
    """PostgreSQL server processes serving this database (the app's connections)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
        ).fetchall()
    return [pid for (pid,) in rows]


def autovacuum_on(conninfo: str) -> bool:
    with psycopg.connect(conninfo) as connection:
        return connection.execute("SHOW autovacuum").fetchone()[0] == "on"


@contextlib.contextmanager
def analyzing(conninfo: str, every: float = 10.0) -> Iterator[None]:
    """ANALYZE every few seconds while the body runs, as autovacuum would in service, when the server has it
    off (test servers often do): without statistics the planner picks plans for empty tables."""
    if autovacuum_on(conninfo):
        yield
        return
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            analyze(conninfo)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextlib.contextmanager
def wait_events(conninfo: str, name: str, shares: dict, every: float = 0.05) -> Iterator[None]:
    """Sample what this database's server processes are doing while the body runs; `shares` gets each
    state's share of the samples: "cpu" (active, waiting on nothing), "idle" (waiting for the client: the
    app working in Python, or no request), "idle in transaction" (the app working in Python inside a
    transaction) and "<wait_event_type>:<wait_event>" for an active process waiting (a lock, I/O, WAL)."""
    stop = threading.Event()
    counts: dict[str, int] = {}

    def run() -> None:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            while not stop.wait(every):
                rows = connection.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                    (name,),
                ).fetchall()
                for state, kind, event in rows:
                    active = f"{kind}:{event}" if kind else "cpu"
                    key = active if state == "active" else state or "unknown"
                    counts[key] = counts.get(key, 0) + 1

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        total = sum(counts.values()) or 1
        shares.update({key: round(n / total, 3) for key, n in sorted(counts.items(), key=lambda kv: -kv[1])})
