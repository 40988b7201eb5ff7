"""The reports page and its map: who may open them, the filters, errors on the page, and the same answers as
the API (`/api/v1/reports/needs`, `needs.png`, `/api/v1/organisations`) for every person, through one rule
(`reports.scope.report_for`)."""

import html
import io
import re
from datetime import date

import pytest
from PIL import Image

from accounts.passwords import create_user
from db.base import utcnow
from reports.needs import NeedsReport, NeedsRow
from reports.ward_map import WardDemand
from tests.builders import auth, call, token_for
from tests.integration.reports.history import (
    SHIPPED_POSTCODES,
    add_shipped_postcodes,
    build_known_history,
    remove_postcodes,
)
from tests.web.conftest import PASSWORD, Person, sign_in
from web.reports import findings, hours_words, map_description

SUTTON = "London Borough of Sutton"
ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
HEADER = re.compile(r'<th scope="(?:row|rowgroup)"[^>]*>(.*?)</th>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture
def history(session_factory, directory):
    return build_known_history(session_factory, directory, utcnow())


def text(fragment: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split()).replace(" :", ":")


def table(page: str, heading_id: str) -> dict[str, list[list[str]]]:
    """The rows of the table under a heading: the row header's text → its cells' texts (a place heads the
    rows of its needs)."""
    start = page.index(f'id="{heading_id}"')
    end = page.index("</table>", start)
    rows: dict[str, list[list[str]]] = {}
    header = ""
    for found in ROW.findall(page[start:end]):
        named = HEADER.search(found)
        if named is None and "<td" not in found:
            continue  # the column headings
        header = text(named.group(1)) if named else header
        rows.setdefault(header, []).append([text(cell) for cell in CELL.findall(found)])
    return rows


def get(client, path="/reports", expected=200, **query):
    response = client.get(path, query_string=query)
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    return response


@pytest.mark.parametrize(
    ("key", "status"), [("helpline", 403), ("hub", 403), ("officer", 200), ("admin", 200)]
)
def test_who_may_open_the_reports(signed_in, key, status):
    client = signed_in(key)
    for path in ("/reports", "/reports/needs.png"):
        response = client.get(path)
        assert response.status_code == status
        if status == 403:
            assert response.mimetype == "text/html"
            assert "You cannot use this page" in response.get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/reports?area=sutton")
    assert response.status_code == 302
    assert "/sign-in?next=" in response.headers["Location"]


def test_the_navigation_links_the_reports_for_officers_and_admins_only(signed_in):
    link = '<a href="/reports"'
    assert link in get(signed_in("admin"), "/admin/organisations").get_data(as_text=True)
    assert link in get(signed_in("officer"), "/safety-net").get_data(as_text=True)
    assert link not in get(signed_in("helpline"), "/calls/new").get_data(as_text=True)
    assert link not in get(signed_in("hub"), "/queue").get_data(as_text=True)


def test_the_needs_table_reads_gaps_and_duplication_in_words(
    app, client, signed_in, session_factory, history
):
    page = get(signed_in("admin"), since=history.since.isoformat()).get_data(as_text=True)
    admin = auth(token_for(session_factory, "admin"))
    body = client.get(f"/api/v1/reports/needs?since={history.since.isoformat()}", headers=admin).get_json()
    needs = {code: need.detector.label for code, need in app.extensions["oneroute"].rules.needs.items()}

    rows = table(page, "needs-table")
    council_rows = [row for row in body["rows"] if row["area_type"] == "council_area"]
    assert sum(len(found) for found in rows.values()) == len(council_rows)
    columns = (
        "people",
        "referrals",
        "accepted",
        "completed",
        "unmet",
        "late",
        "median_hours_to_accept",
        "capacity_offered",
    )
    for row in council_rows:
        [cells] = [found for found in rows[row["area_name"]] if found[0] == needs[row["need"]]]
        figures = ["—" if row[c] is None else f"{row[c]:g}" for c in columns]
        assert cells[1:9] == figures, row
        meaning = cells[9]
        assert ("Gap: " in meaning) == bool(row["unmet"] or row["late"] or row["providers"] == 0), row
        assert ("Duplicated: " in meaning) == row["duplicated"], row
        if row["unmet"]:
            assert f"Gap: {row['unmet']} {'person' if row['unmet'] == 1 else 'people'} whose need" in meaning
        if row["duplicated"]:
            assert (
                f"Duplicated: {row['providers']} providers of this need here, where "
                f"{row['providers_needed']} could take its demand"
            ) in meaning
    assert any(row["unmet"] for row in council_rows), "the history has a gap (Coventry has no providers)"
    assert any(row["duplicated"] for row in council_rows), "and duplicated provision (Sutton)"
    assert f"All served areas: referrals from {history.since.day} " in text(page)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({"unmet": 3, "providers": 1}, ("Gap: 3 people whose need no provider could take",)),
        (
            {"unmet": 1, "providers": 0},
            ("Gap: 1 person whose need no provider could take", "Gap: no provider of this need here"),
        ),
        ({"late": 2}, ("Gap: 2 people waited longer than their urgency allows",)),
        (
            {"unmet": 0, "providers": 2, "duplicated": True},
            ("Duplicated: 2 providers of this need here, where 1 could take its demand",),
        ),
        (
            {"unmet": None, "providers": 1, "suppressed": ("unmet",)},
            ("Gap: a few people whose need no provider could take (how many is withheld)",),
        ),
        ({"unmet": 0, "providers": 1}, ()),
    ],
)
def test_what_a_row_means_in_words(figures, expected):
    fields = {"unmet": 0, "late": 0, "providers": 1, "duplicated": False, "suppressed": ()} | figures
    row = NeedsRow(
        "council_area",
        "sutton",
        SUTTON,
        "sutton",
        "shopping",
        people=4,
        referrals=5,
        accepted=3,
        completed=1,
        median_hours_to_accept=2.0,
        capacity_offered=10.0,
        providers_needed=1,
        gap=bool(fields["unmet"] or fields["late"]),
        **fields,
    )
    assert findings(row) == expected


