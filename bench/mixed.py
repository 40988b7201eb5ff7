"""Preparing the mixed scenario: referrals genuinely offered to organisations (logged through the running app
in hub-network areas, so the offers go to community hubs), a coordinator token per organisation, and the
accepts split between wrk threads so that no accept can meet an offer another thread already took (no
legitimate 409).
"""

import argparse
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select

from accounts.tokens import create_token
from bench.bench_db import BenchDatabase
from bench.call_bodies import make_bodies, write_bodies
from bench.servers import BenchError, Gunicorn
from referrals.models import Offer

ACCEPTS_PER_SECOND = 15
HEADERS = {"Content-Type": "application/json"}


def _post(url: str, token: str, body: str) -> int:
    request = urllib.request.Request(
        url, data=body.encode(), headers={**HEADERS, "Authorization": f"Bearer {token}"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def log_offered_calls(
    server: Gunicorn, database: BenchDatabase, count: int, workdir: Path, seed: int
) -> None:
    hub_outcodes = {o.code for d in database.districts if d.model == "hub_network" for o in d.outcodes}
    bodies = make_bodies(count, database.units, seed + 1, only_outcodes=hub_outcodes)
    for body in bodies:
        body["consent_to_share"] = True
    path = write_bodies(bodies, workdir / "offered.jsonl")
    url = f"{server.url}/api/v1/referrals"
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(lambda line: _post(url, database.helpline_token, line), path.read_text().splitlines())
        )
    if any(status != 201 for status in statuses):
        raise BenchError(f"pre-creating offered referrals: statuses {sorted(set(statuses))}")


def prepare(
    server: Gunicorn, database: BenchDatabase, bodies: Path, workdir: Path, options: argparse.Namespace
) -> list[str]:
    """The mixed.lua arguments: intake bodies, helpline token, threads, queue tokens, accepts file prefix."""
    wanted = options.accepts or int(ACCEPTS_PER_SECOND * options.duration)
    log_offered_calls(server, database, wanted, workdir, options.seed)
    sessions = database.session_factory()
    with sessions() as session:
        offers = session.execute(
            select(Offer.referral_id, Offer.org_id).where(Offer.status == "pending").order_by(Offer.id)
        ).all()
        tokens = {}
        for org_id in sorted({org_id for _, org_id in offers}):
            _row, tokens[org_id] = create_token(
                session, role="hub_coordinator", org_id=org_id, name=f"bench coordinator {org_id}"
            )
    if len(offers) < wanted // 2:
        raise BenchError(f"only {len(offers)} pending offers after logging {wanted} calls")
    queue_file = workdir / "queue_tokens.txt"
    queue_file.write_text("".join(f"{token}\n" for token in tokens.values()))
    prefix = workdir / "accepts"
    for thread in range(options.threads):
        mine = offers[thread :: options.threads]
        Path(f"{prefix}.{thread}").write_text("".join(f"{rid}\t{tokens[org]}\n" for rid, org in mine))
    (workdir / "mixed.json").write_text(json.dumps({"offers": len(offers), "organisations": len(tokens)}))
    return [str(bodies), database.helpline_token, str(options.threads), str(queue_file), str(prefix)]
