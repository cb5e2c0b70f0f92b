"""What the domain and the use cases refuse, as plain exceptions: no HTTP status in here.

`shared.problems` is the one place a refusal becomes its answer (problem+json on a route, the
body of a bulk result or a command reply); `problem_of` there says which status each kind has.
"""

from typing import Any


class Refusal(Exception):
    """A request the rules refuse; `extra` holds the ids a conflict names (`id`, `session_id`)."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(Refusal):
    """No such thing, or none the caller may know of."""

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"No {what} with id {ident}.")


class Forbidden(Refusal):
    """The caller may not do this."""


class Conflict(Refusal):
    """The thing is not in a state that allows it (or it exists already)."""


class TooManyRequests(Refusal):
    """The caller tried too often; they may try again after `retry_after_seconds`."""

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class Invalid(Refusal):
    """A rule the request schema cannot express, broken by the value of `field`."""

    def __init__(self, field: str, msg: str, detail: str | None = None) -> None:
        super().__init__(detail or msg)
        self.field = field
        self.msg = msg


# Short names the use cases raise with: `raise not_found("session", session_id)`.
def not_found(what: str, ident: object) -> NotFound:
    return NotFound(what, ident)


def forbidden(detail: str) -> Forbidden:
    return Forbidden(detail)


def conflict(detail: str, **ids: Any) -> Conflict:
    return Conflict(detail, **ids)


def invalid(field: str, msg: str, detail: str | None = None) -> Invalid:
    """A rule the schema cannot express; answered in the same shape as schema errors."""
    return Invalid(field, msg, detail)
