"""A year of a large county: how the pages, the needs report, `audit verify`, erasure, retention and the
matching index's rebuild hold up over 1,000,000 referrals and 10,000,000 audit events.

    python -m bench.scale                 # build `oneroute_scale` if it is not there, then time
    python -m bench.scale --rebuild       # drop it and build it again first
    python -m bench.scale --scale 0.1     # a tenth of everything (the database is named for its scale)
    python -m bench.scale --only dashboard,verify   # time just these (dashboard, queue, search, report,
                                                    # verify, erasure, retention, rebuild)

The database is made by `bench.scale_data` (COPY, through the project's own migrations); a second run only
times. Each operation goes through the code its page, command or job uses: the pages through the app's test
client signed in as a safety-net officer and a hub coordinator; the report, verify, erasure,
retention and rebuild through the functions those doors call. Each is printed with its target, the SQL
share of its time (every statement the app ran, timed at the driver), its slowest statement and that
statement's plan (the indexes it used), and as a multiple of two baselines measured in the same run: a
`SELECT 1` round trip and a sequential scan of the referral table. Erasure and retention change the database
(people are erased), so each run erases different people.
"""

import argparse
import hashlib
import os
import random
import re
import resource
import statistics
import time
from collections.abc import Callable
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import orjson
import psycopg
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine

from bench.scale_data import Sizes, build_county, build_year, utc_now
from db.migrate import upgrade

SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
PASSWORD = "scale bench password 26"
PAGE_TARGET_MS = 300.0
REPORT_TARGET_S = 10.0
VERIFY_TARGET_PER_S = 200_000
ERASURE_TARGET_S = 1.0
RELAXED_LIMITS = {
    "RATELIMIT_API": "100000 per minute",
    "RATELIMIT_INTAKE": "100000 per minute",
    "AUTH_FREE_FAILURES_PER_ADDRESS": 100000,
    "TOTP_REQUIRED_ROLES": "",  # the officer signs in with a password alone: the pages are timed, not sign-in
}
OPERATIONS = ("dashboard", "queue", "search", "report", "verify", "erasure", "retention", "rebuild")


# ---------------------------------------------------------------------------------------------------------
# Measuring SQL inside the app: every statement timed at the driver


@dataclass
class Statement:
    sql: str
    parameters: object
    seconds: float


@dataclass
class SqlClock:
    seconds: float = 0.0
    statements: int = 0
    rows: int = 0
    slowest: Statement | None = None
    on: bool = False
    started: dict = field(default_factory=dict)

    def reset(self) -> None:
        self.seconds, self.statements, self.rows, self.slowest = 0.0, 0, 0, None


CLOCK = SqlClock()


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info["bench_started"] = time.perf_counter()


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):
    began = conn.info.pop("bench_started", None)
    if not CLOCK.on or began is None:
        return
    took = time.perf_counter() - began
    CLOCK.seconds += took
    CLOCK.statements += 1
    CLOCK.rows += max(cursor.rowcount or 0, 0)
    if CLOCK.slowest is None or took > CLOCK.slowest.seconds:
        CLOCK.slowest = Statement(statement, parameters, took)


@dataclass
class Timing:
    name: str
    seconds: list[float]
    sql_seconds: float
    statements: int
    rows: int
    slowest: Statement | None
    cpu: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(name: str, action: Callable[[], object], repeat: int, warm: int = 1) -> Timing:
    for _ in range(warm):
        action()
    CLOCK.reset()
    CLOCK.on = True
    seconds, cpu = [], []
    try:
        for _ in range(repeat):
            began, began_cpu = time.perf_counter(), time.process_time()
            action()
            seconds.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
    finally:
        CLOCK.on = False
    return Timing(name, seconds, CLOCK.seconds, CLOCK.statements, CLOCK.rows, CLOCK.slowest, cpu)


def plan(conninfo: str, statement: Statement | None) -> list[str]:
    """The slowest statement's plan: EXPLAIN ANALYZE for a read, EXPLAIN for a write (rolled back)."""
    if statement is None:
        return []
    analyse = statement.sql.lstrip().upper().startswith("SELECT")
    options = "(ANALYZE, BUFFERS)" if analyse else ""
    try:
        with psycopg.connect(conninfo) as connection:
            rows = connection.execute(
                f"EXPLAIN {options} {statement.sql}", statement.parameters or None
            ).fetchall()
            connection.rollback()
    except psycopg.Error as error:
        return [f"(no plan: {str(error).splitlines()[0]})"]
    return [row[0] for row in rows]