def test_grouping_by_district_and_hub(signed_in, history):
    client = signed_in("admin")
    districts = table(get(client, area="sutton", group="outcode").get_data(as_text=True), "needs-table")
    hubs = table(get(client, area="sutton", group="hub").get_data(as_text=True), "needs-table")

    assert {"SM1", "SM2", "SM3"} <= set(districts)
    assert "Sutton Central Hub" in hubs
    assert SUTTON not in districts
    assert SUTTON not in hubs


def test_grouping_by_ward(signed_in, history):
    page = get(signed_in("admin"), area="sutton", group="ward").get_data(as_text=True)

    wards = table(page, "needs-table")
    assert "Ward not known" in wards  # the known history's postcodes are not in the postcode table
    assert SUTTON not in wards


def test_open_data_withholds_small_counts(signed_in, history):
    page = get(signed_in("admin"), area="sutton", open_data="true").get_data(as_text=True)

    shopping = {cells[0]: cells for cells in table(page, "needs-table")[SUTTON]}["Shopping"]
    assert shopping[1:6] == ["<5", "<5", "<5", "<5", "0"]
    assert "as open data" in page
    assert re.search(r'<input [^>]*id="open_data"[^>]*checked', page)


def test_the_map_is_embedded_with_words_and_served_for_the_session(signed_in, history):
    client = signed_in("admin")
    page = get(client, area="sutton", open_data="true").get_data(as_text=True)

    src = html.unescape(re.search(r'<img src="([^"]+)" alt="([^"]+)"', page).group(1))
    alt = html.unescape(re.search(r'<img src="[^"]+" alt="([^"]+)"', page).group(1))
    assert src == "/reports/needs.png?area=sutton&open_data=true"
    assert alt.startswith("Map of ")
    assert f"the wards of {SUTTON}" in alt
    assert "coloured by the share of the people referred from it whose need went unmet" in alt
    picture = client.get(src)
    assert picture.status_code == 200
    assert picture.mimetype == "image/png"
    assert Image.open(io.BytesIO(picture.data)).size == (900, 900)


