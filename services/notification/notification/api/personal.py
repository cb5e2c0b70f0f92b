"""A person's calendar feed and email preferences (`/api/...`, with a token), and the two
addresses that carry their own secret instead (`/calendar/...`, `/unsubscribe/...`)."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Response
from fastapi.responses import HTMLResponse

from notification.api.models import CalendarFeed, Preferences
from notification.api.routes import NotificationService
from notification.feeds import not_modified
from notification.pages import unsubscribe_page
from shared.auth import CurrentPrincipal
from shared.openapi import problems

# a URL's own secret (43 characters today); longer is no secret of ours
SECRET_TEXT = 200
Secret = Annotated[str, Path(max_length=SECRET_TEXT)]
IfNoneMatch = Annotated[str | None, Header(max_length=SECRET_TEXT)]

router = APIRouter(prefix="/api")
public = APIRouter()

# a URL that is its own credential: kept out of caches, referrers and search engines
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
PAGE_HEADERS = {
    **PRIVATE_HEADERS,
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


@router.get("/calendar", response_model=CalendarFeed)
async def calendar_url(
    reader: CurrentPrincipal, notifications: NotificationService
) -> CalendarFeed:
    """The caller's calendar subscription URL, the same until rotated. It needs no token:
    whoever has it reads the caller's events."""
    return CalendarFeed(url=await notifications.calendar_url(reader))


@router.post("/calendar/rotate", response_model=CalendarFeed)
async def rotate_calendar(
    reader: CurrentPrincipal, notifications: NotificationService
) -> CalendarFeed:
    """A new subscription URL; the previous one answers 404 from now on."""
    return CalendarFeed(url=await notifications.rotate_calendar(reader))


@router.get("/preferences", response_model=Preferences)
async def preferences(reader: CurrentPrincipal, notifications: NotificationService) -> Preferences:
    """Which optional emails the caller gets (everything on until they choose)."""
    return Preferences.of(await notifications.preferences(reader))


@router.put("/preferences", response_model=Preferences)
async def set_preferences(
    chosen: Preferences, reader: CurrentPrincipal, notifications: NotificationService
) -> Preferences:
    return Preferences.of(await notifications.set_preferences(reader, chosen.chosen()))


@public.get(
    "/calendar/{secret}.ics",
    response_class=Response,
    responses={
        **problems(404),
        200: {
            "content": {"text/calendar": {"schema": {"type": "string"}}},
            "description": "The events the feed's owner is registered to or tutors, from 90 "
            "days ago on (RFC 5545), with an ETag.",
        },
        304: {"description": "If-None-Match names the current ETag."},
    },
)
async def calendar_feed(
    secret: Secret, notifications: NotificationService, if_none_match: IfNoneMatch = None
) -> Response:
    """A calendar subscription, without a token: the secret in the path is the credential."""
    return await _feed_answer(notifications, secret, if_none_match, with_calendar=True)


@public.head("/calendar/{secret}.ics", response_class=Response, responses=problems(404))
async def calendar_feed_head(
    secret: Secret, notifications: NotificationService, if_none_match: IfNoneMatch = None
) -> Response:
    """What a GET would answer, without the calendar: some clients ask before they fetch."""
    return await _feed_answer(notifications, secret, if_none_match, with_calendar=False)


async def _feed_answer(
    notifications: NotificationService,
    secret: str,
    if_none_match: str | None,
    *,
    with_calendar: bool,
) -> Response:
    feed = await notifications.calendar_feed(secret)
    headers = {**PRIVATE_HEADERS, "ETag": feed.etag}
    if not_modified(if_none_match, feed.etag):
        return Response(status_code=304, headers=headers)
    body = feed.text if with_calendar else None
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)


@public.get(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    responses=problems(404),
)
async def unsubscribe_form(token: Secret, notifications: NotificationService) -> HTMLResponse:
    """A short page, in the user's language, with a button that unsubscribes (a form)."""
    found = await notifications.unsubscription(token, confirm=False)
    page = unsubscribe_page(found.category, found.locale, done=False)
    return HTMLResponse(page, headers=PAGE_HEADERS)


@public.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    responses=problems(404),
)
async def unsubscribe(token: Secret, notifications: NotificationService) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058), without a token: that category of emails off for the
    link's user. Whatever the body (`List-Unsubscribe=One-Click`, or none)."""
    found = await notifications.unsubscription(token, confirm=True)
    page = unsubscribe_page(found.category, found.locale, done=True)
    return HTMLResponse(page, headers=PAGE_HEADERS)