def indexes_in(lines: list[str]) -> list[str]:
    return sorted(
        {
            m
            for line in lines
            for m in re.findall(r"(?:Scan (?:Backward )?using|Bitmap Index Scan on) (\w+)", line)
        }
    )


# ---------------------------------------------------------------------------------------------------------
# The database


def database_name(scale: float) -> str:
    return "oneroute_scale" if scale == 1 else f"oneroute_scale_{str(scale).replace('.', '_')}"


def exists(name: str) -> bool:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def built(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo) as connection:
            return (connection.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone() or (0,))[0] > 0
    except psycopg.Error:
        return False


def build(name: str, scale: float) -> dict[str, float]:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    conninfo = f"{SERVER}/{name}"
    url = conninfo.replace("postgresql://", "postgresql+psycopg://")
    timings: dict[str, float] = {}
    began = time.perf_counter()
    sizes = Sizes.at(scale)
    county = build_county(url, conninfo, sizes, timings)
    build_year(conninfo, county, sizes, utc_now(), timings)
    timings["total_s"] = time.perf_counter() - began
    return timings


def counts(conninfo: str, name: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as connection:
        found = {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("referral", "audit_event", "volunteer", "organisation", "resident", "offer")
        }
        found["bytes"] = connection.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]
    return found


def baselines(conninfo: str) -> tuple[float, float, int]:
    """A `SELECT 1` round trip (median of 200) and a sequential scan of the referral table (median of 3)."""
    with psycopg.connect(conninfo) as connection:
        trips = []
        for _ in range(200):
            began = time.perf_counter()
            connection.execute("SELECT 1").fetchone()
            trips.append(time.perf_counter() - began)
        scans = []
        for _ in range(3):
            began = time.perf_counter()
            rows = connection.execute("SELECT count(*) FROM referral WHERE length(notes) >= 0").fetchone()[0]
            scans.append(time.perf_counter() - began)
    return statistics.median(trips), statistics.median(scans), rows


# ---------------------------------------------------------------------------------------------------------
# The people who use it


@dataclass
class Cast:
    officer_area: str
    officer_org: int
    hub: int
    names: list[str]
    phones: list[str]
    postcodes: list[str]


