"""The frame of every HTTP request a service answers, as one pure ASGI middleware (outermost).

For each request, in one coroutine with one `send` wrapper and its headers scanned once:

- its request id taken from `X-Request-Id` (or made), current while it runs (the log records carry
  it) and echoed on the response;
- its W3C trace context (`traceparent`, `tracestate`) made current, so the events it causes carry
  it on — unless OpenTelemetry's middleware outside this one made a server span, which is then
  named after the route template;
- a body over 1 MiB answered 413, by its `Content-Length` or, without one (chunked), read up to
  the limit before the app sees it, so that the answer is a clean 413 rather than an error
  halfway through the app;
- an exception that escapes a route answered here, completely: a lost database or broker is 503
  with `Retry-After`, anything else a 500 problem+json logged with its traceback, and nothing is
  re-raised (Starlette's own last resort re-raises, and uvicorn closes a connection whose app
  raised: the gateway's next request on that pooled connection — someone else's — would get a
  502);
- its access log line and its metrics (count and duration by route template, method, status).

One layer instead of six: each layer was a coroutine, a `send` wrapper and, for several, a dict
of the headers, on every request (docs/performance.md, issue 18).
"""

import time

from opentelemetry import context, trace
from opentelemetry.trace import Span
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.metrics import AnsweredRequests
from shared.observability import REQUEST_ID_HEADER, log_access, request_id, request_id_of
from shared.problems import MAX_BODY_BYTES, answer_for_error, read_body, too_large
from shared.tracing import TRACEPARENT, TRACESTATE, context_of

_REQUEST_ID = REQUEST_ID_HEADER.encode()
_TRACEPARENT = TRACEPARENT.encode()
_TRACESTATE = TRACESTATE.encode()


class RequestFrame:
    """Pure ASGI middleware: what every request of `service` goes through (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        server_spans: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        """`server_spans`: OpenTelemetry's middleware, outside this one, makes a span of each
        request (spans are exported); else no span, and the request's trace context is made
        current here."""
        self.app = app
        self._answered = AnsweredRequests(service)
        self._server_spans = server_spans
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # the last of a repeated header counts, as in a dict of the headers
        rid = traceparent = tracestate = length = None
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                rid = value
            elif name == b"content-length":
                length = value
            elif name == _TRACEPARENT:
                traceparent = value
            elif name == _TRACESTATE:
                tracestate = value
        request = request_id_of(rid)
        echoed = (_REQUEST_ID, request.encode("latin-1"))
        rid_token = request_id.set(request)
        trace_token = None
        server_span = None
        if self._server_spans:
            server_span = trace.get_current_span()
        elif traceparent is not None or tracestate is not None:
            fields = {}
            if traceparent is not None:
                fields[TRACEPARENT] = traceparent.decode("latin-1")
            if tracestate is not None:
                fields[TRACESTATE] = tracestate.decode("latin-1")
            trace_token = context.attach(context_of(fields))
        status = 500
        responded = False

        async def send_framed(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                message["headers"] = [*message.get("headers", []), echoed]
                if server_span is not None:
                    _name_after_route(server_span, scope)
            await send(message)

        try:
            await self._within_limit(scope, receive, send_framed, length)
        except Exception as error:
            answer = answer_for_error(scope, error, responded=responded)
            if answer is not None:
                await answer(scope, receive, send_framed)
        finally:
            elapsed = time.perf_counter() - started
            log_access(scope, status, elapsed)
            if trace_token is not None:
                context.detach(trace_token)
            request_id.reset(rid_token)
            self._answered.observe(scope, status, elapsed)

    async def _within_limit(
        self, scope: Scope, receive: Receive, send: Send, length: bytes | None
    ) -> None:
        """The app, unless the body is larger than the limit (413)."""
        limit = self._max_body_bytes
        if length is not None and length.isdigit():
            if int(length) > limit:
                await too_large()(scope, receive, send)
            else:  # the server holds the body to its length: no need to read it first
                await self.app(scope, receive, send)
            return
        body, replay = await read_body(receive, limit)
        if body is None:
            await too_large()(scope, receive, send)
            return
        await self.app(scope, replay, send)


def _name_after_route(server_span: Span, scope: Scope) -> None:
    """The server span named after the route template (`POST /api/registrations/{id}/cancel`),
    never the raw path: the response is starting, so the request was routed (if a route took
    it) and the span is not ended yet."""
    route = getattr(scope.get("route"), "path", None)
    if route:
        server_span.update_name(f"{scope['method']} {route}")
        server_span.set_attribute("http.route", route)
