"""`python -m bench.scale` runs end to end at its smallest size on PostgreSQL (COPY and the database it builds
are PostgreSQL's): the data it makes is what the app's code reads (the hash chain verifies, people are found
and erased) and it prints every timing with its target. Nothing is timed here: the figures are the bench's."""

import psycopg
import pytest
from sqlalchemy.engine import make_url

import bench.scale
from bench.scale_data import Sizes
from tests.conftest import is_postgres

SECTIONS = (
    "safety-net dashboard (/safety-net): p50",
    "coordinator's queue (/queue): p50",
    "person search by name (/search): p50",
    "needs report (reports.needs.needs_report, every council, a year): p50",
    "its map (render_needs_map): p50",
    "audit verify (referrals.audit.verify_trail, as `flask audit verify`)",
    "erasure (referrals.erasure.erase_resident): p50",
    "retention run (",
    "matching index rebuild: p50",
)


@pytest.fixture
def scale_database(engine, database_url, monkeypatch):
    if not is_postgres(engine):
        pytest.skip("bench.scale builds its database with PostgreSQL's COPY")
    url = make_url(database_url)
    server = f"postgresql://{url.username or 'postgres'}@{url.host or '127.0.0.1'}:{url.port or 5432}"
    monkeypatch.setattr(bench.scale, "SERVER", server)
    name = f"{url.database}_scale_bench"
    yield name
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_scale_bench_builds_a_small_county_and_times_every_operation(scale_database, capsys):
    smallest = Sizes.at(0.0001)
    assert (
        bench.scale.main(
            [
                "--scale",
                "0.0001",
                "--db",
                scale_database,
                "--rebuild",
                "--repeat",
                "1",
                "--report-repeat",
                "1",
                "--erasures",
                "1",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert f"data: {smallest.referrals:,} referrals" in out
    assert f"{smallest.volunteers:,} volunteers, {smallest.organisations:,} organisations" in out
    for heading in SECTIONS:
        assert heading in out, heading
    assert "chain sound" in out
    for target in ("target p95 ≤ 300 ms", "target ≥ 200,000/s", "target ≤ 1 s"):
        assert target in out, target
    with psycopg.connect(f"{bench.scale.SERVER}/{scale_database}") as connection:
        erased = connection.execute("SELECT count(*) FROM resident WHERE erased_at IS NOT NULL").fetchone()[0]
        head = connection.execute("SELECT seq FROM audit_head").fetchone()[0]
        events = connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    assert erased >= 1
    assert head == events  # the chain the bench wrote, and everything the app appended to it since

    # A second run reuses the database and, with --only, times just the operations named.
    assert bench.scale.main(["--db", scale_database, "--repeat", "1", "--only", "dashboard,verify"]) == 0
    out = capsys.readouterr().out
    assert "safety-net dashboard (/safety-net): p50" in out
    assert "chain sound" in out
    assert "coordinator's queue" not in out
    assert "erasure (" not in out

    # A third run reuses the database; `--only report` times the needs report and its map, nothing else.
    assert bench.scale.main(["--db", scale_database, "--report-repeat", "1", "--only", "report"]) == 0
    out = capsys.readouterr().out
    assert "reusing it" in out
    assert "needs report (reports.needs.needs_report, every council, a year): p50" in out
    assert "its map (render_needs_map): p50" in out
    for skipped in ("safety-net dashboard", "audit verify (", "erasure (", "matching index rebuild"):
        assert skipped not in out, skipped