def test_the_map_alt_text_names_the_most_unmet():
    wards = (
        WardDemand("E1", "Ward One", "sutton", 10, 0),
        WardDemand("E2", "Ward Two", "sutton", 8, 4),
        WardDemand("E3", "Ward Three", "sutton", 10, 1),
        WardDemand("E4", "Ward Four", "sutton", None, None, ("people", "unmet")),
    )
    report = NeedsReport(
        generated_at=utcnow(),
        since=date(2026, 3, 1),
        until=date(2026, 3, 31),
        area="sutton",
        area_name=SUTTON,
        councils={"sutton": SUTTON},
        open_data=True,
        suppression_threshold=5,
        rows=(),
        districts=(),
        wards=wards,
    )

    assert map_description(report) == (
        f"Map of the wards of {SUTTON} since 1 March 2026. Each ward is coloured by the share of the people "
        "referred from it whose need went unmet or waited longer than its urgency allows; community hubs and "
        "other organisations are marked at their bases. Highest unmet need: Ward Two (50%), "
        "Ward Three (10%). 1 ward with fewer than 5 people is hatched grey."
    )


def test_response_statistics_match_the_directory_api(signed_in, history, session_factory, client):
    page = get(signed_in("admin"), area="sutton").get_data(as_text=True)
    admin = auth(token_for(session_factory, "admin"))
    organisations = client.get("/api/v1/organisations?area=sutton", headers=admin).get_json()

    rows = table(page, "response")
    assert set(rows) == {org["name"] for org in organisations}
    for org in organisations:
        [cells] = rows[org["name"]]
        stats = org["response"]
        assert cells[:4] == [str(stats[k]) for k in ("offers", "accepted", "declined", "expired")]
        if stats["usually"]:
            assert cells[5] == stats["usually"][:1].upper() + stats["usually"][1:]
            assert cells[4] == hours_words(stats["accepts_within_hours"])
    assert any(org["response"]["offers"] for org in organisations), "the history made offers"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "last tuesday"}, "since", "Enter the first day as a date, for example 2026-03-01"),
        ({"area": "atlantis"}, "area", "Choose an area from the list"),
        ({"group": "street"}, "group", "Choose council areas, community hubs or postcode districts"),
        ({"open_data": "maybe"}, "open_data", "Open data is either ticked or not"),
        ({"until": "soon"}, "until", "Enter the last day as a date, for example 2026-03-31"),
        (
            {"since": "2026-03-02", "until": "2026-03-01"},
            "until",
            "The last day must be the same as or after the first day",
        ),
    ],
)
def test_bad_filters_are_explained_on_the_page(signed_in, query, field, message):
    response = get(signed_in("admin"), expected=422, **query)
    page = response.get_data(as_text=True)

    assert response.mimetype == "text/html"
    assert "There is a problem" in page
    assert f'<a href="#{field}">{message}</a>' in page
    assert page.count(message) == 2, "in the summary and by the field"
    assert "<title>Error: Reports" in page
    picture = get(signed_in("admin"), "/reports/needs.png", expected=422, **query)
    assert picture.mimetype == "text/html"
    assert message in picture.get_data(as_text=True)


def test_an_officer_sees_their_council_only(signed_in, history):
    officer = signed_in("officer")
    page = get(officer).get_data(as_text=True)

    assert f"<strong>{SUTTON}</strong>" in page
    assert "Coventry City Council" not in page
    assert re.findall(r'<option value="([^"]*)"', page.split('id="area"')[1].split("</select>")[0]) == [
        "sutton"
    ]
    refused = get(officer, expected=403, area="coventry")
    assert refused.mimetype == "text/html"
    assert "sees reports for sutton only" in refused.get_data(as_text=True)
    assert get(officer, "/reports/needs.png", expected=403, area="coventry").mimetype == "text/html"


# One rule, two doors: every person asks both for the same reports, and each door answers alike.
WHO = {
    "helpline": ("helpline_staff", None),
    "hub": ("hub_coordinator", "hub"),
    "officer": ("safety_net_officer", "sutton_safety_net"),
    "coventry_officer": ("safety_net_officer", "coventry_safety_net"),
    "unbound_officer": ("safety_net_officer", None),
    "admin": ("admin", None),
}
QUERIES = [
    {},
    {"area": "sutton"},
    {"area": "coventry"},
    {"area": "atlantis"},
    {"since": "2026-13-40"},
    {"since": "2026-03-02", "until": "2026-03-01"},
    {"area": "sutton", "open_data": "true"},
]


