"""What a page needs from its request, as FastAPI dependencies (`Annotated`, one place)."""

from typing import Annotated
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Request

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
        raise SignInNeeded(here(request))
    return viewer


def api_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.api_client
    return client


def viewer_api(request: Request) -> Api:
    """The API with the signed-in viewer's token (sign-in first when nobody is)."""
    return Api(api_client(request), signed_in_viewer(request).token)


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
