"""Each gunicorn worker keeps its own matching index in memory; a directory change must reach every one.

Two gunicorn processes with one worker each serve the same database, so every request can be sent to a known
worker (with one master and two workers the kernel picks the worker). Each has warmed its index
(WARM_DIRECTORY=1) and matched a call before the change. The volunteer is added and later deactivated with
SQLAlchemy sessions, the way the directory services and CLI write (there is no volunteer API yet): the commit
moves `directory_state.version`, and the very next call each worker serves must see the change.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import json
from sqlalchemy.engine import make_url

from bench.servers import worker_pids
from directory.models import Volunteer
from tests.builders import ALL_DAYS, call, small_directory, token_for, volunteer

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Worker:
    """One gunicorn master with a single worker: one in-memory matching index."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.log = log
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "WARM_DIRECTORY": "1",
            "APP_ENV": "development",
            "RATELIMIT_INTAKE": "1000 per minute",
            "PYTHONPATH": str(ROOT),
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py", "--workers", "1"]
        command += ["--bind", f"127.0.0.1:{self.port}", "wsgi:app"]
        with log.open("w") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def request(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def wait_ready(self, deadline: float) -> None:
        """The worker answers only after its warm-up (gunicorn's post_worker_init) has built the index."""
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not answer: {self.log.read_text()[-2000:]}")
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def workers(database_url, session_factory, tmp_path) -> Iterator[list[Worker]]:
    started = [Worker(database_url, tmp_path / f"worker{n}.log") for n in (1, 2)]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for worker in started:
            worker.wait_ready(deadline)
        yield started
    finally:
        for worker in started:
            worker.stop()


def matched_volunteers(worker: Worker, token: str) -> set[int]:
    status, referral = worker.request("POST", "/api/v1/referrals", token, call())
    assert status == 201, referral
    status, candidates = worker.request("GET", f"/api/v1/referrals/{referral['id']}/candidates", token)
    assert status == 200, candidates
    return {c["volunteer_id"] for c in candidates if c["volunteer_id"] is not None}


def new_neighbour(session_factory, hub: int) -> int:
    """A volunteer every call of `call()` can be offered to, added after the workers warmed up."""
    return volunteer(
        session_factory,
        name="New Neighbour",
        org_id=hub,
        phone="+447700900777",
        skills=["shopping", "prescriptions"],
        availability=ALL_DAYS,
    )


def test_every_worker_matches_a_new_volunteer_and_skips_a_deactivated_one(session_factory, workers):
    ids = small_directory(session_factory)
    helpline = token_for(session_factory, "helpline_staff")
    before = [matched_volunteers(worker, helpline) for worker in workers]

    newcomer = new_neighbour(session_factory, ids["hub"])
    after_adding = [matched_volunteers(worker, helpline) for worker in workers]

    with session_factory() as session:
        session.get(Volunteer, newcomer).active = False
        session.commit()
    after_deactivating = [matched_volunteers(worker, helpline) for worker in workers]

    assert [newcomer in seen for seen in before] == [False, False]
    assert [newcomer in seen for seen in after_adding] == [True, True]
    assert [newcomer in seen for seen in after_deactivating] == [False, False]


def test_a_worker_forked_to_replace_one_that_died_catches_up_from_the_masters_index(
    database_url, session_factory, tmp_path
):
    """With WARM_DIRECTORY=1 the master builds the index once and forks warm workers (preload_app). A worker
    forked later, to replace one that died, starts from the master's index as it was at start-up and must
    catch up with every change made since before it serves."""
    master = Worker(database_url, tmp_path / "master.log")
    try:
        master.wait_ready(time.monotonic() + START_TIMEOUT)
        assert master.log.read_text().count("matching index built in the master: 0 volunteers") == 1
        assert database_handles(master.process.pid, database_url) == []
        ids = small_directory(session_factory)
        helpline = token_for(session_factory, "helpline_staff")
        newcomer = new_neighbour(session_factory, ids["hub"])
        (first,) = worker_pids(master.process.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + START_TIMEOUT
        while worker_pids(master.process.pid) in ([], [first]):
            assert time.monotonic() < deadline, master.log.read_text()[-2000:]
            time.sleep(0.05)
        master.wait_ready(deadline)
        assert newcomer in matched_volunteers(master, helpline)
        assert database_handles(master.process.pid, database_url) == []
    finally:
        master.stop()


def database_handles(pid: int, database_url: str) -> list[str]:
    """The database files (SQLite) or PostgreSQL connections (TCP to the server's port) process `pid` holds
    open: a preloaded master must hold none, or a forked worker would share it."""
    url = make_url(database_url)
    fds = Path(f"/proc/{pid}/fd")
    targets = []
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):
            targets.append(os.readlink(fd))
    if url.get_backend_name() == "sqlite":
        return [target for target in targets if target.startswith(str(url.database))]
    sockets = {target[len("socket:[") : -1] for target in targets if target.startswith("socket:[")}
    port = f":{url.port or 5432:04X}"
    held = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2].endswith(port) and fields[9] in sockets:
                held.append(f"{table} {fields[2]} inode {fields[9]}")
    return held
