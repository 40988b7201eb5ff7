"""Fault injection on PostgreSQL: the database cut, refused and read-only under a steady load of calls, and
under the worker. Nothing lost, nothing doubled, never a 500.

The faults touch only this test's own database, never the server: `pg_terminate_backend` on its connections
(a transaction cut half-way, as a crash or a restart cuts it), `ALLOW_CONNECTIONS false` with every connection
ended (the server down: new connections refused, as during a restart), and `default_transaction_read_only`
with every connection ended (a failover: connected to a server that will not write). Each phase lasts a
second or two; the whole load runs for about 12 s.

Run with `-s` to see the counts the load measured (calls, answers by status, retries, referrals stored)."""

import contextlib
import glob
import json
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from db import make_engine, make_session_factory
from db.faults import is_unavailable
from db.migrate import upgrade
from notify.models import OutboxMessage
from notify.outbox import enqueue
from notify.sms_sender import SentMessage
from referrals.audit import verify_trail
from referrals.models import IdempotentRequest, Referral, Resident
from tests.builders import auth, call, small_directory, token_for

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="faults are injected into a PostgreSQL server (pg_terminate_backend, a read-only database); "
    "SQLite is a file in the process, with no server to lose (TEST_DATABASE_URL=postgresql+psycopg://...)",
)

LOAD_CLIENTS = 4
RETRY_PAUSE_S = 0.2  # the test's clients wait this long, not Retry-After's 5 s, to keep the run short
MAX_TRIES = 200  # a call still not answered after this many tries fails the test instead of hanging it


