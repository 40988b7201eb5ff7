"""Ward names from Code-Point Open's Doc/Codelist.xlsx (geo/codelist.py), read from a workbook built here in
the layout Code-Point ships: one sheet per kind of area, each row a name and an ONS code."""

import io
import zipfile
from xml.sax.saxutils import escape

from geo.codelist import read_ward_names

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def codelist_xlsx(sheets: dict[str, list[tuple[str, str]]]) -> bytes:
    """A minimal .xlsx: names as shared strings, codes as inline strings, as Excel may write either."""
    shared: list[str] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        entries, rels = [], []
        for number, (name, rows) in enumerate(sheets.items(), start=1):
            cells = []
            for row_number, (label, code) in enumerate(rows, start=1):
                shared.append(label)
                cells.append(
                    f'<row r="{row_number}"><c r="A{row_number}" t="s"><v>{len(shared) - 1}</v></c>'
                    f'<c r="B{row_number}" t="inlineStr"><is><t>{escape(code)}</t></is></c></row>'
                )
            book.writestr(
                f"xl/worksheets/sheet{number}.xml",
                f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
            )
            entries.append(f'<sheet name="{name}" sheetId="{number}" r:id="rId{number}"/>')
            rels.append(f'<Relationship Id="rId{number}" Target="worksheets/sheet{number}.xml" Type="ws"/>')
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{"".join(entries)}</sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{''.join(rels)}</Relationships>",
        )
        strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared)
        book.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
    return buffer.getvalue()


def test_ward_sheets_name_ward_codes_without_their_suffix():
    workbook = codelist_xlsx(
        {
            "DIS": [("Wycombe District", "E07000007")],
            "LBW": [("Sutton Central Ward", "E05013765"), ("Header", "CODE")],
            "MTW": [("St. Michael's Ward", "E05001228")],
            "UTE": [("Abbey ED", "E05008136")],
        }
    )

    assert read_ward_names(io.BytesIO(workbook)) == {
        "E05013765": "Sutton Central",
        "E05001228": "St. Michael's",
        "E05008136": "Abbey",
    }, "districts are not wards, and a row without an ONS code is not read"
