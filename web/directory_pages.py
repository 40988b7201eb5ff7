"""Admins keep the directory in the browser: add and edit organisations and volunteers, deactivate them (after
a page that says what happens to their open work) and reactivate them. Each change is one service call
(`web/directory_changes.py`): audited, and seen by matching on its next match."""

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from directory.csv_import import RowContext
from directory.hsds import known_need_codes
from directory.models import Organisation, Volunteer
from web import directory_changes as changes
from web.auth import current_principal, roles
from web.blueprint import blp, db, services
from web.directory_forms import (
    CHOICES,
    FormResult,
    organisation_values,
    read_organisation,
    read_volunteer,
    volunteer_values,
)
from web.lookups import area_names, need_labels

SAVED = {"added": "{name} has been added to the directory.", "changed": "Your changes to {name} are saved."}


def _context() -> RowContext:
    found = services()
    return RowContext(found.geocoder, known_need_codes(), found.areas)


def _get(model: type, entity_id: int):
    row = db().get(model, entity_id)
    if row is None:
        abort(404)
    return row


def _organisation_options() -> list[tuple[int, str]]:
    rows = db().execute(
        select(Organisation.id, Organisation.name, Organisation.active).order_by(Organisation.name)
    )
    return [(org_id, name if active else f"{name} (inactive)") for org_id, name, active in rows]


def _render_organisation_form(form: FormResult, org: Organisation | None, status: int = 200):
    return (
        render_template(
            "admin/organisation_form.html",
            org=org,
            values=form.values,
            errors=form.errors,
            areas=area_names(),
            needs=need_labels(),
            options=CHOICES,
        ),
        status,
    )


def _render_volunteer_form(form: FormResult, volunteer: Volunteer | None, status: int = 200):
    return (
        render_template(
            "admin/volunteer_form.html",
            volunteer=volunteer,
            values=form.values,
            errors=form.errors,
            organisations=_organisation_options(),
            needs=need_labels(),
            options=CHOICES,
        ),
        status,
    )


@blp.route("/admin/organisations/new", methods=["GET", "POST"])
@roles("admin")
def new_organisation():
    if request.method == "GET":
        return _render_organisation_form(FormResult(organisation_values(None)), None)
    form = read_organisation(request.form, _context())
    if form.errors:
        return _render_organisation_form(form, None, 422)
    org = changes.add_organisation(db(), current_principal(), form.fields)
    flash(SAVED["added"].format(name=org.name), "success")
    return redirect(url_for("web.organisation", org_id=org.id))


@blp.route("/admin/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@roles("admin")
def edit_organisation(org_id: int):
    org = _get(Organisation, org_id)
    if request.method == "GET":
        return _render_organisation_form(FormResult(organisation_values(org)), org)
    form = read_organisation(request.form, _context())
    if form.errors:
        return _render_organisation_form(form, org, 422)
    changed = changes.change(db(), current_principal(), org, form.fields)
    flash(SAVED["changed"].format(name=org.name) if changed else "Nothing was changed.", "success")
    return redirect(url_for("web.organisation", org_id=org.id))


@blp.route("/admin/volunteers/new", methods=["GET", "POST"])
@roles("admin")
def new_volunteer():
    if request.method == "GET":
        values = volunteer_values(None)
        values["org_id"] = request.args.get("org", "")
        return _render_volunteer_form(FormResult(values), None)
    form = read_volunteer(request.form, _context(), _organisation_ids())
    if form.errors:
        return _render_volunteer_form(form, None, 422)
    volunteer = changes.add_volunteer(db(), current_principal(), form.fields)
    flash(SAVED["added"].format(name=volunteer.name), "success")
    return redirect(url_for("web.volunteer", volunteer_id=volunteer.id))


@blp.route("/admin/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
@roles("admin")
def edit_volunteer(volunteer_id: int):
    volunteer = _get(Volunteer, volunteer_id)
    if request.method == "GET":
        return _render_volunteer_form(FormResult(volunteer_values(volunteer)), volunteer)
    form = read_volunteer(request.form, _context(), _organisation_ids())
    if form.errors:
        return _render_volunteer_form(form, volunteer, 422)
    changed = changes.change(db(), current_principal(), volunteer, form.fields)
    flash(SAVED["changed"].format(name=volunteer.name) if changed else "Nothing was changed.", "success")
    return redirect(url_for("web.volunteer", volunteer_id=volunteer.id))


def _organisation_ids() -> set[int]:
    return set(db().scalars(select(Organisation.id)))


@blp.route("/admin/organisations/<int:org_id>/deactivate", methods=["GET", "POST"])
@roles("admin")
def deactivate_organisation(org_id: int):
    return _deactivate(_get(Organisation, org_id), url_for("web.organisation", org_id=org_id))


@blp.route("/admin/volunteers/<int:volunteer_id>/deactivate", methods=["GET", "POST"])
@roles("admin")
def deactivate_volunteer(volunteer_id: int):
    return _deactivate(_get(Volunteer, volunteer_id), url_for("web.volunteer", volunteer_id=volunteer_id))


@blp.post("/admin/organisations/<int:org_id>/reactivate")
@roles("admin")
def reactivate_organisation(org_id: int):
    return _reactivate(_get(Organisation, org_id), url_for("web.organisation", org_id=org_id))


@blp.post("/admin/volunteers/<int:volunteer_id>/reactivate")
@roles("admin")
def reactivate_volunteer(volunteer_id: int):
    return _reactivate(_get(Volunteer, volunteer_id), url_for("web.volunteer", volunteer_id=volunteer_id))


def _deactivate(row: Organisation | Volunteer, back: str):
    """GET, or a POST without the confirmation: the page saying what deactivating does. Confirmed: do it."""
    if request.method == "POST" and request.form.get("confirm") == "yes" and row.active:
        changes.set_active(db(), current_principal(), row, False)
        flash(f"{row.name} is deactivated: matching offers them no new work.", "success")
        return redirect(back)
    if not row.active:
        return redirect(back)
    held, doing, pending = changes.open_work_of(db(), row)
    kind = "volunteer" if isinstance(row, Volunteer) else "organisation"
    return render_template(
        "admin/deactivate.html", row=row, kind=kind, held=held, doing=doing, pending=pending, back=back
    )


def _reactivate(row: Organisation | Volunteer, back: str):
    if changes.set_active(db(), current_principal(), row, True):
        flash(f"{row.name} is active again: matching can offer them work.", "success")
    return redirect(back)
