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


def over_https(request: Request) -> bool:
    """The browser's own request was https: this one's scheme, or what the gateway says it
    was (X-Forwarded-Proto: a TLS ingress before it). Read here rather than trusting every
    proxy: a client that forges it only makes its own cookie stricter."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def signed_in_response(request: Request, token: str, next_url: str | None) -> Response:
    response = RedirectResponse(safe_next(next_url), status_code=303)
    # no Max-Age nor Expires: the browser forgets it when its session ends; HttpOnly: no script
    # on the page can read it; Lax: sent when following an emailed link, never on a cross-site POST
    response.set_cookie(
        TOKEN_COOKIE,
        token.strip(),
        httponly=True,
        samesite="lax",
        secure=over_https(request),
        path="/",
    )
    return response


@router.get("/sign-in")
async def sign_in_page(
    request: Request, viewer: MaybeViewer, token: str = "", next: str = "/", ended: str = ""
) -> Response:
    if token and request.app.state.environment != "local":
        # a link that signs in is a login CSRF anywhere but on a developer's own machine: anyone
        # could make a browser sign in as them; the token is not used, the form says why
        return _form(request, next, link_off=True)
    if token:  # the development link `make run` prints: sign in, and drop the token from the URL
        return _signed_in_or_refused(request, token, next)
    return _form(request, next, ended=bool(ended))


@router.post("/sign-in")
async def sign_in(
    request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    return _signed_in_or_refused(request, token, next)


def _signed_in_or_refused(request: Request, token: str, next_url: str) -> Response:
    if not token.isascii():  # "€" pasted: no header nor cookie could carry it
        return _form(request, next_url, status=400, refusal="sign_in.not_a_token")
    if viewer_from_token(token) is None:
        return _form(request, next_url, status=400, refusal="sign_in.unreadable")
    return signed_in_response(request, token, next_url)


def _form(
    request: Request,
    next_url: str,
    *,
    status: int = 200,
    refusal: str = "",
    ended: bool = False,
    link_off: bool = False,
) -> Response:
    return render(
        request,
        "sign_in.html",
        status=status,
        next_url=safe_next(next_url),
        ended=ended,
        refusal=refusal,
        link_off=link_off,
    )


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/")
    return response
