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
        9,
        4,
        2,
        3.5,
        20,
        2,
        True,
    ),
    NeedsRow("outcode", "SM3", "SM3", "sutton", "befriending", 1, 0, 0, 1, None, 0, 0, False),
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
    assert lines[0] == {
        "area_type": "council_area",
        "area": "sutton",
        "area_name": "London Borough of Sutton",
        "council_area": "sutton",
        "need": "shopping",
        "referrals": "12",
        "accepted": "9",
        "completed": "4",
        "unmet": "2",
        "median_hours_to_accept": "3.5",
        "capacity_offered": "20",
        "providers": "2",
        "duplicated": "yes",
    }
    assert lines[1]["median_hours_to_accept"] == "", "no acceptances: no median"


def test_open_data_csv_reads_under_the_threshold():
    lines = parse(to_csv(REPORT.for_open_data(5)))

    assert [lines[0][c] for c in ("referrals", "accepted", "completed", "unmet")] == ["12", "9", "<5", "<5"]
    assert lines[0]["median_hours_to_accept"] == "3.5"
    assert [lines[1][c] for c in ("referrals", "accepted", "unmet", "median_hours_to_accept")] == [
        "<5",
        "0",
        "<5",
        "",
    ]


def test_json_is_plain_data_with_iso_dates():
    document = json.loads(json.dumps(report_dict(REPORT.for_open_data(5))))

    assert (document["since"], document["until"], document["open_data"]) == ("2026-03-01", "2026-03-10", True)
    assert document["rows"][1]["referrals"] is None
    assert document["rows"][1]["suppressed"] == ["referrals", "unmet"]
    assert document["districts"][0] == {
        "outcode": "SM3",
        "lat": 51.37,
        "lon": -0.22,
        "council_area": "sutton",
        "referrals": None,
        "unmet": None,
        "suppressed": ["referrals", "unmet"],
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
        "need",
        "referrals",
        "accepted",
        "completed",
        "unmet",
        "median",
        "h",
        "capacity",
        "providers",
        "dup",
    ]
    header, first, second = lines[2:5]
    assert header.index("need") == first.index("shopping") == second.index("befriending")
    capacity_ends = header.index("capacity") + len("capacity")
    assert (first[capacity_ends - 2 : capacity_ends], second[capacity_ends - 2 : capacity_ends]) == (
        "20",
        " 0",
    )
    assert second.split()[3:7] == ["<5", "0", "0", "<5"]