def choose_cast(session) -> Cast:
    from directory.models import Organisation
    from referrals.lifecycle import OWNED_STATUSES
    from referrals.models import Offer, Referral, Resident

    busiest_area = session.execute(
        select(Referral.area, func.count()).group_by(Referral.area).order_by(func.count().desc()).limit(1)
    ).one()[0]
    officer_org = session.scalar(
        select(Organisation.id).where(Organisation.area == busiest_area, Organisation.kind == "safety_net")
    )
    work = (
        select(Referral.owner_org_id.label("org"), func.count().label("n"))
        .where(Referral.status.in_(OWNED_STATUSES))
        .group_by(Referral.owner_org_id)
    )
    hub = session.execute(
        select(Organisation.id)
        .join(work.subquery(), text("anon_1.org = organisation.id"))
        .where(Organisation.kind == "hub")
        .order_by(text("anon_1.n DESC"))
        .limit(1)
    ).scalar() or session.scalar(select(Offer.org_id).where(Offer.status == "pending").limit(1))
    rng = random.Random(26)
    people = session.scalar(select(func.count()).select_from(Resident))
    sample = session.execute(
        select(Resident.name, Resident.phone, Resident.postcode)
        .where(Resident.erased_at.is_(None), Resident.phone != "")
        .order_by(Resident.id)
        .offset(rng.randrange(max(1, people // 2)))
        .limit(200)
    ).all()
    picked = [sample[rng.randrange(len(sample))] for _ in range(5)]
    return Cast(
        busiest_area,
        officer_org,
        hub,
        [p.name for p in picked],
        [p.phone for p in picked],
        [p.postcode for p in picked],
    )


def ensure_user(session, username: str, role: str, org_id: int | None) -> None:
    from accounts.models import User
    from accounts.passwords import create_user

    if session.scalar(select(User.id).where(User.username == username)) is None:
        create_user(
            session,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            role=role,
            org_id=org_id,
        )


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/sign-in").get_data(as_text=True)).group(1)
    answer = client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302, f"cannot sign in as {username}: {answer.status_code}"
    return client


def page(client, path: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code}"

    return get


# ---------------------------------------------------------------------------------------------------------
# Printing


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def report_line(timing: Timing, target: str, met: bool, trip: float, scan: float) -> list[str]:
    total = sum(timing.seconds)
    share = timing.sql_seconds / total if total else 0.0
    lines = [
        f"{timing.name}: p50 {ms(timing.p50)}, p95 {ms(timing.p95)} over {len(timing.seconds)} — "
        f"target {target}: "
        f"{'MET' if met else 'NOT MET'}",
        f"    SQL {share:.0%} of the time ({timing.statements / len(timing.seconds):.0f} statements, "
        f"{timing.rows / len(timing.seconds):,.0f} rows a time), Python and templates {1 - share:.0%}; "
        f"p50 = {timing.p50 / trip:,.0f} round trips = {timing.p50 / scan:.2f} referral-table scans",
    ]
    if timing.cpu:
        lines.append(
            f"    CPU used by this process: p50 {ms(statistics.median(timing.cpu))} (on a machine to itself "
            "the Python part would take about this long; the rest of the wall time is waiting for a core or "
            "the database)"
        )
    if timing.slowest is not None:
        words = " ".join(timing.slowest.sql.split())
        lines.append(
            f"    slowest statement {ms(timing.slowest.seconds)}: {words[:160]}"
            + ("…" if len(words) > 160 else "")
        )
    return lines


def verify_stages(session, events: int = 200_000) -> dict:
    """Where `audit_chain.fast_walk`'s time goes per event, over the chain's first `events` rows read into
    memory first: the walk's own steps done over all of them once with each step more than the time before
    (the loop alone; with created_at's text; with the payload parsed; with floats looked for; with the
    document written; with it hashed and compared), each step's cost the difference; and fast_walk itself."""
    from referrals import audit
    from referrals.audit_chain import (
        _LONG_INTEGER,
        GENESIS,
        _floats_as_text,
        _has_float,
        _stamp,
        fast_walk,
    )

    with closing(audit.stored_rows(session, last=events)) as stream:
        rows = list(stream)
    count = max(len(rows), 1)
    loads, dumps, sort, sha256 = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    long_integer = _LONG_INTEGER.search

    def steps(upto: int) -> float:
        began = time.perf_counter()
        for (
            seq,
            prev,
            digest,
            kind,
            referral_id,
            resident_id,
            actor,
            role,
            org_id,
            reason,
            created,
            stored,
        ) in rows:
            if upto >= 1:
                stamp = _stamp(created)
            if upto >= 2:
                value = loads(stored)
            if upto >= 3 and _has_float(value) and long_integer(stored) is None:
                value = _floats_as_text(value)
            if upto >= 4:
                document = {
                    "actor": actor,
                    "actor_org_id": org_id,
                    "actor_role": role,
                    "created_at": stamp,
                    "kind": kind,
                    "payload": value,
                    "reason": reason,
                    "referral_id": referral_id,
                    "resident_id": resident_id,
                }
                canonical = dumps(document, option=sort)
            if upto >= 5:
                _ = sha256(b"%s\n%d\n%s" % (prev.encode(), seq, canonical)).hexdigest() == digest
        return (time.perf_counter() - began) / count * 1e6

    totals = [steps(upto) for upto in range(6)]
    names = ("loop_us", "stamp_us", "parse_us", "floats_us", "write_us", "hash_us")
    found = {names[0]: totals[0], **{names[i]: totals[i] - totals[i - 1] for i in range(1, 6)}}
    exact: list[int] = []
    began = time.perf_counter()
    fast_walk(rows, 0, GENESIS, {}, lambda row: exact.append(row[0]) or audit._exact_record(session, row))
    found["walk_us"] = (time.perf_counter() - began) / count * 1e6
    return {**found, "events": len(rows), "exact": len(exact)}


@contextmanager
def section(title: str):
    print(f"\n== {title}")
    yield


# ---------------------------------------------------------------------------------------------------------


def _operations(words: str) -> tuple[str, ...]:
    chosen = tuple(word.strip() for word in words.split(",") if word.strip())
    unknown = [word for word in chosen if word not in OPERATIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(OPERATIONS)} (not {', '.join(unknown)})")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a million referrals (default)")
    parser.add_argument("--rebuild", action="store_true", help="drop and build the database first")
    parser.add_argument("--db", default=None, help="database name (default: named for the scale)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--report-repeat", type=int, default=3)
    parser.add_argument("--erasures", type=int, default=5)
    parser.add_argument(
        "--only",
        type=_operations,
        default=OPERATIONS,
        help=f"time only these operations, comma-separated (default all: {','.join(OPERATIONS)})",
    )
    args = parser.parse_args(argv)
    name = args.db or database_name(args.scale)
    conninfo = f"{SERVER}/{name}"
    url = conninfo.replace("postgresql://", "postgresql+psycopg://")
    print(
        f"bench.scale: database {name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(other work on this machine runs at the same time: read the ratios to the baselines)"
    )
    if args.rebuild or not exists(name) or not built(conninfo):
        print(f"building at scale {args.scale} (COPY) …")
        made = build(name, args.scale)
        print("  built in " + ", ".join(f"{key} {value:,.1f}" for key, value in made.items()))
    else:
        began = time.perf_counter()
        upgrade(url)  # a database built before a new migration (an index) gets it
        print(f"reusing it (migrated to head in {ms(time.perf_counter() - began)})")
    found = counts(conninfo, name)
    print(
        f"data: {found['referral']:,} referrals, {found['audit_event']:,} audit events, "
        f"{found['resident']:,} residents, {found['offer']:,} offers, {found['volunteer']:,} volunteers, "
        f"{found['organisation']:,} organisations; database {found['bytes'] / 2**30:.2f} GiB"
    )
    trip, scan, scanned = baselines(conninfo)
    print(
        f"baselines: SELECT 1 round trip {trip * 1000:.2f} ms; sequential scan of referral "
        f"({scanned:,} rows) {ms(scan)}"
    )
    results = run(args, conninfo, url, trip, scan)
    misses = [line for line in results if "NOT MET" in line]
    print(f"\n{len(misses)} target(s) not met" if misses else "\nevery target met")
    return 0


NOTED_RESIDENTS = 1_000


def facts_refresh(engine: Engine, residents: int) -> str:
    """What keeping the report's facts in step costs (reports/facts.py): `residents` residents noted as if
    their referrals had just changed, then one refresh, person by person, as the worker's pass or the
    report's first step runs it."""
    from reports import facts

    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO needs_dirty (resident_id) "
                "SELECT id FROM resident ORDER BY random() LIMIT :residents"
            ),
            {"residents": residents},
        )
    began = time.perf_counter()
    with engine.begin() as connection:
        facts.refresh(connection)
        rows = connection.execute(text("SELECT count(*) FROM needs_fact")).scalar_one()
    took = time.perf_counter() - began
    return (
        f"the report's facts ({rows:,} rows) brought in step after writes touching {residents:,} residents: "
        f"{ms(took)} ({took / residents * 1000:.2f} ms a resident), before the report below"
    )


