"""Errors raised by the triage engine and its rules loader."""


class RulesError(ValueError):
    """The triage configuration is invalid: names the file, the place in the document and the problem."""

    def __init__(self, file: str, path: str, problem: str) -> None:
        self.file = file
        self.path = path
        self.problem = problem
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {problem}")


class UnknownNeedError(ValueError):
    """A need code given by the caller is not in the taxonomy."""

    def __init__(self, code: str, known: frozenset[str]) -> None:
        self.code = code
        super().__init__(f"unknown need code {code!r}; known codes: {', '.join(sorted(known))}")


class TermSyntaxError(ValueError):
    """A term in the rules does not follow the term syntax."""
