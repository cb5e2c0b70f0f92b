"""Signing in with a bearer token (kept in a browser-session cookie), and out again."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.deps import TOKEN_COOKIE, MaybeViewer
from console.pages import render
from console.viewer import viewer_from_token

router = APIRouter()


def safe_next(next_url: str | None) -> str:
    """Only a path of this site: never an address elsewhere (`//host`, `https://...`, nor
    `/\\host` or `/<tab>/host`, which browsers read as `//host`)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//"):
        return "/"
    if "\\" in next_url or any(
        ord(character) < 0x20 or ord(character) == 0x7F for character in next_url
    ):
        return "/"
    return next_url


def signed_in_response(request: Request, token: str, next_url: str | None) -> Response:
    response = RedirectResponse(safe_next(next_url), status_code=303)
    # no Max-Age nor Expires: the browser forgets it when its session ends; HttpOnly: no script
    # on the page can read it; Lax: sent when following an emailed link, never on a cross-site POST
    response.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/sign-in")
async def sign_in_page(
    request: Request, viewer: MaybeViewer, token: str = "", next: str = "/", ended: str = ""
) -> Response:
    if token:  # the development link `make run` prints: sign in, and drop the token from the URL
        if viewer_from_token(token) is None:
            return render(
                request,
                "sign_in.html",
                status=400,
                next_url=safe_next(next),
                ended=False,
                unreadable=True,
            )
        return signed_in_response(request, token, next)
    return render(
        request, "sign_in.html", next_url=safe_next(next), ended=bool(ended), unreadable=False
    )


@router.post("/sign-in")
async def sign_in(
    request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    if viewer_from_token(token) is None:
        return render(
            request,
            "sign_in.html",
            status=400,
            next_url=safe_next(next),
            ended=False,
            unreadable=True,
        )
    return signed_in_response(request, token, next)


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response
