"""Control characters no door accepts. A NUL byte or an escape code in a name is never what a person meant,
PostgreSQL refuses NUL in text (a 500 if it got that far), and they hide what a line says in a log or a text.

Text that may run over lines (a form's fields, a JSON body's strings) may hold a tab, a line feed and a
carriage return and nothing else below U+0020; one-line text (a query string, a URL path) holds none of
them. DEL (U+007F) and lone surrogates (which cannot be encoded) are refused everywhere."""

import re
from collections.abc import Iterator

MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
ONE_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
MESSAGE = "must not contain control characters"


def has_controls(text: str, *, multi_line: bool) -> bool:
    return (MULTI_LINE if multi_line else ONE_LINE).search(text) is not None


def without_controls(text: str) -> str:
    """The text with its control characters (but tabs and line breaks) removed: for what a person cannot be
    asked to send again, such as a text message."""
    return MULTI_LINE.sub("", text)


class TooDeep(ValueError):
    pass


def strings_with_controls(document: object, max_depth: int) -> Iterator[str]:
    """The dotted path of each string (key or value) in a parsed JSON document that holds a control
    character (tabs and line breaks allowed), walking without recursion; TooDeep past max_depth levels."""
    stack: list[tuple[object, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(f"nested more than {max_depth} levels deep")
        if isinstance(value, str):
            if has_controls(value, multi_line=True):
                yield path or "_schema"
        elif isinstance(value, dict):
            for key, item in value.items():
                inner = f"{path}.{key}" if path else str(key)
                if has_controls(key, multi_line=False):
                    yield path or "_schema"
                else:
                    stack.append((item, inner, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1)
                for index, item in enumerate(value)
            )
