"""How long a `flask --app wsgi ...` command takes to start, against baselines measured in the same run.

    python -m bench.startup [--runs 5] [--all] [--top 15]

What it measures, and why: every `flask` command (a cron's `retention run`, `sms send-once`, an operator's
`audit verify`, the `db upgrade` one-off) builds the whole app before doing anything, so what the app
factory imports and loads is paid by every one of them. The heavy parts are loaded where they are used:
the app's HTTP side (blueprints, schemas, OpenAPI document, pages) only by a command that needs it or before
the first request (`api/app.py`, `wsgi.py`), the triage rules on first use (`api.Services.rules`), matplotlib
and shapely only to draw a map, geopy only for a live geocoder, pyproj only to import postcodes, alembic only
for the `db` commands. The figures, before and after, are in docs/scaling.md ("Start-up of `flask`
commands").

Each command runs `--runs` times in a fresh interpreter (its `--help`: the app is built, the command does
nothing); the median wall time (and CPU time, steadier on a busy machine) is printed with two ratios:
against `python -c pass` (the interpreter) and against `python -m flask --version` (Flask without our app),
both measured in the same run. `--all` times the `--help` of every command the app registers. Then
`python -X importtime` of `flask --app wsgi --help` (the app as a command builds it, without its HTTP
side) gives the packages that take longest to import, self times summed per top-level package.
One JSON line per result; the exit status is 0 whatever the numbers (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]
COMMANDS = (
    ("flask --help", [*FLASK, "--help"]),
    ("flask audit verify --help", [*FLASK, "audit", "verify", "--help"]),
    ("flask db upgrade --help", [*FLASK, "db", "upgrade", "--help"]),
    ("flask worker --help", [*FLASK, "worker", "--help"]),
    ("flask retention run --help", [*FLASK, "retention", "run", "--help"]),
)


def start_time(argv: list[str], runs: int) -> tuple[float, float]:
    """The median wall and CPU (user + system) seconds of `runs` fresh runs, after one warm-up (so .pyc files
    exist). CPU time is the steadier figure on a busy machine; wall time is what a person waits."""
    subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def every_command() -> list[tuple[str, list[str]]]:
    """Each command the app registers, as `flask <group> <command> --help`."""
    sys.path.insert(0, str(ROOT))
    from wsgi import app

    found = []
    for name, command in sorted(app.cli.commands.items()):
        subcommands = getattr(command, "commands", None)
        if subcommands:
            found += [
                (f"flask {name} {sub} --help", [*FLASK, name, sub, "--help"]) for sub in sorted(subcommands)
            ]
        else:
            found.append((f"flask {name} --help", [*FLASK, name, "--help"]))
    return found


def top_imports(top: int) -> list[tuple[str, float]]:
    """Self import time in seconds summed per top-level package, for `flask --app wsgi --help` (the app built
    as a command builds it)."""
    done = subprocess.run(
        [*FLASK[:1], "-X", "importtime", *FLASK[1:], "--help"], cwd=ROOT, capture_output=True, text=True
    )
    per_package: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|")
        per_package[name.strip().split(".")[0]] += int(self_us) / 1e6
    return per_package.most_common(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="time every command's --help, not a sample")
    parser.add_argument("--top", type=int, default=15, help="how many packages to list by import time")
    options = parser.parse_args(argv)
    os.environ.setdefault("FLASK_APP", "wsgi")

    interpreter, _ = start_time([sys.executable, "-c", "pass"], options.runs)
    bare_flask, bare_flask_cpu = start_time([sys.executable, "-m", "flask", "--version"], options.runs)
    print(json.dumps({"baseline": "python -c pass", "seconds": round(interpreter, 3)}))
    print(
        json.dumps(
            {
                "baseline": "python -m flask --version",
                "seconds": round(bare_flask, 3),
                "cpu_seconds": round(bare_flask_cpu, 3),
            }
        )
    )
    commands = every_command() if options.all else list(COMMANDS)
    for label, command in commands:
        seconds, cpu = start_time(command, options.runs)
        result = {
            "command": label,
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            "x_python": round(seconds / interpreter, 1),
            "x_bare_flask": round(seconds / bare_flask, 1),
        }
        print(json.dumps(result), flush=True)
    for package, seconds in top_imports(options.top):
        print(json.dumps({"import": package, "self_seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