class Faults:
    """Faults in one database of the shared server, from a connection to its `postgres` database."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.name = url.database
        self.admin: Engine = make_engine(
            url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )

    def _run(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(sql))

    def cut_connections(self) -> int:
        """End every connection to the database: their transactions are rolled back, their clients see a
        connection terminated by an administrator."""
        with self.admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": self.name},
                ).all()
            )

    def refuse_connections(self, refused: bool) -> None:
        """The server down for this database: new connections refused; existing ones ended."""
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {"false" if refused else "true"}')
        if refused:
            self.cut_connections()

    def read_only(self, on: bool) -> None:
        """A failover seen from the app: its connections end and the server it reaches will not write."""
        if on:
            self._run(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = on')
        else:
            self._run(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only')
        self.cut_connections()

    def heal(self) -> None:
        self._run(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
        self._run(f'ALTER DATABASE "{self.name}" RESET default_transaction_read_only')
        self.cut_connections()
        self.admin.dispose()


@pytest.fixture
def faults(database_url, session_factory) -> Iterator[Faults]:
    injected = Faults(database_url)
    try:
        yield injected
    finally:
        injected.heal()


@contextmanager
def live_app(database_url: str) -> Iterator[str]:
    """The app served over HTTP by werkzeug in a thread, a thread per request (as several workers)."""
    from api import create_app
    from tests.conftest import RELAXED_LIMITS

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        app.extensions["oneroute"].engine.dispose()


@dataclass
class Load:
    """What the clients saw: every answer by status, and how each call ended."""

    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    answered_ids: set[int] = field(default_factory=set)
    keys: list[str] = field(default_factory=list)
    retried_calls: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def log_calls(url: str, headers: dict, load: Load, stop: threading.Event) -> None:
    """One helpline client: log a call with an Idempotency-Key, retry it on 503 with the same key, next."""
    http = requests.Session()
    while not stop.is_set():
        key = uuid.uuid4().hex
        with load.lock:
            load.keys.append(key)
        tries = 0
        while tries < MAX_TRIES:
            tries += 1
            answer = http.post(
                f"{url}/api/v1/referrals",
                json=call(notes=f"Fault test call {key}: needs shopping, lives alone."),
                headers={**headers, "Idempotency-Key": key},
                timeout=60,
                allow_redirects=False,
            )
            with load.lock:
                load.statuses[answer.status_code] += 1
            if answer.status_code != 503:
                break
            wait = answer.headers.get("Retry-After", "")
            if not wait.isdigit() or int(wait) < 1 or "Idempotency-Key" not in answer.json()["detail"]:
                with load.lock:
                    load.problems.append(f"a 503 without Retry-After or the retry advice: {answer.text}")
            time.sleep(RETRY_PAUSE_S)
        with load.lock:
            load.retried_calls += tries > 1
            if answer.status_code == 201:
                load.outcomes["answered 201"] += 1
                load.answered_ids.add(answer.json()["id"])
            elif answer.status_code == 409 and "still being processed" in answer.json().get("detail", ""):
                # the commit went through but its answer was lost with the connection: the key knows it
                load.outcomes["committed, answer lost (409 still running)"] += 1
            else:
                load.outcomes[f"ended {answer.status_code}"] += 1
                load.problems.append(f"{answer.status_code}: {answer.text[:300]}")


def run_load(url: str, headers: dict, faults_while_loaded) -> Load:
    """LOAD_CLIENTS clients log calls while `faults_while_loaded()` runs; then they finish their calls."""
    load, stop = Load(), threading.Event()
    clients = [
        threading.Thread(target=log_calls, args=(url, headers, load, stop)) for _ in range(LOAD_CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        faults_while_loaded()
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=120)
    assert not any(client.is_alive() for client in clients), "a client never got its call answered"
    return load


def nothing_lost_nothing_doubled(load: Load, session_factory, **measured) -> dict:
    """Check what the database holds against what the clients were told; return the counts."""
    with session_factory() as session:
        referrals = session.scalar(select(func.count()).select_from(Referral))
        residents = session.scalar(select(func.count()).select_from(Resident))
        keys = session.execute(select(IdempotentRequest.key, IdempotentRequest.referral_id)).all()
        stored_ids = set(session.scalars(select(Referral.id)))
        trail = verify_trail(session)
    counts = {
        "calls": len(load.keys),
        "answers_by_status": dict(sorted(load.statuses.items())),
        "outcomes": dict(load.outcomes),
        "calls_retried": load.retried_calls,
        "referrals_stored": referrals,
        "residents_stored": residents,
        "audit_events_verified": trail.count,
        **measured,
    }
    print("\nfault suite:", json.dumps(counts))
    assert not load.problems, load.problems[:5]
    assert load.statuses[500] == 0, "never a 500"
    assert load.statuses[503] > 0, "the faults reached the requests"
    assert load.retried_calls > 0
    # nothing lost: every call the clients made is stored, the answered ones under the id they were given
    assert load.answered_ids <= stored_ids
    assert {key for key, _ in keys} == set(load.keys)
    assert all(referral_id is not None for _, referral_id in keys)
    # nothing doubled: one referral per call, one resident per referral (no half-written call survived)
    assert referrals == len(load.keys) == len({referral_id for _, referral_id in keys})
    assert residents == referrals
    assert trail.ok, trail.problem
    return counts


def test_calls_logged_through_cuts_a_restart_and_a_failover_are_stored_once_each(
    database_url, faults, session_factory
):
    small_directory(session_factory)
    headers = auth(token_for(session_factory, "helpline_staff"))
    cuts = []

    def inject() -> None:
        time.sleep(1.0)
        for _ in range(4):  # transactions cut half-way, as a crash would
            cuts.append(faults.cut_connections())
            time.sleep(0.7)
        faults.refuse_connections(True)  # as a restart: nothing can connect for 2.5 s
        time.sleep(2.5)
        faults.refuse_connections(False)
        time.sleep(1.5)
        faults.read_only(True)  # a failover: what the app reaches for 2 s will not write
        time.sleep(2.0)
        faults.read_only(False)
        time.sleep(1.5)

    with live_app(database_url) as url:
        load = run_load(url, headers, inject)
    nothing_lost_nothing_doubled(load, session_factory, connections_cut=sum(cuts))


def test_a_transaction_cut_half_way_is_rolled_back_whole(database_url, faults, session_factory):
    """The connection ends between two writes of one transaction: neither is kept, and the next
    transaction on the same engine works (the pool replaced the dead connection)."""
    engine = make_engine(database_url)
    try:
        connection = engine.connect()
        connection.execute(text("INSERT INTO directory_state (id, version) VALUES (2, 0)"))
        faults.cut_connections()
        with pytest.raises(OperationalError) as cut:
            connection.execute(text("INSERT INTO directory_state (id, version) VALUES (3, 0)"))
        assert is_unavailable(cut.value)
        connection.close()
        with engine.connect() as connection:
            ids = connection.scalars(text("SELECT id FROM directory_state ORDER BY id")).all()
        assert ids == [1]
    finally:
        engine.dispose()


class SenderThatFailsOver:
    """Twilio accepts each text; just after the first, the database fails over (read-only), so the worker
    cannot store the SID it was given."""

    def __init__(self, faults: Faults) -> None:
        self.faults, self.sent = faults, []

    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        self.sent.append(to)
        if len(self.sent) == 1:
            self.faults.read_only(True)
        return SentMessage(sid=f"SM{len(self.sent):032x}", status="queued", num_segments=1)


def test_the_worker_rides_out_a_failover_and_sends_a_text_once(database_url, faults, session_factory, caplog):
    from api import create_app
    from api.cli import WorkerPass
    from api.sms import SmsOutbox
    from api.worker import OutageWatch, run_pass

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    found = app.extensions["oneroute"]
    with session_factory() as session:
        message_id = enqueue(session, "+447700900123", "Your shopping is on its way.", "notice").id
        session.commit()
    outbox = SmsOutbox(found, "worker-under-test")
    outbox.sender = sender = SenderThatFailsOver(faults)
    watch, do_pass = OutageWatch(), WorkerPass(found, outbox, None)
    caplog.set_level(logging.WARNING, logger="api.worker")
    try:
        with app.app_context():
            assert run_pass(do_pass, watch) is False  # sent; storing its SID refused (read-only)
            assert outbox.unstored, "the SID is kept in memory until it can be stored"
            assert run_pass(do_pass, watch) is False  # still read-only: the timers cannot claim anything
            faults.read_only(False)  # the new primary takes writes
            assert run_pass(do_pass, watch) is True  # the SID stored first, nothing sent again
            assert run_pass(do_pass, watch) is True
    finally:
        found.engine.dispose()
    with session_factory() as session:
        message = session.get(OutboxMessage, message_id)
        assert (message.status, message.twilio_sid) == ("sent", f"SM{1:032x}")
    assert sender.sent == ["+447700900123"], "sent once"
    worker_lines = [r.getMessage() for r in caplog.records if r.name == "api.worker"]
    assert len(worker_lines) == 2, worker_lines  # one line when the outage starts, one when it ends
    assert "the database is unavailable (ReadOnlySqlTransaction" in worker_lines[0]
    assert "the database is back after" in worker_lines[1]
    assert "2 pass(es) cut short" in worker_lines[1]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres_user() -> list[str] | None:
    """The prefix that runs initdb and pg_ctl, which refuse to run as root: none when not root, runuser
    to the postgres account when root; None when neither is possible."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return ["runuser", "-u", "postgres", "--"]


