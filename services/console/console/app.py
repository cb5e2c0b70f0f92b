"""The console's one wiring place: routers, the API client, error pages, security headers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.api import ApiProblem, SignedOut
from console.deps import TOKEN_COOKIE, SignInNeeded, current_viewer, host_name, return_to
from console.pages import locale_of, render
from console.settings import ConsoleSettings
from console.texts import translate
from console.viewer import Locale
from shared.metrics import install_metrics
from shared.observability import RequestContext

ROUTERS = (
    "sign_in",
    "home",
    "trainings",
    "sessions",
    "session_page",
    "registrations",
    "events",
    "messages",
    "curricula",
    "learner",
    "account",
    "email_links",
)
"""The modules of console.routes, each with its `router`."""

API_TIMEOUT_S = 30.0
SECURITY_HEADERS = [
    # no script at all, no inline style, forms only to this site, never in a frame
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'; "
        b"base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


class SameOriginForms:
    """Pure ASGI middleware: a form sent from another site is refused (403) before any route,
    on top of the Lax cookie; and every answer gets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        if scope["method"] not in ("GET", "HEAD") and not _same_origin(scope):
            request = Request(scope)
            locale = locale_of(request, current_viewer(request))
            refused = translate("problem.cross_site", locale)
            response = PlainTextResponse(refused, status_code=403)
            await response(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)


def _same_origin(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    origin = headers.get(b"origin") or headers.get(b"referer")
    if not origin:
        return True  # not a browser form (browsers send Origin on every POST)
    # host names only: the gateway passes the Host without its port, and a port is no other
    # site to a browser either (SameSite ignores ports)
    host = host_name(headers.get(b"host", b"").decode("latin-1"))
    return host is not None and urlsplit(origin.decode("latin-1")).hostname == host


def _sign_in_again(next_url: str, *, ended: bool) -> RedirectResponse:
    query = {"next": next_url, **({"ended": "1"} if ended else {})}
    response = RedirectResponse(f"/sign-in?{urlencode(query)}", status_code=303)
    if ended:
        response.delete_cookie(TOKEN_COOKIE, path="/")
    return response


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _problem_locale(request: Request) -> Locale:
    """A problem+json's language: the viewer's; a program that names no language gets the
    API's (English), as its own problems are."""
    viewer = current_viewer(request)
    if viewer is None and not request.headers.get("accept-language"):
        return "en"
    return locale_of(request, viewer)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in_needed(request: Request, error: SignInNeeded) -> Response:
        return _sign_in_again(error.next_url, ended=False)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, error: SignedOut) -> Response:
        return _sign_in_again(return_to(request), ended=True)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, problem: ApiProblem) -> Response:
        return render(request, "problem.html", problem=problem)

    @app.exception_handler(RequestValidationError)
    async def bad_query(request: Request, error: RequestValidationError) -> Response:
        locale = locale_of(request, current_viewer(request))
        detail = translate("problem.bad_query", locale)
        return render(request, "problem.html", problem=ApiProblem(400, "Bad Request", detail))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        """The console's own 404 and 405 (no such page, a page that is only a form's target):
        a page in the viewer's language for a browser, problem+json for a program."""
        status = error.status_code
        title = _phrase(status)
        if _wants_html(request):
            if status == 404:
                return render(request, "not_found.html", status=404, headers=error.headers)
            problem = ApiProblem(status, title)
            return render(
                request, "problem.html", problem=problem, status=status, headers=error.headers
            )
        details = {404: "problem.no_route", 405: "problem.method"}
        locale = _problem_locale(request)
        body = {
            "type": f"https://httpstatuses.io/{status}",
            "title": title,
            "status": status,
            "detail": translate(details[status], locale) if status in details else title,
        }
        return JSONResponse(
            body, status_code=status, media_type="application/problem+json", headers=error.headers
        )


def create_app(
    settings: ConsoleSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """`transport` replaces the network under the API client (the unit tests' fake API)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            base_url=settings.api_url, timeout=API_TIMEOUT_S, transport=transport
        ) as client:
            app.state.api_client = client
            app.state.zone = settings.zone
            app.state.environment = settings.environment
            yield

    app = FastAPI(
        title="console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    for name in ROUTERS:
        app.include_router(import_module(f"console.routes.{name}").router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})  # no state of its own: up is healthy

    install_error_pages(app)
    app.add_middleware(SameOriginForms)
    app.add_middleware(RequestContext)
    install_metrics(app, "console")
    return app