@pytest.fixture
def doors(app, session_factory, directory):
    found = {}
    for key, (role, org) in WHO.items():
        org_id = directory[org] if org else None
        with session_factory() as session:
            create_user(
                session,
                username=f"doors-{key}",
                display_name=key,
                password=PASSWORD,
                role=role,
                org_id=org_id,
            )
        browser = app.test_client()
        assert sign_in(browser, Person(f"doors-{key}", role, org_id)).status_code == 302
        found[key] = (auth(token_for(session_factory, role, org_id, name=f"doors {key}")), browser)
    return found


def shown_report(page: str) -> tuple[str, dict[str, list[str]]]:
    """The area the page reports on, and each council row's figures (need → people, unmet)."""
    area_name = text(
        re.search(r'<p class="report-period" role="status"><strong>(.*?)</strong>', page).group(1)
    )
    rows = {}
    for header, found in table(page, "needs-table").items():
        for cells in found:
            rows[f"{header} / {cells[0]}"] = [cells[1], cells[5]]
    return area_name, rows


def api_report(body: dict, needs: dict[str, str]) -> tuple[str, dict[str, list[str]]]:
    rows = {}
    for row in body["rows"]:
        if row["area_type"] == "council_area":
            cells = [row["people"], row["unmet"]]
            shown = ["<5" if c is None else str(c) for c in cells]
            rows[f"{row['area_name']} / {needs.get(row['need'], row['need'])}"] = shown
    return body["area_name"], rows


def test_the_page_and_the_api_answer_every_person_alike(app, client, doors, history):
    needs = {code: need.detector.label for code, need in app.extensions["oneroute"].rules.needs.items()}
    differences = []
    for key, (headers, browser) in doors.items():
        for query in QUERIES:
            for api_path, page_path in (
                ("/api/v1/reports/needs", "/reports"),
                ("/api/v1/reports/needs.png", "/reports/needs.png"),
                ("/api/v1/reports/trend", "/reports/trend.csv"),
            ):
                if api_path.endswith("trend"):
                    query = {**query, "format": "csv"}
                api = client.get(api_path, query_string=query, headers=headers)
                page = browser.get(page_path, query_string=query)
                where = f"{key} {page_path} {query}"
                if api.status_code != page.status_code:
                    differences.append(f"{where}: API {api.status_code}, page {page.status_code}")
                    continue
                if page.status_code != 200:
                    assert page.mimetype == "text/html", where
                elif page_path == "/reports":
                    shown = shown_report(page.get_data(as_text=True))
                    if shown != api_report(api.get_json(), needs):
                        differences.append(
                            f"{where}: page {shown} != API {api_report(api.get_json(), needs)}"
                        )
                elif page_path.endswith(".csv"):
                    if api.data != page.data or page.mimetype != "text/csv":
                        differences.append(f"{where}: not the same weeks")
                elif api.data[:8] != page.data[:8] or page.mimetype != "image/png":
                    differences.append(f"{where}: not the same picture")
    assert differences == [], "\n".join(differences)


def test_what_came_of_referrals_per_area_and_organisation(client, signed_in, session_factory, directory):
    helpline = auth(token_for(session_factory, "helpline_staff"))
    hub = auth(token_for(session_factory, "hub_coordinator", directory["hub"]))
    made = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    for action, body in (
        ("accept", {}),
        ("start", {}),
        ("complete", {"outcome_codes": ["shopping_delivered", "prescription_collected"]}),
    ):
        assert (
            client.post(f"/api/v1/referrals/{made['id']}/{action}", json=body, headers=hub).status_code == 200
        )

    page = signed_in("officer").get("/reports").get_data(as_text=True)
    section = page[page.index('id="outcomes"') :]
    assert "completed or closed with an outcome: 1." in section
    assert "Sutton Central Hub" in section
    assert "Shopping delivered: 1; Prescription collected and delivered: 1" in section
    open_data = signed_in("officer").get("/reports?open_data=true").get_data(as_text=True)
    assert "not part of the open data" in open_data


def test_the_page_counts_people_and_providers_once_per_place(signed_in, history):
    page = get(signed_in("admin"), area="sutton", since=history.since.isoformat()).get_data(as_text=True)

    totals = table(page, "place-totals")
    assert totals[SUTTON] == [["6", "3", "30"]], "six people; hub, food bank and group, capacity 10 each"
    assert "How the figures are counted" in page
    assert "each counted once however many referrals they made" in html.unescape(page)