@dataclass
class PrivateServer:
    """A throwaway PostgreSQL cluster of this test's own, in a temporary folder, on a free port."""

    bin: Path
    prefix: list[str]
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        command = [
            *self.prefix,
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.folder / "data"),
            "-w",
            "-o",
            options,
        ]
        subprocess.run([*command, *args, "-l", str(self.folder / "log")], check=True, capture_output=True)

    def restart(self, down_seconds: float) -> None:
        """Shut down fast (open transactions rolled back, clients told the server is going), stay down,
        start again: what an operator's `systemctl restart postgresql` does."""
        self.pg_ctl("stop", "-m", "fast")
        time.sleep(down_seconds)
        self.pg_ctl("start")


@pytest.fixture
def private_server() -> Iterator[PrivateServer]:
    bin_dir, prefix = _postgres_bin(), _as_postgres_user()
    if bin_dir is None or prefix is None:
        pytest.skip("needs PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin), as a user they run as")
    folder = Path(tempfile.mkdtemp(prefix="oneroute-pg-"))
    if prefix:
        shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = PrivateServer(bin_dir, prefix, folder, port)
    initdb = [
        str(bin_dir / "initdb"),
        "-D",
        str(folder / "data"),
        "-A",
        "trust",
        "-U",
        "postgres",
        "--no-sync",
    ]
    subprocess.run([*prefix, *initdb, "-E", "UTF8"], check=True, capture_output=True)
    server.pg_ctl("start")
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


def test_calls_logged_through_a_real_server_restart_are_stored_once_each(private_server):
    """The issue's own trial: four clients logging calls while PostgreSQL restarts (2.5 s down)."""
    upgrade(private_server.url)
    engine = make_engine(private_server.url)
    sessions = make_session_factory(engine)
    try:
        small_directory(sessions)
        headers = auth(token_for(sessions, "helpline_staff"))

        def inject() -> None:
            time.sleep(1.5)
            private_server.restart(down_seconds=2.5)
            time.sleep(2.5)

        with live_app(private_server.url) as url:
            load = run_load(url, headers, inject)
        nothing_lost_nothing_doubled(load, sessions, restarts=1)
    finally:
        engine.dispose()


def test_the_one_pass_commands_end_with_one_line_while_the_database_is_down(database_url, faults):
    """`flask sweep` and `flask sms send-once` run from cron: an outage is one line and exit status 1."""
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        faults.refuse_connections(True)
        for command in (["sweep"], ["sms", "send-once"]):
            result = app.test_cli_runner().invoke(args=command)
            assert result.exit_code == 1, result.output
            assert "the database is unavailable (OperationalError: connection failed" in result.output
            assert "Traceback" not in result.output
    finally:
        faults.refuse_connections(False)
        app.extensions["oneroute"].engine.dispose()
