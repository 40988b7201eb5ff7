"""Intake at national scale, measured against the bare stack, in one run.

    python -m bench.intake --duration 20 [--volunteers 1000000]
    python -m bench.intake --mixed --duration 60

Creates a fresh PostgreSQL database (127.0.0.1:5432, user postgres; BENCH_PG overrides), migrates it, fills
it with a national directory (every UK council district, its organisations, N volunteers clustered around
real towns, synthetic unit postcodes) and a helpline token, then:

1. the baseline: `bench/baseline_app.py` (Flask + gunicorn, 2 workers + PostgreSQL, one INSERT per request),
2. the floor (skip with --no-floor): `bench/floor_app.py`, the app's own stack (token authentication, role
   check, the intake's body schema, the request's ORM session) doing one INSERT per request,
3. the app: `wsgi:app` under gunicorn with config/gunicorn.py (2 workers, WARM_DIRECTORY=1: the master builds
   the matching index and forks both workers warm),

each driven by wrk from a separate process with the same settings (-t1 -c4 by default: 2 sync workers on 2
cores take 2 requests at a time; 4 connections keep one request queued per worker so neither idles between
requests, while more would only add queueing delay to every latency and steal CPU for wrk). With --mixed the
app gets 60 % intake, 30 % coordinator queue reads and 10 % accepts of offers made to the coordinator's own
organisation. Prints one JSON line: throughput, latency and errors of each, the ratios to the baseline, CPU
time per request of the workers and of PostgreSQL, each worker's memory (RSS, and the proportional share
of the master and workers, which adds up to what the server takes), and how long each worker took to serve
its first intake after one volunteer was added (the index patched from the change log). Requires wrk
(`apt-get install -y wrk`).
Beside the figures: PostgreSQL's wait-event shares during the measured run (`postgres_wait_shares`, sampled
from pg_stat_activity) and, once the server has stopped, where one intake's CPU goes by stage with its SQL
statements (`stages`: bench/intake_stages.py, the app in one process on the same database; --no-stages
skips it).
--profile samples the workers with py-spy during the measured run (`.venv/bin/pip install py-spy`).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import bench_db, mixed
from bench.baseline_app import create_table
from bench.call_bodies import make_bodies, write_bodies
from bench.floor_app import PATH as FLOOR_PATH
from bench.freshness import time_change_pickup
from bench.national_volunteers import INDEPENDENT_SHARE
from bench.profile_summary import record_profiles
from bench.servers import (
    ROOT,
    BenchError,
    CpuMeter,
    Gunicorn,
    require_wrk,
    run_wrk,
    start_gunicorn,
    wait_for_http,
    wait_for_markers,
)

BODIES = 20_000
STAGE_WARMUP = 30
NO_LIMIT = "1000000 per minute"


def app_env(database: bench_db.BenchDatabase, warm_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database.url,
        "AREAS_FILE": str(database.areas_file),
        "WARM_DIRECTORY": "1",
        "APP_ENV": "development",
        "RATELIMIT_API": NO_LIMIT,
        "RATELIMIT_INTAKE": NO_LIMIT,
        "GUNICORN_TIMEOUT": "1800",  # a rebuild inside a request blocks the heartbeat (docs/scaling.md)
        "WEB_CONCURRENCY": "2",
        "BENCH_WARM_DIR": str(warm_dir),
    }


def start_app(database: bench_db.BenchDatabase, workdir: Path) -> tuple[Gunicorn, float]:
    warm_dir = workdir / "warm"
    warm_dir.mkdir()
    started = time.perf_counter()
    server = start_gunicorn(
        "wsgi:app",
        app_env(database, warm_dir),
        workdir / "app.log",
        config=ROOT / "bench" / "gunicorn_warm.py",
    )
    wait_for_markers(server, warm_dir, count=2, timeout=1800)
    return server, time.perf_counter() - started


def start_baseline(database: bench_db.BenchDatabase, workdir: Path) -> Gunicorn:
    create_table(database.conninfo)
    server = start_gunicorn(
        "bench.baseline_app:app", {"DATABASE_URL": database.conninfo}, workdir / "baseline.log"
    )
    wait_for_http(server, "/", timeout=60)
    return server


def start_floor(database: bench_db.BenchDatabase, workdir: Path) -> Gunicorn:
    """The project's own stack doing one insert per request (bench/floor_app.py), with the app's settings."""
    env = {**app_env(database, workdir), "WARM_DIRECTORY": "0"}
    server = start_gunicorn(
        "bench.floor_app:create_floor_app()",
        env,
        workdir / "floor.log",
        config=ROOT / "config" / "gunicorn.py",
    )
    wait_for_http(server, "/healthz", timeout=60)
    return server


def warm_up(server: Gunicorn, args: list[str], options: argparse.Namespace) -> None:
    if options.warmup:
        run_wrk(server.url, "intake.lua", args, options.threads, options.connections, options.warmup)


def load(
    server: Gunicorn,
    script: str,
    args: list[str],
    database: bench_db.BenchDatabase,
    options: argparse.Namespace,
    profile: Path | None = None,
) -> dict:
    """The measured wrk run, with the CPU time the workers and PostgreSQL's backends spent on it."""
    workers = CpuMeter(server.workers)
    postgres = CpuMeter(lambda: bench_db.backend_pids(database.conninfo, database.name))
    workers.start()
    postgres.start()
    waits: dict[str, float] = {}
    with (
        record_profiles(server.workers(), profile, options.duration),
        bench_db.wait_events(database.conninfo, database.name, waits),
    ):
        result = run_wrk(server.url, script, args, options.threads, options.connections, options.duration)
    result["postgres_wait_shares"] = waits
    result["cpu_ms_per_request"] = {
        "workers": round(1000 * workers.stop() / max(result["requests"], 1), 2),
        "postgres": round(1000 * postgres.stop() / max(result["requests"], 1), 2),
    }
    return result


