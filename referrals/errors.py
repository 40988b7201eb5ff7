"""Errors the services raise; the HTTP layer maps them to 404, 409 and 422."""


class DomainValidationError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    def __init__(self, message: str, current_state: str | None = None):
        super().__init__(message)
        self.current_state = current_state


class Forbidden(PermissionError):
    """The caller's role may use the route but not take this particular decision (403)."""
