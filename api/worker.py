"""The worker's loop (`flask --app wsgi worker`): timers, pruning, the SMS outbox, audit checkpoints.

It rides out a database restart or failover: a pass the database cuts short is abandoned (its transaction is
rolled back by the server; what was claimed is claimed again once its lease passes), the next pass tries
again, and the outage is logged once when it starts and once when it ends, not a traceback per pass. A text
Twilio accepted whose SID could not be stored is stored first when the database is back (`notify.outbox`), so
it is not sent twice. Any other error still stops the worker, as a bug should.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

import click

from db.faults import first_line, is_unavailable

log = logging.getLogger(__name__)


@dataclass
class OutageWatch:
    """Whether the database is out, for one line when an outage starts and one when it ends."""

    clock: Callable[[], float] = time.monotonic
    since: float | None = None
    failed_passes: int = 0

    def failed(self, error: BaseException) -> None:
        self.failed_passes += 1
        if self.since is None:
            self.since = self.clock()
            log.error(
                "worker: the database is unavailable (%s); trying again every pass, nothing is lost",
                first_line(error),
            )

    def succeeded(self) -> None:
        if self.since is not None:
            lasted = self.clock() - self.since
            passes = self.failed_passes
            log.warning("worker: the database is back after %.1f s (%d pass(es) cut short)", lasted, passes)
        self.since, self.failed_passes = None, 0


def run_pass(do_pass: Callable[[], None], watch: OutageWatch) -> bool:
    """One pass of the worker; False if the database cut it short (logged by `watch`), True if it ran."""
    try:
        do_pass()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        watch.failed(exc)
        return False
    watch.succeeded()
    return True


def one_line_on_outage(command: Callable) -> Callable:
    """For the one-pass commands cron runs (`sweep`, `sms send-once`): a database outage ends the run with one
    line and exit status 1, not a traceback; what the pass had not committed is done by the next run."""

    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            raise click.ClickException(
                f"the database is unavailable ({first_line(exc)}); the next run carries on from here"
            ) from exc

    return run