def load_once(
    server: Gunicorn, args: list[str], database: bench_db.BenchDatabase, options: argparse.Namespace
) -> dict:
    """Warm up, measure an intake run and stop: the baseline and the floor."""
    try:
        warm_up(server, args, options)
        return load(server, "intake.lua", args, database, options)
    finally:
        server.stop()


def intake_stages(
    database: bench_db.BenchDatabase, bodies: Path, workdir: Path, options: argparse.Namespace
) -> dict:
    """One intake's CPU by stage and its SQL statements (bench/intake_stages.py), in a process of its own
    with the app's settings on the same database, once the server has stopped, for calls the measured run
    did not make (the last bodies of the file: a repeated body would be a repeat caller)."""
    lines = bodies.read_text().splitlines()[-(options.stage_calls + STAGE_WARMUP) :]
    tail = workdir / "stage_bodies.jsonl"
    tail.write_text("\n".join(lines) + "\n")
    command = [
        sys.executable,
        "-m",
        "bench.intake_stages",
        "--database-url",
        database.url,
        "--areas-file",
        str(database.areas_file),
        "--bodies",
        str(tail),
        "--token",
        database.helpline_token,
        "--calls",
        str(options.stage_calls),
        "--warmup",
        str(STAGE_WARMUP),
    ]
    with open(workdir / "stages.log", "w") as log:
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    if done.returncode:
        raise BenchError(f"bench.intake_stages failed: see {workdir / 'stages.log'}")
    return json.loads(done.stdout)


def rps(result: dict) -> float:
    return result["requests"] / (result["duration_us"] / 1e6)


def errors(result: dict) -> int:
    return sum(
        result[k]
        for k in ("connect_errors", "read_errors", "write_errors", "timeout_errors", "status_errors")
    )


def run(options: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="oneroute-bench-") as tmp:
        workdir = options.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        name = bench_db.create_database()
        try:
            database = bench_db.build(
                name,
                options.volunteers,
                workdir,
                options.seed,
                options.independent_share,
                options.history_offers,
                options.revision,
            )
            return measure(database, workdir, options)
        finally:
            if not options.keep_db:
                bench_db.drop_database(name)
            else:
                print(f"kept database {name}", file=sys.stderr)


