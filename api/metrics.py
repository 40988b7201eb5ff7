"""Prometheus metrics at `/metrics` (prometheus-client), for whoever runs the service.

Counted by the processes: request latency by route (the URL rule, never the path) and method, requests by
route and status, and referrals logged by the tier triage gave them and their channel (counted when their
transaction commits, whichever door logged them). Read from the database at scrape time with indexed
queries (`DatabaseCollector`): the SMS outbox's depth and its oldest unsent text, the oldest unanswered
offer, open escalations and escalations ever made, and the audit chain's length. No metric has a label
that could name a person.

`/metrics` answers only a bearer token equal to `METRICS_TOKEN`; with none set it is off (404). Under
gunicorn with several workers set `PROMETHEUS_MULTIPROC_DIR` to an empty directory, so the counts of every
worker are added up whichever worker the scrape reaches (`config/gunicorn.py` tidies up after a worker).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.errors import problem
from db import utcnow
from notify.models import OutboxMessage
from referrals.models import AuditEvent, AuditHead, Offer, Referral

log = logging.getLogger(__name__)
blp = Blueprint("metrics", __name__)
UNSENT = ("queued", "sending")

REQUEST_SECONDS = Histogram(
    "oneroute_http_request_duration_seconds",
    "Time to answer a request, by route (the URL rule) and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "oneroute_http_requests", "Requests answered, by route, method and status.", ["route", "method", "status"]
)
REFERRALS = Counter(
    "oneroute_referrals_logged",
    "Referrals logged, by the tier triage gave them and the channel the call came by.",
    ["tier", "channel"],
)


def init_metrics(app: Flask, readonly_sessions: sessionmaker[Session]) -> None:
    """`/metrics` reading the database through read-only sessions (never SQLite's write lock); referrals
    counted on every session of the app's engine."""
    app.extensions["oneroute_metrics_sessions"] = readonly_sessions
    app.register_blueprint(blp)
    count_referrals_on_commit()

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.get("metrics_started")
        if started is not None and request.endpoint != "metrics.metrics":
            route = request.url_rule.rule if request.url_rule else "unmatched"
            REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
            REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response


@blp.get("/metrics")
def metrics():
    expected = str(current_app.config.get("METRICS_TOKEN") or "")
    if not expected:
        return problem(404, "Not Found", "Metrics are off: set METRICS_TOKEN to turn them on.")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        answer = problem(401, "Unauthorized", "Metrics need the bearer token METRICS_TOKEN.")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(DatabaseCollector(current_app.extensions["oneroute_metrics_sessions"]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _ProcessMetrics:
    """This process's own counters (one process: no multiprocess directory to add them up from)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class DatabaseCollector:
    """What the database says at scrape time; each query reads an index (status, kind or the one head row)."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("oneroute_metrics_database_up", "1 when the database answered this scrape.")
        try:
            found = list(self._read())
        except Exception:  # a scrape must answer even when the database does not
            log.exception("metrics: the database did not answer")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from found

    def _read(self) -> Iterator[Metric]:
        from referrals.oversight import ESCALATED  # the oversight rules: loaded by a scrape, not by `flask`

        now = utcnow()
        with self.session_factory() as session:
            unsent = OutboxMessage.status.in_(UNSENT)
            depth, oldest_unsent = session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(unsent)
            ).one()
            pending, oldest_offer = session.execute(
                select(func.count(), func.min(Offer.created_at)).where(Offer.status == "pending")
            ).one()
            escalated = session.scalar(select(func.count()).where(Referral.status == "escalated"))
            escalations = session.scalar(select(func.count()).where(AuditEvent.kind == ESCALATED))
            chain = session.scalar(select(AuditHead.seq)) or 0
            session.rollback()
        yield _gauge("oneroute_sms_outbox_depth", "Texts waiting to be sent (queued or being sent).", depth)
        yield _gauge(
            "oneroute_sms_outbox_oldest_unsent_seconds",
            "Age of the oldest text not yet sent; 0 when none waits.",
            _age(now, oldest_unsent),
        )
        yield _gauge("oneroute_offers_pending", "Offers waiting for an answer.", pending)
        yield _gauge(
            "oneroute_oldest_unanswered_offer_seconds",
            "Age of the oldest offer still waiting for an answer; 0 when none waits.",
            _age(now, oldest_offer),
        )
        yield _gauge("oneroute_referrals_escalated", "Referrals escalated and not yet taken on.", escalated)
        total = CounterMetricFamily("oneroute_escalations", "Escalations ever made (audit events).")
        total.add_metric([], escalations)
        yield total
        yield _gauge("oneroute_audit_chain_length", "Events in the hash-chained audit trail.", chain)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now, since) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def count_referrals_on_commit() -> None:
    """Count each new referral once its transaction commits, with the tier and channel it was saved with, so
    every door that logs a call (API, pages, imports) is counted in one place and a rolled-back one is not.
    Listens on every Session of this process (once, however many apps are built)."""
    if event.contains(Session, "after_flush", _remember_new_referrals):
        return
    event.listen(Session, "after_flush", _remember_new_referrals)
    event.listen(Session, "after_commit", _count_committed_referrals)
    event.listen(Session, "after_rollback", _forget_referrals)


def _remember_new_referrals(session: Session, _context) -> None:
    """After each flush, the tier and channel of every referral this transaction created, as they stand
    (triage sets the tier after the first flush has given the referral its id)."""
    created = session.info.setdefault("metrics_new_referrals", {})
    for instance in session.new:
        if isinstance(instance, Referral):
            created[id(instance)] = instance
    session.info["metrics_referral_labels"] = {
        key: (instance.tier or "none", instance.channel) for key, instance in created.items()
    }


def _count_committed_referrals(session: Session) -> None:
    labels = session.info.pop("metrics_referral_labels", {})
    session.info.pop("metrics_new_referrals", None)
    for tier, channel in labels.values():
        REFERRALS.labels(tier, channel).inc()


def _forget_referrals(session: Session) -> None:
    session.info.pop("metrics_referral_labels", None)
    session.info.pop("metrics_new_referrals", None)
