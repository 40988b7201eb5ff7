"""Admins: the directory lists and pages, and CSV imports that check every row, show progress and import the
good batches."""

import csv
import io
import re

import pytest
from sqlalchemy import select

from directory.models import Organisation, Volunteer
from tests.web.conftest import csrf_token
from web.imports import wait_for

IMPORT_FORM = "/admin/imports/new"


def csv_bytes(rows: list[dict]) -> bytes:
    header = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def org_row(number: int, **cells) -> dict:
    return {
        "external_id": f"web:org-{number}",
        "name": f"Web Organisation {number}",
        "kind": "vcs",
        "area": "sutton",
        "services": "food;advice",
        **cells,
    }


def upload(client, content: bytes, kind: str = "organisations", batch_size: str = "2", filename="orgs.csv"):
    data = {
        "csrf_token": csrf_token(client, IMPORT_FORM),
        "kind": kind,
        "batch_size": batch_size,
        "file": (io.BytesIO(content), filename),
    }
    return client.post("/admin/imports", data=data, content_type="multipart/form-data")


def finished_job(client, response) -> tuple[int, dict]:
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = int(re.fullmatch(r"/admin/imports/(\d+)", response.headers["Location"]).group(1))
    wait_for(job_id, timeout=60)
    status = client.get(f"/admin/imports/{job_id}/status").get_json()
    assert status["running"] is False, status
    return job_id, status


def test_the_directory_lists_and_pages(signed_in, directory):
    admin = signed_in("admin")
    listed = admin.get("/admin/organisations").get_data(as_text=True)
    assert "6 organisations" in listed
    assert f'href="/admin/organisations/{directory["hub"]}"' in listed
    only_hubs = admin.get("/admin/organisations?kind=hub").get_data(as_text=True)
    assert "1 organisation<" in only_hubs
    assert "Sutton Central Hub" in only_hubs
    by_name = admin.get("/admin/organisations?q=food").get_data(as_text=True)
    assert "Sutton Food Bank" in by_name
    assert "Sutton Central Hub" not in by_name
    page = admin.get(f"/admin/organisations/{directory['mutual_aid']}").get_data(as_text=True)
    assert "SM1 Mutual Aid" in page
    assert "Dog walking" in page
    assert "1 volunteer<" in page
    volunteers = admin.get(f"/admin/volunteers?org={directory['mutual_aid']}").get_data(as_text=True)
    assert "1 volunteer<" in volunteers
    assert "Test Volunteer" in volunteers
    person = admin.get(f"/admin/volunteers/{directory['volunteer']}").get_data(as_text=True)
    assert "07700 900501" in person, "phones in UK format"
    assert "SM1 Mutual Aid" in person
    assert admin.get("/admin/organisations/99999").status_code == 404


