"""Reading a YAML document with errors that name the file, the path inside it and what is wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from triage.errors import RulesError, TermSyntaxError
from triage.terms import TermSet, WordLists


class Node:
    """A value in a YAML document, with where it came from."""

    def __init__(self, file: str, path: str, value: Any) -> None:
        self.file = file
        self.path = path
        self.value = value

    def fail(self, problem: str) -> RulesError:
        return RulesError(self.file, self.path, problem)

    def child(self, key: str | int, value: Any) -> Node:
        path = f"{self.path}[{key}]" if isinstance(key, int) else (f"{self.path}.{key}" if self.path else key)
        return Node(self.file, path, value)

    def mapping(
        self, allowed: set[str] | None = None, required: frozenset[str] | set[str] = frozenset()
    ) -> dict[str, Node]:
        if not isinstance(self.value, dict):
            raise self.fail(f"expected a mapping (key: value lines), found {_kind(self.value)}")
        for key in self.value:
            if not isinstance(key, str):
                raise self.fail(f"key {key!r} must be text")
            if allowed is not None and key not in allowed:
                raise self.child(key, None).fail(f"unknown key; allowed here: {', '.join(sorted(allowed))}")
        for key in sorted(required - set(self.value)):
            raise self.fail(f"missing required key {key!r}")
        return {key: self.child(key, value) for key, value in self.value.items()}

    def items(self) -> Iterator[Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list (lines starting with '- '), found {_kind(self.value)}")
        return (self.child(index, value) for index, value in enumerate(self.value))

    def text(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail(f"expected non-empty text, found {_kind(self.value)}")
        return self.value.strip()

    def texts(self) -> list[str]:
        return [item.text() for item in self.items()]

    def integer(self, low: int, high: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int) or not low <= self.value <= high:
            raise self.fail(f"expected a whole number from {low} to {high}, found {self.value!r}")
        return self.value

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"expected true or false, found {self.value!r}")
        return self.value

    def choice(self, options: tuple[str, ...] | frozenset[str], what: str) -> str:
        value = self.text()
        if value not in options:
            raise self.fail(f"unknown {what} {value!r}; expected one of: {', '.join(sorted(options))}")
        return value

    def terms(self, lists: WordLists | None = None) -> TermSet:
        nodes = list(self.items())
        for node in nodes:
            try:
                TermSet([node.text()], lists)
            except TermSyntaxError as error:
                raise node.fail(str(error)) from error
        return TermSet([node.text() for node in nodes], lists)


def optional(fields: dict[str, Node], key: str, parent: Node, default: Any) -> Node:
    return fields.get(key) or parent.child(key, default)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads unquoted no/yes/on/off as true/false: put words in quotes)"
    return {dict: "a mapping", list: "a list", str: f"text {value!r}"}.get(type(value), repr(value))