def run(args, conninfo: str, url: str, trip: float, scan: float) -> list[str]:
    from api import create_app
    from referrals import audit
    from referrals.erasure import due_for_erasure, erase_resident, load_retention_policy, run_retention
    from referrals.models import Referral, Resident
    from referrals.snapshot import DirectorySnapshot
    from reports.geography import ward_areas
    from reports.needs import needs_report
    from reports.needs_map import render_needs_map

    app = create_app({"DATABASE_URL": url, "TESTING": True, **RELAXED_LIMITS})
    services = app.extensions["oneroute"]
    factory = services.session_factory
    with factory() as session:
        cast = choose_cast(session)
        ensure_user(session, "scale-officer", "safety_net_officer", cast.officer_org)
        ensure_user(session, "scale-hub", "hub_coordinator", cast.hub)
        session.commit()
    officer, hub = (signed_in(app, u) for u in ("scale-officer", "scale-hub"))
    printed: list[str] = []

    def show(timing: Timing, target: str, met: bool, explain: bool = True) -> None:
        lines = report_line(timing, target, met, trip, scan)
        if explain and timing.slowest is not None:
            steps = plan(conninfo, timing.slowest)
            used = indexes_in(steps)
            lines.append(f"    its plan uses: {', '.join(used) if used else 'no index'}")
            lines += [f"      {step}" for step in steps[:12]]
        printed.extend(lines)
        print("\n".join(lines))

    with section(
        f"pages (target p95 ≤ {PAGE_TARGET_MS:.0f} ms), {args.repeat} requests each after one warm-up"
    ):
        pages = [
            ("dashboard", "safety-net dashboard (/safety-net)", officer, "/safety-net"),
            ("queue", "coordinator's queue (/queue)", hub, "/queue"),
            ("search", "person search by name (/search)", officer, f"/search?q={cast.names[0]}"),
            ("search", "person search by phone (/search)", officer, f"/search?q={cast.phones[1]}"),
            ("search", "person search by postcode (/search)", officer, f"/search?q={cast.postcodes[2]}"),
        ]
        for label, client, path in (page[1:] for page in pages if page[0] in args.only):
            timing = timed(label, page(client, path), args.repeat)
            show(timing, f"p95 ≤ {PAGE_TARGET_MS:.0f} ms", timing.p95 * 1000 <= PAGE_TARGET_MS)

    since = (utc_now() - timedelta(days=365)).date()
    if "report" in args.only:
        with section(
            f"needs report and map over the year (target ≤ {REPORT_TARGET_S:.0f} s), "
            f"{args.report_repeat} runs"
        ):
            refresh_line = facts_refresh(services.engine, NOTED_RESIDENTS)
            printed.append(refresh_line)
            print(refresh_line)
            made: list = []

            def report_only():
                with factory() as session:
                    made[:] = [needs_report(session, services.areas, since=since)]

            timing = timed(
                "needs report (reports.needs.needs_report, every council, a year)",
                report_only,
                args.report_repeat,
                warm=0,
            )
            show(timing, f"≤ {REPORT_TARGET_S:.0f} s", timing.p95 <= REPORT_TARGET_S)
            report_p50 = timing.p50
            began = time.perf_counter()
            for council in made[0].councils:
                ward_areas(tuple(made[0].district_codes.get(council, ())))
            shapes = time.perf_counter() - began
            timing = timed(
                "its map (render_needs_map)", lambda: render_needs_map(made[0]), args.report_repeat, warm=0
            )
            show(
                timing,
                f"report + map ≤ {REPORT_TARGET_S:.0f} s",
                report_p50 + timing.p50 <= REPORT_TARGET_S,
                explain=False,
            )
            extra = (
                f"    report + map p50 {ms(report_p50 + timing.p50)}; the wards' shapes (Voronoi cells of "
                "the shipped postcodes, once per process, reports.geography.ward_areas) took "
                f"{ms(shapes)} before the first map"
            )
            printed.append(extra)
            print(extra)

    if "verify" in args.only:
        with section(f"audit verify (target ≥ {VERIFY_TARGET_PER_S:,} events/s)"):
            with factory() as session:
                CLOCK.reset()
                began = time.perf_counter()
                with closing(audit.stored_rows(session)) as rows:
                    fetched = sum(1 for _ in rows)
                fetch_s = time.perf_counter() - began
            with factory() as session:
                stages = verify_stages(session)
            with factory() as session:
                began, began_cpu = time.perf_counter(), time.process_time()
                result = audit.verify_trail(session, workers=1)
                verify_s = time.perf_counter() - began
                verify_cpu = time.process_time() - began_cpu
            workers = os.cpu_count() or 1
            with factory() as session:
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                began = time.perf_counter()
                parallel = audit.verify_trail(session, workers=workers)
                parallel_s = time.perf_counter() - began
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                parallel_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
            # The pages above append to the trail as they are timed, so only the verdict must agree.
            assert parallel.ok == result.ok, "one process and several find the same"
            rate = result.count / parallel_s if parallel_s else 0.0
            met = result.ok and rate >= VERIFY_TARGET_PER_S
            lines = [
                "audit verify (referrals.audit.verify_trail, as `flask audit verify`) in "
                f"{workers} processes: {result.count:,} events in {parallel_s:,.1f} s = "
                f"{rate:,.0f} events/s, chain "
                + ("sound" if result.ok else f"BROKEN: {result.problem}")
                + f" — target ≥ {VERIFY_TARGET_PER_S:,}/s: {'MET' if met else 'NOT MET'}",
                f"    its processes used {parallel_cpu:,.1f} s of CPU = "
                f"{result.count / max(parallel_cpu, 1e-9):,.0f} events per CPU-second; load average "
                f"{os.getloadavg()[0]:.1f}",
                f"    in one process: {verify_s:,.1f} s = {result.count / verify_s:,.0f} events/s; "
                f"breakdown: reading the rows alone (audit.stored_rows) {fetch_s:,.1f} s "
                f"({fetched / fetch_s:,.0f}/s), plus making each event's canonical JSON, hashing it and "
                f"checking links (audit_chain.fast_walk) {verify_s - fetch_s:,.1f} s",
                f"    per event, over the first {stages['events']:,} events read into memory first: loop "
                f"{stages['loop_us']:.2f} µs, created_at's text {stages['stamp_us']:.2f}, payload parsed "
                f"{stages['parse_us']:.2f}, floats looked for {stages['floats_us']:.2f}, document written "
                f"{stages['write_us']:.2f}, hashed and compared {stages['hash_us']:.2f}; fast_walk in all "
                f"{stages['walk_us']:.2f} µs, {stages['exact']:,} rows the exact way",
                f"    CPU used by this one process {verify_cpu:,.1f} s = "
                f"{result.count / max(verify_cpu, 1e-9):,.0f} events per "
                "CPU-second (what one core to itself would do, the database's share aside)",
                f"    per event in one process: {verify_s / max(result.count, 1) * 1e6:.1f} µs = "
                f"{verify_s / max(result.count, 1) / trip:.3f}"
                " round trips",
            ]
            printed.extend(lines)
            print("\n".join(lines))

    if "erasure" in args.only:
        with section(f"erasure of one person (target ≤ {ERASURE_TARGET_S:.0f} s), {args.erasures} people"):
            from accounts.passwords import principal_for

            with factory() as session:
                from accounts.models import User

                principal = principal_for(
                    session, session.scalar(select(User).where(User.username == "scale-officer"))
                )
                # People of the officer's area with several referrals, not erased yet.
                many = (
                    select(Referral.resident_id)
                    .join(Resident, Resident.id == Referral.resident_id)
                    .where(Resident.erased_at.is_(None), Resident.area == cast.officer_area)
                    .group_by(Referral.resident_id)
                    .having(func.count() > 1)
                    .limit(500)
                )
                candidates = list(session.scalars(many))
            people = random.Random(time.time_ns()).sample(candidates, min(args.erasures, len(candidates)))
            queue = list(people)

            def erase_next():
                with factory() as session:
                    erase_resident(
                        session,
                        queue.pop(0),
                        principal,
                        "asked to be forgotten (bench)",
                        services.lifecycle_policy,
                    )

            timing = timed("erasure (referrals.erasure.erase_resident)", erase_next, len(people), warm=0)
            show(timing, f"≤ {ERASURE_TARGET_S:.0f} s", max(timing.seconds) <= ERASURE_TARGET_S)

    if "retention" in args.only:
        with section("retention run (referrals.erasure.run_retention, as `flask retention run`)"):
            retention = load_retention_policy()
            with factory() as session:
                CLOCK.reset()
                CLOCK.on = True
                began = time.perf_counter()
                due = due_for_erasure(session, retention, utc_now())
                due_s = time.perf_counter() - began
                CLOCK.on = False
                due_timing = Timing(
                    "finding who is due (due_for_erasure)",
                    [due_s],
                    CLOCK.seconds,
                    CLOCK.statements,
                    CLOCK.rows,
                    CLOCK.slowest,
                )
            show(due_timing, "none set (nightly)", True)
            with factory() as session:
                timing = timed(
                    f"retention run ({len(due):,} due)",
                    lambda: run_retention(session, retention, services.lifecycle_policy),
                    1,
                    warm=0,
                )
            erased_each = (timing.seconds[0] - due_s) / len(due) if due else 0.0
            show(
                timing,
                f"each erasure ≤ {ERASURE_TARGET_S:.0f} s",
                erased_each <= ERASURE_TARGET_S,
                explain=False,
            )
            extra = f"    {len(due):,} people erased, {ms(erased_each)} each after the search"
            printed.append(extra)
            print(extra)

    if "rebuild" in args.only:
        with section(
            "matching index rebuild (referrals.snapshot.DirectorySnapshot, a worker's first request)"
        ):

            def rebuild():
                DirectorySnapshot(factory, services.areas).current()

            timing = timed("matching index rebuild", rebuild, 3, warm=0)
            show(timing, "none set (docs/scaling.md: about 9 s per 100,000 volunteers)", True)
    app.extensions["oneroute"].engine.dispose()
    return printed


if __name__ == "__main__":
    raise SystemExit(main())
