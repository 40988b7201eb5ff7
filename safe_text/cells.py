"""CSV cells that a spreadsheet cannot run as a formula (OWASP "CSV Injection"). Every CSV the service writes
goes through `writer` or `DictWriter` here.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single quote in
front (`'=HYPERLINK(...)`), which a spreadsheet shows as text and never evaluates; the csv module quotes and
escapes the rest. Two kinds of cell are left as they are, because a spreadsheet reads them as numbers and they
cannot hold a formula: numbers the code writes (int and float values), and text that is wholly one decimal
number (`-0.19`, `+44`, `1e-3`), such as a longitude the code has already turned into text. `-1+2` or
`-0.19 ` (anything more than one number) is neutralised like any other text."""

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell that cannot run as a formula (None stays None, which csv writes as "")."""
    if value is None or isinstance(value, int | float):  # bool is an int: written as True/False
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return "'" + text
    return text


class writer:  # named like csv.writer, which it stands in for
    """csv.writer whose every cell goes through `safe_cell`."""

    def __init__(self, handle, *args, **kwargs):
        self._writer = csv.writer(handle, *args, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter(csv.DictWriter):
    """csv.DictWriter whose every cell (the header's too) goes through `safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for rowdict in rowdicts:
            self.writerow(rowdict)