def test_a_long_list_is_paged(signed_in, session_factory):
    with session_factory() as session:
        session.add_all(Organisation(name=f"Extra {n:03d}", kind="vcs", area="sutton") for n in range(60))
        session.commit()
    admin = signed_in("admin")
    first = admin.get("/admin/organisations").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    second = admin.get("/admin/organisations?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert 'rel="prev"' in second


def test_an_import_writes_the_good_batches_and_reports_the_bad_rows(signed_in, session):
    admin = signed_in("admin")
    rows = [
        org_row(1),
        org_row(2),
        org_row(3, kind="castle"),
        org_row(4),
        org_row(5),
        org_row(6, area="atlantis"),
    ]
    job_id, status = finished_job(admin, upload(admin, csv_bytes(rows), batch_size="2"))
    assert status["state"] == "finished"
    assert (status["total_rows"], status["checked_rows"], status["invalid_rows"]) == (6, 6, 2)
    assert (status["created"], status["skipped"]) == (2, 4)
    imported = session.scalars(select(Organisation.external_id).where(Organisation.external_id.like("web:%")))
    assert sorted(imported) == ["web:org-1", "web:org-2"], "the batches holding rows 4 and 7 write nothing"
    page = admin.get(f"/admin/imports/{job_id}").get_data(as_text=True)
    assert "Finished." in page
    assert re.search(r"<td>4</td><td>kind</td><td>&#39;castle&#39; is not one of", page)
    assert re.search(r"<td>7</td><td>area</td>", page)
    assert "<progress" not in page


def test_volunteers_are_imported_against_known_organisations(signed_in, session):
    admin = signed_in("admin")
    organisations = csv_bytes([org_row(1)])
    finished_job(admin, upload(admin, organisations))
    volunteers = csv_bytes(
        [
            {"external_id": "web:vol-1", "name": "Vee One", "phone": "07700 900777", "postcode": "SM1 1EA",
             "skills": "shopping", "org_external_id": "web:org-1"},
            {"external_id": "web:vol-2", "name": "Vee Two", "phone": "07700 900778", "postcode": "SM1 1EA",
             "skills": "shopping", "org_external_id": "web:org-404"},
        ]
    )  # fmt: skip
    _, status = finished_job(admin, upload(admin, volunteers, kind="volunteers", batch_size="1"))
    assert (status["created"], status["invalid_rows"]) == (1, 1)
    volunteer = session.scalar(select(Volunteer).where(Volunteer.external_id == "web:vol-1"))
    organisation = session.scalar(select(Organisation).where(Organisation.external_id == "web:org-1"))
    assert volunteer.org_id == organisation.id


def test_a_file_with_a_bad_header_imports_nothing(signed_in, session):
    admin = signed_in("admin")
    _, status = finished_job(admin, upload(admin, b"external_id,name,colour\nx,y,blue\n"))
    assert status["created"] == 0
    assert status["skipped"] == 1
    assert status["error_count"] >= 2


def test_a_file_that_is_not_utf8_fails_with_a_reason(signed_in):
    admin = signed_in("admin")
    job_id, status = finished_job(admin, upload(admin, "external_id,name\nx,Caf\xe9\n".encode("latin-1")))
    assert status["state"] == "failed"
    assert "not a UTF-8 CSV file" in admin.get(f"/admin/imports/{job_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "anchor", "message"),
    [
        ({"kind": "", "batch_size": "10"}, "#kind-organisations", "Choose what the file holds"),
        ({"kind": "organisations", "batch_size": "0"}, "#batch_size", "Batch size must be a whole number"),
    ],
)
def test_the_upload_form_explains_its_errors(signed_in, form, anchor, message):
    admin = signed_in("admin")
    data = {"csrf_token": csrf_token(admin, IMPORT_FORM), **form, "file": (io.BytesIO(b"a,b\n"), "x.csv")}
    response = admin.post("/admin/imports", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<a href="{anchor}">{message}' in page


def test_a_missing_or_non_csv_file_is_explained(signed_in):
    admin = signed_in("admin")
    missing = admin.post(
        "/admin/imports", data={"csrf_token": csrf_token(admin, IMPORT_FORM), "kind": "organisations"}
    )
    assert '<a href="#file">Choose a CSV file to upload</a>' in missing.get_data(as_text=True)
    wrong = upload(admin, b"%PDF", filename="directory.pdf")
    assert '<a href="#file">The file must be a CSV file' in wrong.get_data(as_text=True)


def test_uploads_larger_than_the_api_limit_are_accepted(signed_in):
    admin = signed_in("admin")
    rows = [org_row(n, public_contact="Call in at the community centre, " * 5) for n in range(1, 600)]
    content = csv_bytes(rows)
    assert len(content) > 64 * 1024
    _, status = finished_job(admin, upload(admin, content, batch_size="200"))
    assert status["created"] == 599


def test_an_unfinished_job_shows_a_progress_bar(signed_in, session_factory, people):
    from accounts.models import User
    from web.models import ImportJob

    with session_factory() as session:
        user_id = session.scalar(select(User.id).where(User.username == "admin-user"))
        job = ImportJob(kind="organisations", filename="big.csv", batch_size=100, state="checking",
                        total_rows=1000, checked_rows=250, created_by_user_id=user_id)  # fmt: skip
        session.add(job)
        session.commit()
        job_id = job.id
    page = signed_in("admin").get(f"/admin/imports/{job_id}").get_data(as_text=True)
    assert '<progress id="import-bar" class="progress" max="1000" value="250">' in page
    assert "Checking rows: 250 of 1000." in page
    assert "import-progress.js" in page
