"""Directory CSV imports run in the background so the page can show progress.

A job has two phases. Checking validates every row (`validate_*_rows`), counting rows as it goes so the
progress page can show how far it is. Importing then runs the same import the CLI runs (`import_*_csv` with a
batch size): good batches are written, each in its own transaction, and a batch with any bad row writes none
of its rows. The job row in the database is what the progress page polls, so any app worker can answer.
"""

import contextlib
import csv
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accounts.tokens import Principal
from db.base import utcnow
from db.faults import first_line, is_unavailable
from directory.areas import Areas
from directory.csv_import import (
    RowContext,
    RowValidation,
    import_organisations_csv,
    import_volunteers_csv,
    validate_organisation_rows,
    validate_volunteer_rows,
)
from directory.csv_status import is_status_file, validate_status_rows
from directory.hsds import InterchangeReport, known_need_codes, read_csv
from directory.models import Organisation, Volunteer
from geo import Geocoder
from referrals.audit import record
from web.directory_changes import came_back
from web.models import ImportJob

log = logging.getLogger(__name__)
MAX_STORED_ERRORS = 500
STALE_AFTER = timedelta(minutes=30)
RUNNING: dict[int, threading.Thread] = {}
STOPPED = "The import stopped unexpectedly; it has been logged. Batches finished before that were written."
DATABASE_LOST = (
    "The import stopped: the database was briefly unavailable (a restart or a failover). Batches finished "
    "before that were written, the one in progress was not written at all. Import the same file again: "
    "rows already imported are found by their id and left unchanged."
)


@dataclass(frozen=True)
class ImportTools:
    session_factory: sessionmaker[Session]
    geocoder: Geocoder
    areas: Areas


def start_import(
    session: Session,
    tools: ImportTools,
    *,
    principal: Principal,
    user_id: int,
    kind: str,
    filename: str,
    path: str,
    batch_size: int,
) -> int:
    """Record the job (committing the caller's session, which on SQLite frees the write lock for the job's
    thread) and start checking and importing `path` in the background; the thread deletes the file."""
    job = ImportJob(kind=kind, filename=filename[:200], batch_size=batch_size, created_by_user_id=user_id)
    session.add(job)
    session.flush()
    record(session, "directory.import_started", principal, payload={"job_id": job.id, "kind": kind})
    session.commit()
    thread = threading.Thread(
        target=run_import, args=(tools, job.id, path, principal), name=f"import-{job.id}", daemon=True
    )
    RUNNING[job.id] = thread
    thread.start()
    return job.id


def wait_for(job_id: int, timeout: float) -> None:
    thread = RUNNING.get(job_id)
    if thread is not None:
        thread.join(timeout)


def run_import(tools: ImportTools, job_id: int, path: str, principal: Principal) -> None:
    """Check, then import. The end is audited (`directory.import_finished`, with the counts), and so is each
    record a status file deactivates or reactivates, as the directory pages audit it."""
    try:
        with tools.session_factory() as session:
            job = session.get(ImportJob, job_id)
            kind, batch_size, source = job.kind, job.batch_size, job.filename
        header, rows = read_csv(path)
        _update(tools, job_id, state="checking", total_rows=len(rows))
        validation = _check(tools, kind, header, rows, source, job_id)
        invalid = len({error.row for error in validation.errors})
        status = is_status_file(header)
        if validation.file_rejected or not validation.valid:
            report = InterchangeReport(errors=list(validation.errors), skipped=len(rows))
            changed: dict[int, bool] = {}
        else:
            _update(tools, job_id, state="importing", checked_rows=len(rows), invalid_rows=invalid)
            before = _active(tools, kind, validation) if status else {}
            report = _import(tools, kind, path, batch_size)
            changed = _changed(tools, kind, before) if status else {}
        # Audited before the job says it finished: a failure to audit shows as a stopped import.
        _audit(tools, principal, job_id, kind, report, changed)
        _finish(tools, job_id, report, len(rows), invalid, source)
    except (UnicodeDecodeError, csv.Error) as exc:
        _update(tools, job_id, state="failed", message=f"The file is not a UTF-8 CSV file: {exc}"[:500])
    except Exception as exc:
        if is_unavailable(exc):  # each batch is one transaction: the one cut short was rolled back whole
            log.error("import job %s stopped: the database is unavailable (%s)", job_id, first_line(exc))
            message = DATABASE_LOST
        else:
            log.exception("import job %s failed", job_id)
            message = STOPPED
        with contextlib.suppress(Exception):  # if the database is still away the job shows as interrupted
            _update(tools, job_id, state="failed", message=message)
    finally:
        RUNNING.pop(job_id, None)
        if os.path.exists(path):
            os.unlink(path)


