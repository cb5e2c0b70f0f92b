"""Logging with the request id the gateway assigns, carried from HTTP into event metadata."""

import logging
import sys
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

access_log = logging.getLogger("access")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    # The lines name no caller, thread or process: logging need not find them for each record
    # (the logging HOWTO's "Optimization"; about half of an access line's CPU, issue 18).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter(
            f"%(asctime)s %(levelname)s {service} [%(request_id)s] %(name)s: %(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiormq", "aio_pika"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def request_id_of(header: bytes | None) -> str:
    """A request's id: its `X-Request-Id` (the gateway's), or a new one."""
    return (header or b"").decode("latin-1") or uuid.uuid4().hex


def log_access(scope: Scope, status: int, seconds: float) -> None:
    """A request's access log line: `POST /api/registrations 201 3.2ms`."""
    access_log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, seconds * 1000)


class RequestContext:
    """ASGI middleware: take (or make) the request id, log the request, echo the id back.

    The console's; a service's requests get all of it from shared.request_frame."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        rid = request_id_of(headers.get(REQUEST_ID_HEADER.encode()))
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.encode(), rid.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_access(scope, status, time.perf_counter() - started)
            request_id.reset(token)
