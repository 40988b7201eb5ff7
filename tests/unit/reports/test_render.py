import csv
import io
import json
from datetime import UTC, date, datetime

from reports.needs import DistrictDemand, NeedsReport, NeedsRow
from reports.render import COLUMNS, report_dict, to_csv, to_table

ROWS = (
    NeedsRow(
        "council_area",
        "sutton",
        "London Borough of Sutton",
        "sutton",
        "shopping",
        12,
        14,
        9,
        4,
        2,
        6,
        3.5,
        20.0,
        2,
        1,
        True,
        True,
        ons_code="E09000029",
        ons_name="Sutton",
    ),
    NeedsRow(
        "outcode", "SM3", "SM3", "sutton", "befriending", 1, 1, 0, 0, 1, 0, None, 0.0, 0, 0, False, True
    ),
)
REPORT = NeedsReport(
    generated_at=datetime(2026, 3, 10, 12, tzinfo=UTC),
    since=date(2026, 3, 1),
    until=date(2026, 3, 10),
    area="sutton",
    area_name="London Borough of Sutton",
    councils={"sutton": "London Borough of Sutton"},
    open_data=False,
    suppression_threshold=5,
    rows=ROWS,
    districts=(DistrictDemand("SM3", 51.37, -0.22, "sutton", 1, 1),),
)


def parse(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_a_header_and_one_line_per_row():
    lines = parse(to_csv(REPORT))

    assert tuple(lines[0]) == COLUMNS
    assert COLUMNS[:6] == ("area_type", "area", "area_name", "ons_code", "ons_name", "council_area")
    assert lines[0] == {
        "area_type": "council_area",
        "area": "sutton",
        "area_name": "London Borough of Sutton",
        "ons_code": "E09000029",
        "ons_name": "Sutton",
        "council_area": "sutton",
        "need": "shopping",
        "people": "12",
        "referrals": "14",
        "accepted": "9",
        "completed": "4",
        "unmet": "2",
        "late": "6",
        "median_hours_to_accept": "3.5",
        "capacity_offered": "20",
        "providers": "2",
        "providers_needed": "1",
        "duplicated": "yes",
        "gap": "yes",
    }
    assert lines[1]["median_hours_to_accept"] == "", "no acceptances: no median"


def test_open_data_csv_reads_under_the_threshold():
    lines = parse(to_csv(REPORT.for_open_data(5)))

    assert [lines[0][c] for c in ("people", "referrals", "accepted", "completed", "unmet", "late")] == [
        "12",
        "14",
        "9",
        "<5",
        "<5",
        "6",
    ]
    assert lines[0]["median_hours_to_accept"] == "3.5"
    assert [lines[1][c] for c in ("people", "referrals", "accepted", "unmet", "median_hours_to_accept")] == [
        "<5",
        "<5",
        "0",
        "<5",
        "",
    ]


def test_json_is_plain_data_with_iso_dates():
    document = json.loads(json.dumps(report_dict(REPORT.for_open_data(5))))

    assert (document["since"], document["until"], document["open_data"]) == ("2026-03-01", "2026-03-10", True)
    assert document["rows"][1]["people"] is None
    assert document["rows"][1]["suppressed"] == ["people", "referrals", "unmet"]
    assert document["districts"][0] == {
        "outcode": "SM3",
        "lat": 51.37,
        "lon": -0.22,
        "council_area": "sutton",
        "people": None,
        "unmet": None,
        "suppressed": ["people", "unmet"],
    }


def test_table_is_aligned_and_titled():
    text = to_table(REPORT.for_open_data(5))
    lines = text.splitlines()

    assert lines[0] == (
        "Needs against provision: London Borough of Sutton, from 2026-03-01 to 2026-03-10 "
        "(open data: counts under 5 suppressed)"
    )
    assert lines[2].split() == [
        "place",
        "name",
        "ons",
        "need",
        "people",
        "referrals",
        "accepted",
        "completed",
        "unmet",
        "late",
        "median",
        "h",
        "capacity",
        "providers",
        "needed",
        "dup",
        "gap",
    ]
    header, first, second = lines[2:5]
    assert header.index("need") == first.index("shopping") == second.index("befriending")
    capacity_ends = header.index("capacity") + len("capacity")
    assert (first[capacity_ends - 2 : capacity_ends], second[capacity_ends - 2 : capacity_ends]) == (
        "20",
        " 0",
    )
    assert first.split()[5] == "E09000029"
    assert second.split()[3:9] == ["<5", "<5", "0", "0", "<5", "0"], "no ONS code: blank"


def test_the_report_carries_its_own_notes_on_the_counting_rules():
    document = report_dict(REPORT)
    text = to_table(REPORT)

    assert document["notes"] == list(REPORT.notes)
    assert any(note.startswith("people: ") and "each counted once" in note for note in REPORT.notes)
    assert any(note.startswith("duplicated: more providers") for note in REPORT.notes)
    assert "Notes:" in text
    assert all(f"- {note}" in text for note in REPORT.notes)
