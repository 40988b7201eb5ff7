"""Processes a load test needs: gunicorn masters and their workers (ports, readiness, memory), and wrk."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
WRK_DIR = Path(__file__).resolve().parent / "wrk"
WRK_MARKER = "WRK_JSON "
INSTALL_WRK = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or `brew install wrk` (macOS)"


class BenchError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Gunicorn:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return worker_pids(self.process.pid)

    def rss_mb(self, field: str = "VmRSS") -> list[float]:
        return [rss_mb(pid, field) for pid in self.workers()]

    def shared_memory_mb(self) -> dict:
        """Proportional memory of the master and each worker (pages they share are split between them, so the
        figures add up to what the server takes; RSS counts a shared page in every process) and each worker's
        private memory (what one more worker would add)."""
        workers = self.workers()
        return {
            "pss_master": smaps_mb(self.process.pid, ("Pss",)),
            "pss_workers": [smaps_mb(pid, ("Pss",)) for pid in workers],
            "private_workers": [smaps_mb(pid, ("Private_Clean", "Private_Dirty")) for pid in workers],
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(
    app: str, env: dict[str, str], log: Path, config: Path | None = None, workers: int = 2
) -> Gunicorn:
    port = free_port()
    command = [
        str(GUNICORN),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
    ]
    if config is not None:
        command[1:1] = ["-c", str(config)]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    handle = log.open("w")
    process = subprocess.Popen(
        [*command, app], cwd=ROOT, env=full_env, stdout=handle, stderr=subprocess.STDOUT
    )
    return Gunicorn(process, port, log)


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak (VmHWM), from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise BenchError(f"no {field} for process {pid}")


def smaps_mb(pid: int, fields: tuple[str, ...]) -> float:
    """The sum of some of /proc/<pid>/smaps_rollup's fields (Pss, Private_Dirty, ...), in MB."""
    kb = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in fields:
            kb += int(value.split()[0])
    return round(kb / 1024, 1)


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU time of each live process, from /proc/<pid>/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


class CpuMeter:
    """CPU a changing set of processes spent between `start` and `stop` (newcomers count whole)."""

    def __init__(self, pids) -> None:
        self._pids = pids
        self._before: dict[int, float] = {}

    def start(self) -> None:
        self._before = cpu_seconds(self._pids())

    def stop(self) -> float:
        after = cpu_seconds(self._pids())
        return sum(used - self._before.get(pid, 0.0) for pid, used in after.items())


def wait_until(ready, server: Gunicorn, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn exited while waiting for {what}; see {server.log}")
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}; see {server.log}")
        time.sleep(0.2)


def wait_for_markers(server: Gunicorn, marker_dir: Path, count: int, timeout: float) -> None:
    """Until `count` live workers have each left a marker (bench/gunicorn_warm.py) after their warm-up."""

    def warm() -> bool:
        live = set(server.workers())
        return len({int(p.name) for p in marker_dir.iterdir()} & live) >= count

    wait_until(warm, server, timeout, f"{count} warm workers")


def wait_for_http(server: Gunicorn, path: str, timeout: float) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(server.url + path, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    wait_until(answers, server, timeout, f"{server.url}{path}")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise BenchError(INSTALL_WRK)


def run_wrk(url: str, script: str, args: list[str], threads: int, connections: int, duration: float) -> dict:
    """Run wrk with one of bench/wrk/*.lua and return the JSON its done() hook prints."""
    require_wrk()
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "10s"]
    command += ["-s", str(WRK_DIR / script), url, "--", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if line.startswith(WRK_MARKER):
            return json.loads(line[len(WRK_MARKER) :])
    raise BenchError(
        f"wrk printed no summary (exit {result.returncode}): {result.stdout[-800:]}{result.stderr[-800:]}"
    )
