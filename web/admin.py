"""Admins: the directory (organisations and volunteers, listed and viewed) and CSV imports with progress."""

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from directory.csv_import import ORGANISATION_COLUMNS, VOLUNTEER_COLUMNS, template_rows
from directory.csv_status import STATUS_COLUMNS
from directory.models import ORG_KINDS, Organisation, Volunteer
from matching.types import DBS_LEVEL_WORDS
from safe_text import cells
from web.auth import current_principal, current_user, json_view, max_upload, roles
from web.blueprint import blp, db, services
from web.imports import ImportTools, job_status, start_import
from web.lookups import area_names, need_labels, organisation_names
from web.models import IMPORT_KINDS, ImportJob

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_BATCH_SIZE = 100
# The column guides the import page shows and the templates it offers: the importer's own definitions.
COLUMN_GUIDES = {
    "organisations": ("Organisations", ORGANISATION_COLUMNS),
    "volunteers": ("Volunteers", VOLUNTEER_COLUMNS),
    "status": ("Deactivating or reactivating", STATUS_COLUMNS),
}


def _page() -> int:
    text = request.args.get("page", "1")
    return max(int(text), 1) if text.isdigit() else 1


def _list_page(
    template: str,
    model: type,
    conditions: list,
    order_by: tuple,
    filters: dict,
    for_rows: Callable[[list], dict] | None = None,
    **extra,
):
    """One page of a filtered directory list; `for_rows` adds what depends on the rows shown (lookups)."""
    page = _page()
    total = db().scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    query = select(model).where(*conditions).order_by(*order_by)
    rows = list(db().scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return render_template(
        template,
        rows=rows,
        total=total,
        page=page,
        page_size=PAGE_SIZE,
        filters=filters,
        needs=need_labels(),
        **extra,
        **(for_rows(rows) if for_rows else {}),
    )


@blp.get("/admin")
@roles("admin")
def admin_home():
    return redirect(url_for("web.organisations"))


@blp.get("/admin/organisations")
@roles("admin")
def organisations():
    filters = {key: request.args.get(key, "").strip()[:100] for key in ("q", "area", "kind")}
    conditions = []
    if filters["q"]:
        conditions.append(Organisation.name.ilike(f"%{filters['q']}%"))
    if filters["area"]:
        conditions.append(Organisation.area == filters["area"])
    if filters["kind"]:
        conditions.append(Organisation.kind == filters["kind"])
    return _list_page(
        "admin/organisations.html",
        Organisation,
        conditions,
        (Organisation.area, Organisation.name),
        filters,
        areas=area_names(),
        kinds=ORG_KINDS,
    )


@blp.get("/admin/organisations/<int:org_id>")
@roles("admin")
def organisation(org_id: int):
    row = db().get(Organisation, org_id)
    if row is None:
        abort(404)
    volunteers = db().scalar(select(func.count()).select_from(Volunteer).where(Volunteer.org_id == org_id))
    return render_template(
        "admin/organisation.html", org=row, volunteers=volunteers, areas=area_names(), needs=need_labels()
    )


@blp.get("/admin/volunteers")
@roles("admin")
def volunteers():
    filters = {key: request.args.get(key, "").strip()[:100] for key in ("q", "org", "dbs")}
    org_id = int(filters["org"]) if filters["org"].isdigit() else None
    conditions = []
    if filters["q"]:
        conditions.append(Volunteer.name.ilike(f"%{filters['q']}%"))
    if org_id is not None:
        conditions.append(Volunteer.org_id == org_id)
    if filters["dbs"] in DBS_FILTERS:
        conditions.append(DBS_FILTERS[filters["dbs"]][1]())
    level_missing = db().scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.active, DBS_FILTERS["no_level"][1]())
    )
    return _list_page(
        "admin/volunteers.html",
        Volunteer,
        conditions,
        (Volunteer.name, Volunteer.id),
        filters,
        org_id=org_id,
        dbs_filters={key: words for key, (words, _) in DBS_FILTERS.items()},
        dbs_levels=DBS_LEVEL_WORDS,
        level_missing=level_missing,
        today=date.today(),
        for_rows=lambda rows: {"names": organisation_names([row.org_id for row in rows] + [org_id])},
    )


