"""A session's page, what a manager or tutor works with: its facts and rules in words, its seats
and waitlist, its registrations (filtered, sorted, paged, each with what it awaits and the actions
the viewer may take), adding learners one by one or in bulk, the CSV export, the sign-up answers,
and its events with their comments. The actions' routes are in registrations.py and events.py;
after a refusal they show this page again with the problem (`session_view`).
"""

import asyncio
import uuid
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import abilities, session_facts
from console.api import Api, ApiProblem
from console.bulk_lines import LineResult
from console.deps import SignedIn, ViewerApi, console_zone
from console.listing import ListQuery
from console.pages import formatters, locale_of, render
from console.texts import translate
from console.viewer import Viewer

router = APIRouter()

SORTS = ("created_at", "status", "waitlist_position")
STATUSES = ("pending", "confirmed", "waitlisted", "offered", "refused", "cancelled", "expired")
LINE_LIMIT = 500
"""The waitlist shown in full up to the API's largest page."""
EVENTS_LIMIT = 100
COMMENTS_LIMIT = 100
SIBLINGS_LIMIT = 500
REGISTRATION_MODES = ("auto", "manual", "public")
WINDOW_FIELDS = ("registration_opens_at", "registration_closes_at", "unregistration_closes_at")
REGISTRATION_TIMES = ("created_at", "offer_expires_at")
"""The times shown in the console's time zone (the API may answer them in UTC)."""


async def _optional(call: Any) -> Any:
    """A part of the page the viewer may not be allowed to read: None then, not a failed page."""
    try:
        return await call
    except ApiProblem:
        return None


async def _siblings(api: Api, session: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The other scheduled sessions of its training: where a registration may move."""
    page = await api.get(
        "/api/sessions",
        {
            "training_id": session["training_id"],
            "status": "scheduled",
            "sort": "start_date",
            "limit": SIBLINGS_LIMIT,
        },
    )
    return [item for item in page["items"] if item["id"] != session["id"]]


async def _comments(api: Api, event_id: str) -> list[dict[str, Any]]:
    page = await api.get(
        f"/api/events/{event_id}/comments", {"sort": "created_at", "limit": COMMENTS_LIMIT}
    )
    items: list[dict[str, Any]] = page["items"]
    return items


def people_named(
    ids: Sequence[str], viewer: Viewer, *sources: Iterable[Mapping[str, Any]]
) -> list[str]:
    """Each id by the name the API gave it somewhere on the page — the viewer's own, a
    comment's `author_name`, a registration's `user.name` — else the id itself: the API has no
    directory of users to ask."""
    names = {viewer.id: viewer.name}
    for source in sources:
        for item in source:
            user = item.get("user")
            if isinstance(user, Mapping) and user.get("id") and user.get("name"):
                names.setdefault(str(user["id"]), str(user["name"]))
            if item.get("author_id") and item.get("author_name"):
                names.setdefault(str(item["author_id"]), str(item["author_name"]))
    return [names.get(str(ident)) or str(ident) for ident in ids]


async def session_view(
    request: Request,
    viewer: Viewer,
    api: Api,
    session_id: uuid.UUID | str,
    *,
    problem: ApiProblem | None = None,
    kept: Mapping[str, Any] | None = None,
    bulk: list[LineResult] | None = None,
    open_event: str | None = None,
) -> Response:
    """The page; `kept` the values a refused form sent (shown again in that form: `event`,
    `learner`, `bulk`), `bulk` the lines of a bulk add and what became of each."""
    session = await api.get(f"/api/sessions/{session_id}")
    manages = abilities.manages(viewer, session)
    runs = abilities.may_run_session(viewer, session)
    listing = ListQuery.of(request, SORTS, "created_at")
    status = request.query_params.get("status")
    status = status if status in STATUSES else None
    params: dict[str, str | int] = {"session_id": session["id"], **listing.params()}
    if status:
        params["status"] = status
    line_params: dict[str, str | int] = {
        "session_id": session["id"],
        "status": "waitlisted",
        "sort": "waitlist_position",
        "limit": LINE_LIMIT,
    }
    training, seats, page, line, offered, events, siblings, answers = await asyncio.gather(
        _optional(api.get(f"/api/trainings/{session['training_id']}")),
        _optional(api.get("/api/seats", {"session_id": session["id"]})),
        api.get("/api/registrations", params),
        api.get("/api/registrations", line_params),
        api.get("/api/registrations", {**line_params, "status": "offered", "sort": "created_at"}),
        api.get(f"/api/sessions/{session['id']}/events", {"sort": "start", "limit": EVENTS_LIMIT}),
        _optional(_siblings(api, session)) if manages else _none(),
        _optional(api.get(f"/api/sessions/{session['id']}/answers"))
        if manages and session.get("questions")
        else _none(),
    )
    comments = await asyncio.gather(*(_comments(api, event["id"]) for event in events["items"]))
    locale = locale_of(request, viewer)
    fmt = formatters(locale)
    zone = console_zone(request)

    def t(key: str, **values: object) -> str:
        return translate(key, locale, **values)

    window = session_facts.in_zone(session, zone, WINDOW_FIELDS)
    registrations = [
        session_facts.in_zone(registration, zone, REGISTRATION_TIMES)
        for registration in page["items"]
    ]
    rows = [
        {
            "registration": registration,
            "awaits": session_facts.awaits(registration, t, fmt),
            "steps": abilities.validation_steps(viewer, registration, session),
            "may_refuse": abilities.may_refuse(viewer, registration, session),
            "may_cancel": abilities.may_cancel(viewer, registration, session),
            "may_move": session_facts.may_move(manages, registration) and bool(siblings),
        }
        for registration in registrations
    ]
    seat_items = (seats or {}).get("items") or []
    return render(
        request,
        "session_page/show.html",
        problem=problem,
        session=session,
        tutors=people_named(session.get("tutors") or [], viewer, page["items"], *comments),
        training=training,
        manages=manages,
        runs=runs,
        rules=session_facts.rules_in_words(window, t, fmt),
        seats=seat_items[0] if seat_items else None,
        line=line["items"],
        offered=[session_facts.in_zone(r, zone, REGISTRATION_TIMES) for r in offered["items"]],
        rows=rows,
        total=page["total"],
        listing=listing,
        status_filter=status or "",
        statuses=STATUSES,
        siblings=siblings or [],
        answers=answers,
        events=[
            {
                "event": session_facts.in_zone(event, zone),
                "comments": [
                    session_facts.in_zone(comment, zone, ("created_at",))
                    for comment in event_comments
                ],
            }
            for event, event_comments in zip(events["items"], comments, strict=True)
        ],
        events_total=events["total"],
        registration_modes=REGISTRATION_MODES,
        kept=kept or {},
        bulk=bulk,
        open_event=open_event or request.query_params.get("open", ""),
        page_url=partial(page_url, request, str(session["id"])),
        idempotency_key=lambda: str(uuid.uuid4()),
    )


def page_url(request: Request, session_id: str, **values: object) -> str:
    """The session page's URL with `values` in its query (None removes one): its sorting, its
    filter and its paging, also when the page answers an action's POST (then from none)."""
    path = f"/sessions/{session_id}"
    query: dict[str, object] = dict(request.query_params) if request.url.path == path else {}
    for key in ("done", "open"):
        query.pop(key, None)
    for key, value in values.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return path + (f"?{urlencode(query)}" if query else "") + "#registrations"


async def _none() -> None:
    return None


@router.get("/sessions/{session_id}")
async def show_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    return await session_view(request, viewer, api, session_id)
