"""The console as a browser reaches it: through the real gateway of the running system (the
process `make run` starts, not the app in the test's process). Signing in with the link `make run`
prints keeps the token in a browser-session cookie and out of every log; the gateway serves the
console's pages and static files with its security headers, and none of its own /metrics; behind
a TLS ingress (its X-Forwarded-Proto passed on) the cookie is Secure."""

from collections.abc import AsyncIterator

import httpx
import pytest

from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
async def browser(system: System) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, as a browser asks for pages (it follows no redirect)."""
    async with httpx.AsyncClient(
        base_url=system.stack.gateway_url, headers=BROWSER, timeout=10
    ) as client:
        yield client


async def test_the_sign_in_link_signs_the_admin_in_for_the_browser_session(
    system: System, browser: httpx.AsyncClient
) -> None:
    token = system.stack.admin_token
    first = await browser.get("/")
    assert first.status_code == 303
    assert first.headers["location"].startswith("/sign-in")
    assert first.headers["content-security-policy"]

    signed_in = await browser.get("/sign-in", params={"token": token})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/"
    assert token not in signed_in.headers["location"]
    (cookie,) = signed_in.headers.get_list("set-cookie")
    name, _, rest = cookie.partition("=")
    value, *attributes = (part.strip() for part in rest.split(";"))
    assert value == token
    flags = {attribute.split("=")[0].lower(): attribute for attribute in attributes}
    assert "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"
    assert "max-age" not in flags  # a browser-session cookie: gone when the browser closes
    assert "expires" not in flags
    assert flags["path"] == "Path=/"
    assert "secure" not in flags  # plain http all the way

    browser.cookies.set(name, value)
    home = await browser.get("/")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "Platform Admin" in home.text
    csp = home.headers["content-security-policy"]
    assert "script-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert home.headers["x-content-type-options"] == "nosniff"
    assert home.headers.get_list("x-request-id")  # the gateway's, as on every answer

    # the gateway logged the sign-in, without its query; no process logged the token
    signed_in_lines = await eventually(
        lambda: [line for line in system.logs if "GET /sign-in?*** " in line] or None,
        what="the gateway's access line of the sign-in",
    )
    assert all(line.startswith("gateway") for line in signed_in_lines)
    assert not [line for line in system.logs if token in line]


@pytest.mark.parametrize(
    ("forwarded", "secure"), [("https", True), ("http", False), ("gopher", False), (None, False)]
)
async def test_behind_a_tls_ingress_the_sign_in_cookie_is_secure(
    system: System, browser: httpx.AsyncClient, forwarded: str | None, secure: bool
) -> None:
    """The ingress ends TLS and says so in X-Forwarded-Proto: the gateway passes that on (not its
    own http), and the console marks the cookie Secure by it."""
    headers = {"Origin": system.stack.gateway_url}
    if forwarded is not None:
        headers["X-Forwarded-Proto"] = forwarded
    signed_in = await browser.post(
        "/sign-in", data={"token": system.stack.admin_token}, headers=headers
    )
    assert signed_in.status_code == 303
    (cookie,) = signed_in.headers.get_list("set-cookie")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert ("secure" in flags) is secure


async def test_the_console_serves_its_static_files_and_refuses_a_cross_site_form(
    system: System, browser: httpx.AsyncClient
) -> None:
    css = await browser.get("/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"]

    forged = await browser.post(
        "/sign-in",
        data={"token": system.stack.admin_token},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert forged.status_code == 403
    assert "set-cookie" not in forged.headers
    # the same form from the console's own pages is read (a token it cannot read: the form
    # again, saying so)
    ours = await browser.post(
        "/sign-in", data={"token": "not-a-token"}, headers={"Origin": system.stack.gateway_url}
    )
    assert ours.status_code == 400


async def test_neither_the_consoles_metrics_nor_its_health_are_served_by_the_gateway(
    system: System, browser: httpx.AsyncClient
) -> None:
    for path in ("/metrics", "/health", "/health/console"):
        response = await browser.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    # an unknown path is the console's: a page for a browser, problem+json for the others
    page = await browser.get("/no-such-page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    problem = await browser.get("/no-such-page", headers={"Accept": "application/json"})
    assert problem.status_code == 404
    assert problem.headers["content-type"] == "application/problem+json"
    # on its own port they answer, for Prometheus and the orchestrator
    port = system.stack.config.console_port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as direct:
        assert (await direct.get("/health")).status_code == 200
        assert (await direct.get("/metrics")).status_code == 200
