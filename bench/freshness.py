"""What one directory change costs a worker: add a volunteer the way the directory services do (an ORM commit
moves `directory_state.version` and logs the change), then time the next intake on each worker, which patches
its index from the change log first."""

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench.bench_db import BenchDatabase
from bench.servers import Gunicorn
from directory.models import Volunteer

TIMEOUT_S = 1800


def _timed_post(url: str, token: str, body: str) -> float:
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        response.read()
    return time.perf_counter() - started


def time_change_pickup(server: Gunicorn, database: BenchDatabase, bodies: list[str]) -> list[float]:
    """Seconds each of two simultaneous intakes took after the change (one per sync worker)."""
    group = next(
        org for org in database.organisations[database.districts[0].area] if org["kind"] == "mutual_aid"
    )
    with database.session_factory()() as session:
        session.add(
            Volunteer(
                org_id=group["id"],
                name="Bench Newcomer",
                phone="+447700900999",
                postcode="",
                lat=group["base_lat"],
                lon=group["base_lon"],
                skills=["shopping", "prescriptions"],
                availability={"mon": ["morning"], "sat": ["afternoon"]},
            )
        )
        session.commit()
    url = f"{server.url}/api/v1/referrals"
    with ThreadPoolExecutor(2) as pool:
        took = pool.map(lambda body: _timed_post(url, database.helpline_token, body), bodies[:2])
        return sorted(round(seconds, 2) for seconds in took)
