"""An import when the server's disk is full or the database goes away: a clear message, no file left behind,
nothing half-imported (each batch is one transaction, written whole or not at all)."""

import errno
import os
import tempfile

import psycopg
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import FileStorage

import directory.csv_import
from directory.models import Organisation
from tests.web.test_admin import csv_bytes, finished_job, org_row, upload
from web.imports import DATABASE_LOST


def organisations(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Organisation))


def test_an_upload_the_disk_cannot_hold_is_refused_plainly_and_leaves_no_file(
    signed_in, session, monkeypatch
):
    admin = signed_in("admin")
    before = organisations(session)
    made = []
    real_mkstemp = tempfile.mkstemp

    def recording_mkstemp(*args, **kwargs):
        made.append(real_mkstemp(*args, **kwargs)[1])
        return os.open(made[-1], os.O_WRONLY), made[-1]

    def half_then_full(self, destination, buffer_size=16384):
        destination.write(self.stream.read(10))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkstemp", recording_mkstemp)
    monkeypatch.setattr(FileStorage, "save", half_then_full)
    response = upload(admin, csv_bytes([org_row(1), org_row(2)]))
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "The server could not keep the file to import it" in page
    assert "Nothing was imported" in page
    assert made
    assert not os.path.exists(made[0]), "the partial upload was removed"
    assert organisations(session) == before


def test_the_database_lost_during_an_import_keeps_whole_batches_only(signed_in, session, monkeypatch):
    admin = signed_in("admin")
    before = organisations(session)
    real, batches = directory.csv_import.upsert_by_external_id, []

    def second_batch_cut(session, model, entries, counts):
        batches.append(entries)
        real(session, model, entries, counts)
        if len(batches) == 2:  # the batch is flushed, then the connection goes before its commit
            raise OperationalError("COMMIT", {}, psycopg.OperationalError("server closed the connection"))

    monkeypatch.setattr(directory.csv_import, "upsert_by_external_id", second_batch_cut)
    job_id, status = finished_job(admin, upload(admin, csv_bytes([org_row(n) for n in range(1, 6)])))
    assert status["state"] == "failed"
    assert organisations(session) == before + 2, "the first batch (2 rows) whole, nothing of the second"
    page = admin.get(f"/admin/imports/{job_id}").get_data(as_text=True)
    assert DATABASE_LOST.split(".")[0] in page