def test_week_by_week_adds_up_and_downloads(signed_in, history):
    admin = signed_in("admin")
    since = history.since.isoformat()
    page = get(admin, area="sutton", since=since).get_data(as_text=True)
    weeks = table(page, "trend")
    assert list(weeks)[-1] == "The whole period"
    figures = [cells for header, found in weeks.items() for cells in found if header != "The whole period"]
    people = sum(int(cells[0]) for cells in figures)
    assert people == int(weeks["The whole period"][0][0]) == 6
    csv_text = get(admin, "/reports/trend.csv", area="sutton", since=since).get_data(as_text=True)
    assert csv_text.splitlines()[0] == "week,council_area,ons_code,need,people,referrals,accepted,unmet,late"
    assert f"{history.since:%Y-%m-%d}" in page  # the period is the one chosen
    too_long = get(admin, area="sutton", since="2000-01-03").get_data(as_text=True)
    assert "The weeks cannot be shown for this period: a trend covers at most 260 weeks" in too_long


def test_week_by_week_as_open_data_withholds_small_counts(signed_in, history):
    page = get(signed_in("admin"), area="sutton", open_data="true").get_data(as_text=True)
    whole = table(page, "trend")["The whole period"][0]
    assert whole[0] == "7", "the last twelve weeks hold referral 8 (thirty days ago) as well"
    assert "over the last twelve weeks" in page
    assert all(
        cell in ("0", "<5", "withheld") or int(cell) >= 5
        for found in table(page, "trend").values()
        for cells in found
        for cell in cells
    )


@pytest.fixture
def shipped_wards(session_factory):
    add_shipped_postcodes(session_factory)
    yield
    remove_postcodes(session_factory, SHIPPED_POSTCODES)


def test_the_ward_map_page_draws_every_ward_with_the_table_s_figures(signed_in, shipped_wards, history):
    admin = signed_in("admin")
    page = get(admin, "/reports/wards", area="sutton").get_data(as_text=True)
    assert '<h1 class="heading-l">Unmet need by ward: London Borough of Sutton</h1>' in page
    wards = re.findall(r'<a class="ward" href="#ward-(E05\d{6})" data-ward="\1" aria-label="([^"]*)"', page)
    assert len(wards) > 10, "every ward of Sutton is drawn"
    assert len({code for code, _words in wards}) == len(wards)
    report = get(admin, area="sutton", group="ward").get_data(as_text=True)
    listed = {header for header in table(report, "needs-table") if header != "Ward not known"}
    described = {html.unescape(words).split(":")[0] for code, words in wards if f'id="ward-{code}"' in page}
    assert listed == described == {"Sutton Central", "North Cheam"}, "listed under the map as in the table"
    assert "Sutton Central: 4 referred, 0 with a need unmet or late (fewer than 5)" in page
    assert "North Cheam: 1 referred, 1 with a need unmet or late (fewer than 5)" in page, (
        "hatched, not shaded"
    )
    assert "Cheam: 0 referred, 0 with a need unmet or late (nobody referred)" in page, "named from the file"
    assert "Ward areas drawn from postcode locations (not official boundaries)." in page
    assert "Contains OS data © Crown copyright" in html.unescape(page)
    assert 'href="/reports?area=sutton"' in page, "back to the same report"


def test_the_ward_map_as_open_data_shows_no_small_count(signed_in, shipped_wards, history):
    page = get(signed_in("admin"), "/reports/wards", area="sutton", open_data="true").get_data(as_text=True)
    labels = [html.unescape(words) for words in re.findall(r'class="ward"[^>]*aria-label="([^"]*)"', page)]
    counts = [int(n) for words in labels for n in re.findall(r"(?<![<\d])(\d+) (?:referred|with)", words)]
    assert all(n == 0 or n >= 5 for n in counts), labels
    assert any("<5 referred" in words for words in labels), labels
    assert any("(fewer than 5)" in words for words in labels)


def test_the_ward_map_refuses_as_the_report_does(signed_in, history):
    officer = signed_in("officer")
    assert get(officer, "/reports/wards", expected=403, area="coventry").mimetype == "text/html"
    assert get(officer, "/reports/wards", expected=422, since="never").mimetype == "text/html"
    assert get(signed_in("helpline"), "/reports/wards", expected=403)