def _check(tools: ImportTools, kind: str, header, rows, source: str, job_id: int) -> RowValidation:
    counted = _counting(tools, job_id, rows)
    if is_status_file(header):
        model = Organisation if kind == "organisations" else Volunteer
        with tools.session_factory() as session:
            return validate_status_rows(session, model, header, counted, source=source)
    if kind == "organisations":
        context = RowContext(tools.geocoder, known_need_codes(), tools.areas)
        return validate_organisation_rows(header, counted, context, source=source)
    with tools.session_factory() as session:
        known = session.execute(select(Organisation.external_id, Organisation.id)).all()
    context = RowContext(
        tools.geocoder,
        known_need_codes(),
        None,
        {external_id: org_id for external_id, org_id in known if external_id},
        {org_id for _, org_id in known},
    )
    return validate_volunteer_rows(header, counted, context, source=source)


def _counting(tools: ImportTools, job_id: int, rows: list) -> Iterator:
    step = max(20, len(rows) // 200)
    for number, row in enumerate(rows, start=1):
        yield row
        if number % step == 0:
            _update(tools, job_id, checked_rows=number)


def _import(tools: ImportTools, kind: str, path: str, batch_size: int) -> InterchangeReport:
    with tools.session_factory() as session:
        if kind == "organisations":
            return import_organisations_csv(
                session, path, geocoder=tools.geocoder, areas=tools.areas, batch_size=batch_size
            )
        return import_volunteers_csv(session, path, geocoder=tools.geocoder, batch_size=batch_size)


def _finish(
    tools: ImportTools, job_id: int, report: InterchangeReport, total: int, invalid: int, source: str
) -> None:
    errors = [
        {"row": error.row, "field": error.field, "message": error.message}
        for error in report.errors[:MAX_STORED_ERRORS]
    ]
    _update(
        tools,
        job_id,
        state="finished",
        checked_rows=total,
        invalid_rows=invalid,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
        errors=errors,
        error_count=len(report.errors),
        finished_at=utcnow(),
    )
    log.info("import job %s (%s) finished: %s", job_id, source, report.summary().splitlines()[0])


def _model(kind: str) -> type:
    return Organisation if kind == "organisations" else Volunteer


def _active(tools: ImportTools, kind: str, validation: RowValidation) -> dict[int, bool]:
    """Whether each record a status file names is active before it is imported."""
    ids = [int(row.external_id) for row in validation.valid]
    model = _model(kind)
    with tools.session_factory() as session:
        return dict(session.execute(select(model.id, model.active).where(model.id.in_(ids))).all())


def _changed(tools: ImportTools, kind: str, before: dict[int, bool]) -> dict[int, bool]:
    """The records the import deactivated or reactivated: id → active now."""
    model = _model(kind)
    with tools.session_factory() as session:
        now = dict(session.execute(select(model.id, model.active).where(model.id.in_(list(before)))).all())
    return {entity_id: active for entity_id, active in now.items() if before.get(entity_id) != active}


def _audit(
    tools: ImportTools,
    principal: Principal,
    job_id: int,
    kind: str,
    report: InterchangeReport,
    changed: dict[int, bool],
) -> None:
    """One transaction: the import's end with its counts, each record a status file (de)activated, and the
    work a deactivated volunteer or group was doing for a holder sent back to it."""
    entity = "organisation" if kind == "organisations" else "volunteer"
    with tools.session_factory() as session:
        came = 0
        for entity_id, active in sorted(changed.items()):
            extra = {}
            if not active:
                extra["work_came_back"] = came_back(session, principal, session.get(_model(kind), entity_id))
                came += extra["work_came_back"]
            what = "reactivated" if active else "deactivated"
            payload = {f"{entity}_id": entity_id, "import_job_id": job_id, **extra}
            record(session, f"directory.{entity}_{what}", principal, payload=payload)
        counts = {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "skipped": report.skipped,
            "errors": len(report.errors),
        }
        payload = {"job_id": job_id, "kind": kind, **counts, "work_came_back": came}
        record(session, "directory.import_finished", principal, payload=payload)
        session.commit()


def _update(tools: ImportTools, job_id: int, **values) -> None:
    with tools.session_factory() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(updated_at=utcnow(), **values))
        session.commit()


def job_status(job: ImportJob, now: datetime | None = None) -> dict:
    """What the progress page shows; a job that stopped reporting long ago is shown as interrupted."""
    now = now or utcnow()
    state = job.state
    running = state in ("queued", "checking", "importing")
    if running and now - job.updated_at > STALE_AFTER:
        state, running = "interrupted", False
    return {
        "id": job.id,
        "kind": job.kind,
        "filename": job.filename,
        "state": state,
        "running": running,
        "total_rows": job.total_rows,
        "checked_rows": job.checked_rows,
        "invalid_rows": job.invalid_rows,
        "batch_size": job.batch_size,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "skipped": job.skipped,
        "error_count": job.error_count,
        "message": job.message,
    }
