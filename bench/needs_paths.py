"""The needs report both ways on a `bench.scale` database: the Python fold (`reports.needs.demand_in_python`,
SQLite's path) and the PostgreSQL aggregation (`reports/needs_sql.py`), each timed — wall, this process's
CPU, the SQL share, the PostgreSQL backend's own CPU (read from /proc, so the server must run on this
machine; parallel workers are turned off so the backend does all the work) and the load average — and the
two whole reports compared.

    python -m bench.needs_paths --db oneroute_scale_0_1 [--repeat 2] [--paths python,sql]
"""

import argparse
import dataclasses
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from bench.scale import SERVER
from db.base import utcnow
from directory.areas import load_areas
from reports.needs import needs_report


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a database bench.scale built")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--paths", default="python,sql", help="python, sql or both (default)")
    args = parser.parse_args(argv)
    engine = create_engine(f"{SERVER}/{args.db}".replace("postgresql://", "postgresql+psycopg://"))
    in_sql_time = [0.0]

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["began"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        in_sql_time[0] += time.perf_counter() - conn.info["began"]

    areas, now = load_areas(), utcnow()
    since = (now - timedelta(days=365)).date()
    reports = {}
    for path in args.paths.split(","):
        for _ in range(args.repeat):
            in_sql_time[0] = 0.0
            load = os.getloadavg()[0]
            with Session(engine) as session:
                connection = session.connection()
                connection.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                cpu, server, began = time.process_time(), backend_cpu(pid), time.perf_counter()
                report = needs_report(session, areas, since=since, now=now, in_sql=path == "sql")
                wall, server = time.perf_counter() - began, backend_cpu(pid) - server
                cpu = time.process_time() - cpu
            print(
                f"{path}: wall {wall:.2f} s, CPU {cpu:.2f} s, SQL {in_sql_time[0]:.2f} s "
                f"({in_sql_time[0] / wall:.0%}), PostgreSQL backend CPU {server:.2f} s, load {load:.1f}, "
                f"{len(report.rows):,} rows",
                flush=True,
            )
        reports[path] = dataclasses.asdict(report)
    if len(reports) == 2:
        first, second = reports.values()
        differ = [key for key in first if first[key] != second[key]]
        print("the same report both ways" if not differ else f"the reports differ in: {', '.join(differ)}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