# The volunteers page's DBS filter: what each shows, and its condition. A check with no level recorded (as
# every check made before levels were recorded) does not meet a need that names a level: befriending, mental
# health and personal care are not offered to them until an admin records it.
DBS_FILTERS = {
    "no_level": (
        "Checked, level not recorded",
        lambda: Volunteer.dbs_checked_on.is_not(None) & Volunteer.dbs_level.is_(None),
    ),
    "expired": ("Check expired", lambda: Volunteer.dbs_expires_on < date.today()),
    "none": ("No check recorded", lambda: Volunteer.dbs_checked_on.is_(None)),
}


@blp.get("/admin/volunteers/<int:volunteer_id>")
@roles("admin")
def volunteer(volunteer_id: int):
    row = db().get(Volunteer, volunteer_id)
    if row is None:
        abort(404)
    return render_template(
        "admin/volunteer.html",
        volunteer=row,
        names=organisation_names([row.org_id]),
        needs=need_labels(),
        dbs_levels=DBS_LEVEL_WORDS,
    )


def _render_import_form(values: dict, errors: dict, status: int = 200):
    recent = db().scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(10)).all()
    return (
        render_template(
            "admin/import_new.html",
            values=values,
            errors=errors,
            kinds=IMPORT_KINDS,
            recent=[job_status(job) for job in recent],
            max_megabytes=MAX_UPLOAD_BYTES // (1024 * 1024),
            guides=COLUMN_GUIDES,
            needs=need_labels(),
            areas=area_names(),
        ),
        status,
    )


@blp.get("/admin/imports/new")
@roles("admin")
def new_import():
    return _render_import_form({"kind": "", "batch_size": str(DEFAULT_BATCH_SIZE)}, {})


UPLOAD_NOT_KEPT = (
    "The server could not keep the file to import it (its disk is full or its temporary folder cannot be "
    "written). Nothing was imported. Ask whoever runs the server to free some space, then upload it again"
)


def _keep_upload(upload) -> str | None:
    """The upload in a temporary file for the import job; None (and no file left) if it cannot be written."""
    handle, path = None, None
    try:
        handle, path = tempfile.mkstemp(prefix="oneroute-import-", suffix=".csv")
        with os.fdopen(handle, "wb") as out:
            upload.save(out)
        return path
    except OSError as exc:
        log.error("an import upload could not be kept: %s", exc.strerror or exc)
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return None


@blp.post("/admin/imports")
@roles("admin")
@max_upload(MAX_UPLOAD_BYTES)
def create_import():
    values = {
        "kind": request.form.get("kind", ""),
        "batch_size": request.form.get("batch_size", "").strip() or str(DEFAULT_BATCH_SIZE),
    }
    upload = request.files.get("file")
    errors = {}
    if values["kind"] not in IMPORT_KINDS:
        errors["kind"] = "Choose what the file holds: organisations or volunteers"
    if upload is None or not upload.filename:
        errors["file"] = "Choose a CSV file to upload"
    elif not upload.filename.casefold().endswith(".csv"):
        errors["file"] = "The file must be a CSV file (ending .csv)"
    if not values["batch_size"].isdigit() or not 1 <= int(values["batch_size"]) <= 10_000:
        errors["batch_size"] = "Batch size must be a whole number from 1 to 10000"
    if errors:
        return _render_import_form(values, errors, 422)
    path = _keep_upload(upload)
    if path is None:
        return _render_import_form(values, {"file": UPLOAD_NOT_KEPT}, 503)
    found = services()
    job_id = start_import(
        db(),
        ImportTools(found.session_factory, found.geocoder, found.areas),
        principal=current_principal(),
        user_id=current_user().id,
        kind=values["kind"],
        filename=os.path.basename(upload.filename),
        path=path,
        batch_size=int(values["batch_size"]),
    )
    return redirect(url_for("web.import_job", job_id=job_id))


@blp.get("/admin/imports/template/<kind>.csv")
@roles("admin")
def import_template(kind: str):
    """A CSV file with the header row and one example row, to fill in and upload."""
    if kind not in COLUMN_GUIDES:
        abort(404)
    out = io.StringIO()
    cells.writer(out).writerows(template_rows(COLUMN_GUIDES[kind][1]))
    headers = {"Content-Disposition": f'attachment; filename="{kind}-template.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _job(job_id: int) -> ImportJob:
    job = db().get(ImportJob, job_id)
    if job is None:
        abort(404)
    return job


@blp.get("/admin/imports/<int:job_id>")
@roles("admin")
def import_job(job_id: int):
    job = _job(job_id)
    return render_template("admin/import_job.html", job=job_status(job), errors=job.errors)


@blp.get("/admin/imports/<int:job_id>/status")
@roles("admin")
@json_view
def import_status(job_id: int):
    return job_status(_job(job_id))
