"""What a page needs from its request, as FastAPI dependencies (`Annotated`, one place)."""

from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Request
from starlette.routing import Match

from console.api import Api
from console.viewer import Viewer, viewer_from_token

TOKEN_COOKIE = "console_token"  # noqa: S105 - the cookie's name, not a secret


class SignInNeeded(Exception):
    """Nobody is signed in: the page sends them to the sign-in form, then back to `next`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def current_viewer(request: Request) -> Viewer | None:
    token = request.cookies.get(TOKEN_COOKIE)
    return viewer_from_token(token) if token else None


def signed_in_viewer(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise SignInNeeded(return_to(request))
    return viewer


def return_to(request: Request) -> str:
    """Where to come back to after signing in: a page the browser can GET. This one, unless the
    request is a form's POST: then the page that sent it (its same-site Referer), else this path
    when it is also a page (a form that posts to itself), else the home page."""
    if request.method in ("GET", "HEAD"):
        return here(request)
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.path.startswith("/") and referer.hostname == host_name(request.headers.get("host")):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    as_get = {**request.scope, "method": "GET"}
    if any(route.matches(as_get)[0] is Match.FULL for route in request.app.router.routes):
        return request.url.path
    return "/"


def host_name(host: str | None) -> str | None:
    """The name in a Host header, without its port (a port is no other site to a browser)."""
    return urlsplit("//" + (host or "")).hostname if host else None


def api_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.api_client
    return client


def viewer_api(request: Request) -> Api:
    """The API with the signed-in viewer's token (sign-in first when nobody is)."""
    viewer = signed_in_viewer(request)
    return Api(api_client(request), viewer.token, locale=viewer.locale)


def here(request: Request) -> str:
    """This page's path and query: where to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


MaybeViewer = Annotated[Viewer | None, Depends(current_viewer)]
SignedIn = Annotated[Viewer, Depends(signed_in_viewer)]
ViewerApi = Annotated[Api, Depends(viewer_api)]


def console_zone(request: Request) -> ZoneInfo:
    zone: ZoneInfo = request.app.state.zone
    return zone


Zone = Annotated[ZoneInfo, Depends(console_zone)]
