"""Ward names from Code-Point Open's own code list (`Doc/Codelist.xlsx` in the zip): its ward sheets (DIW
district wards, LBW London borough wards, MTW metropolitan district wards, UTW unitary authority wards, UTE
unitary electoral divisions) pair each name with its ONS code. Read as what an .xlsx is, a zip of XML (parsed
with defusedxml), so the import needs no spreadsheet package. The names lose their " Ward" or " ED" suffix."""

import re
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

CODELIST_MEMBER = "Doc/Codelist.xlsx"
WARD_SHEETS = ("DIW", "LBW", "MTW", "UTW", "UTE")
ONS_CODE = re.compile(r"[EWSN]\d{8}")
SUFFIX = re.compile(r"\s+(Ward|ED)$")
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def ward_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """ONS ward code → name from the Code-Point zip's code list; empty when the zip has none."""
    try:
        info = archive.getinfo(CODELIST_MEMBER)
    except KeyError:
        return {}
    with archive.open(info) as workbook:
        return read_ward_names(workbook)


def read_ward_names(workbook: IO[bytes]) -> dict[str, str]:
    names: dict[str, str] = {}
    with zipfile.ZipFile(workbook) as book:
        for sheet, rows in _sheets(book):
            if sheet not in WARD_SHEETS:
                continue
            for row in rows:
                if len(row) >= 2 and ONS_CODE.fullmatch(row[1].strip()):
                    names[row[1].strip()] = SUFFIX.sub("", row[0].strip())
    return names


def _sheets(book: zipfile.ZipFile) -> Iterator[tuple[str, list[list[str]]]]:
    shared = _shared_strings(book)
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    }
    sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).find(f"{MAIN}sheets")
    for sheet in sheets if sheets is not None else ():
        target = targets.get(sheet.get(RELATIONSHIP), "").lstrip("/").removeprefix("xl/")
        root = ElementTree.fromstring(book.read(f"xl/{target}"))
        rows = [[_cell(cell, shared) for cell in row.iter(f"{MAIN}c")] for row in root.iter(f"{MAIN}row")]
        yield sheet.get("name", ""), rows


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    try:
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(text.text or "" for text in item.iter(f"{MAIN}t")) for item in root.iter(f"{MAIN}si")]


def _cell(cell: Element, shared: list[str]) -> str:
    value = cell.find(f"{MAIN}v")
    if value is None:
        inline = cell.find(f"{MAIN}is")
        return "" if inline is None else "".join(text.text or "" for text in inline.iter(f"{MAIN}t"))
    if cell.get("t") == "s":
        return shared[int(value.text or 0)]
    return value.text or ""
