"""RFC 9457 problem details: every error a service answers is `application/problem+json`."""

import logging
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any, Literal

import aiormq
import asyncpg
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope

from shared.refusals import Conflict, Forbidden, Invalid, NotFound, Refusal, TooManyRequests

# the refusal helpers, importable from here too (a route raises them like a use case does)
from shared.refusals import conflict as conflict
from shared.refusals import forbidden as forbidden
from shared.refusals import invalid as invalid
from shared.refusals import not_found as not_found

PROBLEM_JSON = "application/problem+json"
MAX_BODY_BYTES = 1024 * 1024
RETRY_AFTER_S = 5

log = logging.getLogger(__name__)


class Problem(Exception):
    """Raise anywhere on a request path; the handler turns it into problem+json."""

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail or self.title
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.title}: {self.detail}")


def problem_of(refusal: Refusal) -> Problem:
    """The one place a refusal gets its status: what a route answers, a bulk result or a
    command reply carries."""
    match refusal:
        case NotFound():
            return Problem(404, "Not found", refusal.detail)
        case Forbidden():
            return Problem(403, "Forbidden", refusal.detail, extra=refusal.extra)
        case Conflict():
            return Problem(409, "Conflict", refusal.detail, extra=refusal.extra)
        case Invalid():
            errors = [{"loc": ["body", refusal.field], "msg": refusal.msg}]
            return Problem(422, "Invalid request", refusal.detail, extra={"errors": errors})
        case TooManyRequests():
            retry_after = {"Retry-After": str(refusal.retry_after_seconds)}
            return Problem(429, "Too many requests", refusal.detail, headers=retry_after)
    raise TypeError(f"no problem for {type(refusal).__name__}")


def problem_body(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json body (RFC 9457), for the answers that are no HTTP response too: a bulk
    registration's refused items, a command's reply."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.io/{status}" if status != 422 else "about:blank#validation",
        "title": title or phrase,
        "status": status,
        "detail": detail or title or phrase,
    }
    body.update(extra or {})
    return body


def body_of(answer: Problem | Refusal) -> dict[str, Any]:
    problem = problem_of(answer) if isinstance(answer, Refusal) else answer
    return problem_body(problem.status, problem.title, problem.detail, problem.extra)


def problem_response(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title, detail, extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """400 malformed JSON, 401/403/404/409/413/422 and the rest, all as problem+json."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, extra=exc.extra, headers=exc.headers
        )

    @app.exception_handler(Refusal)
    async def _refused(_: Request, exc: Refusal) -> JSONResponse:
        return await _problem(_, problem_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc)
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return problem_response(400, "Malformed JSON", "The request body is not valid JSON.")
        return problem_response(
            422,
            "Invalid request",
            "The request does not match the schema.",
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(exc.status_code, detail=detail, headers=exc.headers)


Dependency = Literal["database", "broker"]

# What a lost PostgreSQL connection looks like through asyncpg and SQLAlchemy; OSError covers a
# refused or reset socket and a connect timeout, aiormq's connection errors included.
_DATABASE_GONE = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    sqlalchemy.exc.TimeoutError,
    OSError,
)
_BROKER_GONE = (aiormq.exceptions.AMQPConnectionError, aiormq.exceptions.ChannelInvalidStateError)


def unavailable_dependency(error: BaseException) -> Dependency | None:
    """Which server a request failed to reach, when `error` (or what caused it) says so."""
    for cause in _causes(error):
        if isinstance(cause, _BROKER_GONE):
            return "broker"
        if isinstance(cause, _DATABASE_GONE):
            return "database"
        if isinstance(cause, sqlalchemy.exc.DBAPIError) and cause.connection_invalidated:
            return "database"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        yield found
        orig = getattr(found, "orig", None)
        if isinstance(orig, BaseException):
            yield orig
        # the causes only: an error raised while handling a lost connection is an error of its own
        found = found.__cause__


def answer_for_error(scope: Scope, error: Exception, *, responded: bool) -> JSONResponse | None:
    """The answer to an exception that escaped a route (shared.request_frame answers it, and
    re-raises nothing): a lost database or broker is 503 with `Retry-After`, anything else a 500
    problem+json logged with its traceback (and the request id). None when the response had
    started: too late to answer, the client sees it cut short."""
    where = f"{scope['method']} {scope['path']}"
    lost = unavailable_dependency(error)
    if lost is not None:
        log.warning("%s: the %s is unreachable: %r", where, lost, error)
        answer = problem_response(
            503,
            detail=f"The service cannot reach its {lost} right now; retry later.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    else:
        log.error("unhandled error on %s", where, exc_info=error)
        answer = problem_response(500, detail="An unexpected error occurred.")
    if responded:
        log.error("error after the response started on %s", scope["path"])
        return None
    return answer


def too_large() -> JSONResponse:
    """The 413 for a body over 1 MiB (shared.request_frame), even when a caller bypasses the
    gateway's own limit."""
    return problem_response(413, detail="The request body is larger than 1 MiB.")


async def read_body(receive: Receive, max_bytes: int) -> tuple[bytes | None, Receive]:
    """The whole request body (None when over `max_bytes`) and a `receive` that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        more = message.get("more_body", False)
        if size > max_bytes:
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": more}

    return (None if size > max_bytes else body), replay
