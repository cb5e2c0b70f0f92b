"""The first page: who is signed in and what they may do here; and what awaits them
(/awaiting): the registrations waiting for a validation they may give, and the sessions they
tutor or validate — the way in for an organization manager, a named validator or a tutor, whom
no role of the token names."""

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console import abilities, learning
from console.api import Api
from console.deps import SignedIn, ViewerApi, Zone
from console.pages import render
from console.routes.learner import sessions_of, under_way
from console.viewer import Viewer

router = APIRouter()

AWAITING_STATUSES = ("pending", "waitlisted", "offered")
"""The statuses in which a validation may still be given."""
LIMIT = 500
"""The API's largest page: more than that is said, and each session's page has them all."""


@router.get("/")
async def home(request: Request, viewer: SignedIn) -> Response:
    return render(request, "home.html")


async def _coming_sessions(api: Api, today: Any) -> list[dict[str, Any]]:
    """The scheduled sessions under way or to come (the first LIMIT of those to come)."""
    params: dict[str, str | int] = {
        "status": "scheduled",
        "starts_after": today.isoformat(),
        "sort": "start_date",
        "limit": LIMIT,
    }
    going, page = await asyncio.gather(under_way(api, "", today), api.get("/api/sessions", params))
    return [*going, *page["items"]]


def theirs(viewer: Viewer, sessions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The sessions the viewer tutors or validates."""
    return [s for s in sessions if abilities.tutors(viewer, s) or abilities.validator_of(viewer, s)]


def awaiting_rows(
    viewer: Viewer,
    registrations: Sequence[Mapping[str, Any]],
    sessions: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Each registration with the steps the viewer may give now, oldest request first."""
    rows = []
    for registration in sorted(registrations, key=lambda r: str(r.get("created_at") or "")):
        session = sessions.get(str(registration.get("session_id")))
        if session is None:
            continue
        steps = abilities.validation_steps(viewer, registration, session)
        if steps:
            rows.append({"registration": registration, "session": session, "steps": steps})
    return rows


@router.get("/awaiting")
async def awaiting(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    today = datetime.now(zone).date()
    listed = [
        api.get("/api/registrations", {"status": status, "sort": "created_at", "limit": LIMIT})
        for status in AWAITING_STATUSES
    ]
    coming, *pages = await asyncio.gather(_coming_sessions(api, today), *listed)
    registrations = [
        registration
        for page in pages
        for registration in page["items"]
        if registration.get("pending_validations")
    ]
    known = {str(session["id"]): session for session in coming}
    missing = [ident for ident in learning.session_ids(registrations) if ident not in known]
    sessions = {**known, **await sessions_of(api, missing)}
    rows = [
        {**row, "created_at": learning.in_zone(row["registration"].get("created_at"), zone)}
        for row in awaiting_rows(viewer, registrations, sessions)
    ]
    return render(
        request,
        "awaiting.html",
        rows=rows,
        more=any(page["total"] > len(page["items"]) for page in pages),
        sessions=theirs(viewer, coming),
    )
