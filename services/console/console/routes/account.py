"""The viewer's own things: the inbox (unread filter, paged, each message marked read), and the
account page (the calendar feed's URL to copy and rotate, which optional emails they get)."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import forms, learning
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi, Zone
from console.listing import ListQuery
from console.pages import render
from console.routes.sign_in import safe_next

router = APIRouter()

EMAIL_CATEGORIES = ("reminders", "messages", "changes")


def preferences_from_form(form: FormData) -> dict[str, dict[str, bool]]:
    """The body of `PUT /api/preferences`: each category's checkbox, ticked or not."""
    return {"email": {name: forms.flag(form, name) for name in EMAIL_CATEGORIES}}


@router.get("/inbox")
async def inbox(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    listing = ListQuery.of(request, ("created_at",), "created_at", "desc")
    unread = request.query_params.get("unread") == "1"
    params: dict[str, str | int] = {"limit": listing.limit, "offset": listing.offset}
    if unread:
        params["unread"] = "true"
    page = await api.get("/api/inbox", params)
    messages = [
        {**message, "at": learning.in_zone(message.get("created_at"), zone)}
        for message in page["items"]
    ]
    return render(
        request,
        "account/inbox.html",
        messages=messages,
        total=page["total"],
        unread_count=page.get("unread", 0),
        unread=unread,
        listing=listing,
        back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


@router.post("/inbox/{message_id}/read")
async def mark_read(
    request: Request, message_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    form = await request.form()
    back = safe_next(forms.text(form, "back") or "/inbox")
    await api.post(f"/api/inbox/{message_id}/read", {})
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}done=inbox_read#message-{message_id}", 303)


async def _account_page(
    request: Request,
    api: Api,
    *,
    preferences: dict[str, Any] | None = None,
    problem: ApiProblem | None = None,
) -> Response:
    feed = await api.get("/api/calendar")
    if preferences is None:
        preferences = await api.get("/api/preferences")
    return render(
        request,
        "account/account.html",
        problem=problem,
        calendar_url=feed["url"],
        email=preferences.get("email", {}),
        categories=EMAIL_CATEGORIES,
    )


@router.get("/account")
async def account(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    return await _account_page(request, api)


@router.post("/account/calendar/rotate")
async def rotate_calendar(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    await api.post("/api/calendar/rotate", {})
    return RedirectResponse("/account?done=calendar_rotated#calendar", 303)


@router.post("/account/preferences")
async def save_preferences(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    body = preferences_from_form(await request.form())
    try:
        await api.put("/api/preferences", body)
    except ApiProblem as problem:
        return await _account_page(request, api, preferences=body, problem=problem)
    return RedirectResponse("/account?done=preferences_saved#preferences", 303)