def measure(database: bench_db.BenchDatabase, workdir: Path, options: argparse.Namespace) -> dict:
    bodies = write_bodies(make_bodies(BODIES, database.units, options.seed), workdir / "bodies.jsonl")
    intake_args = [str(bodies), database.helpline_token, str(options.threads)]
    base = load_once(start_baseline(database, workdir), intake_args, database, options)
    floor = None
    if options.floor:
        floor_args = [*intake_args, FLOOR_PATH]
        floor = load_once(start_floor(database, workdir), floor_args, database, options)
    app, warm_s = start_app(database, workdir)
    try:
        with bench_db.analyzing(database.conninfo):
            if options.mixed:
                script, args = "mixed.lua", mixed.prepare(app, database, bodies, workdir, options)
            else:
                script, args = "intake.lua", intake_args
            warm_up(app, intake_args, options)
            bench_db.analyze(database.conninfo)
            load_before = os.getloadavg()[0]
            result = load(app, script, args, database, options, options.profile)
        memory = app.rss_mb()
        shared = app.shared_memory_mb()
        pickup = (
            time_change_pickup(app, database, bodies.read_text().splitlines()) if options.change else None
        )
        peak = app.rss_mb("VmHWM")
    finally:
        app.stop()
    stages = intake_stages(database, bodies, workdir, options) if options.stages else None
    figures = {
        "scenario": "mixed" if options.mixed else "intake",
        "rps": round(rps(result), 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "errors": errors(result),
        "baseline_rps": round(rps(base), 1),
        "baseline_p99_ms": round(base["p99_us"] / 1000, 2),
        "baseline_errors": errors(base),
        "ratio": round(rps(result) / rps(base), 3),
        "floor_rps": floor and round(rps(floor), 1),
        "floor_p99_ms": floor and round(floor["p99_us"] / 1000, 2),
        "floor_errors": floor and errors(floor),
        "floor_ratio": floor and round(rps(floor) / rps(base), 3),
        "rss_mb": memory,
        "rss_peak_mb": peak,
        "memory_mb": shared,
        "change_pickup_s": pickup,
        "volunteers": options.volunteers,
        "duration_s": options.duration,
        "connections": options.connections,
        "threads": options.threads,
        "setup_s": {step: round(seconds, 1) for step, seconds in database.timings.items()},
        "warm_s": round(warm_s, 1),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "independent_share": options.independent_share,
        "history_offers": options.history_offers,
        "revision": options.revision,
        "cpu_ms_per_request": result["cpu_ms_per_request"],
        "baseline_cpu_ms_per_request": base["cpu_ms_per_request"],
        "floor_cpu_ms_per_request": floor and floor["cpu_ms_per_request"],
        "statuses": result["statuses"],
        "postgres_wait_shares": result["postgres_wait_shares"],
        "stages": stages,
    }
    if options.mixed:
        figures["counts"] = result["counts"]
    if result["error_samples"]:
        figures["error_samples"] = result["error_samples"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--mixed", action="store_true", help="60%% intake, 30%% queue reads, 10%% accepts")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring (0: none)")
    parser.add_argument(
        "--accepts",
        type=int,
        default=0,
        help="offers to pre-create for --mixed (0: 15 per second of --duration)",
    )
    parser.add_argument("--profile", type=Path, help="py-spy the app's workers: write collapsed stacks here")
    parser.add_argument(
        "--no-change",
        dest="change",
        action="store_false",
        help="skip timing how long each worker takes to pick up one directory change",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip the floor: the project's own stack doing one insert per request (bench/floor_app.py)",
    )
    parser.add_argument(
        "--no-stages",
        dest="stages",
        action="store_false",
        help="skip the breakdown of one intake's CPU by stage (bench/intake_stages.py)",
    )
    parser.add_argument("--stage-calls", type=int, default=300, help="intakes the breakdown averages over")
    parser.add_argument("--history-offers", type=int, default=0, help="past offers to add (months of use)")
    parser.add_argument("--revision", default="head", help="migrate only this far (to compare migrations)")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--workdir", type=Path, help="keep logs and inputs here (default: a temporary folder)"
    )
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--independent-share",
        type=float,
        default=INDEPENDENT_SHARE,
        help="volunteers in no group (offered through their area's safety-net team)",
    )
    options = parser.parse_args()
    try:
        require_wrk()
        print(json.dumps(run(options)))
    except BenchError as error:
        sys.exit(f"bench.intake: {error}")


if __name__ == "__main__":
    main()
