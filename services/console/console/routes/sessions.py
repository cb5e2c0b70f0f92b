"""The sessions table (sortable, filtered by training, status and dates, paged, with each row's
actions and its events unfolding), session creation from a training found by title or code, the
edit form, cancellation and deletion. The session's own page (/sessions/{id}) is session_page's.
"""

import asyncio
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import abilities, forms, rules_form
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi, Zone
from console.listing import ListQuery
from console.pages import render
from console.viewer import Viewer

router = APIRouter()

SORTS = ("title", "start_date", "end_date", "created_at")
STATUSES = ("scheduled", "cancelled")
EVENTS_SHOWN = 50
"""A row unfolds this many of its session's events (its page has them all)."""
CHOICES_LIMIT = 500
"""The trainings and curricula offered in a select: the API's largest page."""
WINDOW_FIELDS = ("registration_opens_at", "registration_closes_at", "unregistration_closes_at")


def read_session(form: FormData, zone: ZoneInfo) -> dict[str, Any]:
    """The session form as the API's body: its own fields, its window, then its rules."""
    return {
        "title": forms.text(form, "title"),
        "start_date": forms.text(form, "start_date"),
        "end_date": forms.text(form, "end_date"),
        "description": forms.text(form, "description"),
        "location": forms.text(form, "location"),
        "workspace_url": forms.text(form, "workspace_url"),
        "default_session": forms.flag(form, "default_session"),
        "tutors": forms.words(form, "tutors"),
        "curriculum_id": forms.text(form, "curriculum_id"),
        **{name: forms.moment(form, name, zone) for name in WINDOW_FIELDS},
        **rules_form.read_rules(form),
    }


def _day(raw: str | None) -> str | None:
    """A date filter of the query: kept when it reads as a date, else dropped."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


def _uuid(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


async def _all_trainings(api: Api) -> list[dict[str, Any]]:
    page = await api.get("/api/trainings", {"sort": "title", "limit": CHOICES_LIMIT})
    items: list[dict[str, Any]] = page["items"]
    return items


async def _events(api: Api, session_id: str) -> dict[str, Any]:
    page: dict[str, Any] = await api.get(
        f"/api/sessions/{session_id}/events", {"sort": "start", "limit": EVENTS_SHOWN}
    )
    return page


def in_zone(event: Mapping[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """An event with its times in the console's time zone, where the trainings take place (the
    API answers them in UTC)."""
    shown = dict(event)
    for name in ("start", "end"):
        shown[name] = datetime.fromisoformat(event[name]).astimezone(zone).isoformat()
    return shown


@router.get("/sessions")
async def list_sessions(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    listing = ListQuery.of(request, SORTS, "start_date")
    query = request.query_params
    filters = {
        "training_id": _uuid(query.get("training_id")),
        "status": query.get("status") if query.get("status") in STATUSES else None,
        "starts_after": _day(query.get("starts_after")),
        "starts_before": _day(query.get("starts_before")),
        "q": (query.get("q") or "").strip() or None,
    }
    params: dict[str, str | int] = {
        **listing.params(),
        **{key: value for key, value in filters.items() if value},
    }
    page, trainings = await asyncio.gather(api.get("/api/sessions", params), _all_trainings(api))
    sessions: list[dict[str, Any]] = page["items"]
    by_id = {training["id"]: training for training in trainings}
    missing = sorted({s["training_id"] for s in sessions if s["training_id"] not in by_id})
    for training in await asyncio.gather(*(api.get(f"/api/trainings/{i}") for i in missing)):
        by_id[training["id"]] = training
    events = await asyncio.gather(*(_events(api, session["id"]) for session in sessions))
    rows = [
        {
            "session": session,
            "training": by_id.get(session["training_id"]),
            "events": [in_zone(event, zone) for event in session_events["items"]],
            "events_total": session_events["total"],
            "manages": abilities.manages(viewer, session),
            "runs": abilities.may_run_session(viewer, session),
        }
        for session, session_events in zip(sessions, events, strict=True)
    ]
    return render(
        request,
        "sessions/list.html",
        rows=rows,
        total=page["total"],
        listing=listing,
        filters={key: value or "" for key, value in filters.items()},
        trainings=trainings,
        statuses=STATUSES,
    )


@router.get("/sessions/new")
async def new_session(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    training_id = _uuid(request.query_params.get("training_id"))
    if training_id is None:
        return await _pick_training(request, viewer, api)
    training = await api.get(f"/api/trainings/{training_id}")
    values = {"title": training["title"], **rules_form.rules_of(training)}
    return await _new_form(request, api, training, values, zone, None)


async def _pick_training(request: Request, viewer: Viewer, api: Api) -> Response:
    """The first step: a training found by its title or code."""
    q = (request.query_params.get("q") or "").strip()
    found: list[dict[str, Any]] = []
    total = 0
    if q:
        page = await api.get("/api/trainings", {"q": q, "sort": "title", "limit": 50})
        found = [training for training in page["items"] if abilities.manages(viewer, training)]
        total = page["total"]
    return render(request, "sessions/pick_training.html", q=q, found=found, total=total)


async def _new_form(
    request: Request,
    api: Api,
    training: Mapping[str, Any],
    values: Mapping[str, Any],
    zone: ZoneInfo,
    problem: ApiProblem | None,
) -> Response:
    return render(
        request,
        "sessions/new.html",
        problem=problem,
        training=training,
        values=values,
        curricula=await _curricula(api),
        window=_window_inputs(values, zone),
        rules_form=rules_form,
    )


@router.post("/sessions/new")
async def create_session(
    request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    form = await request.form()
    training_id = _uuid(forms.text(form, "training_id"))
    if training_id is None:
        return RedirectResponse("/sessions/new", 303)
    body = read_session(form, zone)
    try:
        session = await api.post(f"/api/trainings/{training_id}/sessions", body)
    except ApiProblem as problem:
        training = await api.get(f"/api/trainings/{training_id}")
        return await _new_form(request, api, training, body, zone, problem)
    return RedirectResponse(f"/sessions/{session['id']}?done=session_created", 303)


@router.get("/sessions/{session_id}/edit")
async def edit_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    return await _edit_form(request, api, session, session, zone, None)


async def _edit_form(
    request: Request,
    api: Api,
    session: Mapping[str, Any],
    values: Mapping[str, Any],
    zone: ZoneInfo,
    problem: ApiProblem | None,
) -> Response:
    training, curricula = await asyncio.gather(
        api.get(f"/api/trainings/{session['training_id']}"), _curricula(api)
    )
    return render(
        request,
        "sessions/edit.html",
        problem=problem,
        session=session,
        training=training,
        values=values,
        curricula=curricula,
        window=_window_inputs(values, zone),
        rules_form=rules_form,
    )


@router.post("/sessions/{session_id}/edit")
async def update_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    body = read_session(await request.form(), zone)
    try:
        await api.patch(f"/api/sessions/{session_id}", body)
    except ApiProblem as problem:
        session = await api.get(f"/api/sessions/{session_id}")
        return await _edit_form(request, api, session, body, zone, problem)
    return RedirectResponse(f"/sessions/{session_id}?done=session_saved", 303)


@router.get("/sessions/{session_id}/cancel")
async def cancel_form(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    return render(request, "sessions/cancel.html", session=session, reason="")


@router.post("/sessions/{session_id}/cancel")
async def cancel_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    reason = forms.text(await request.form(), "reason")
    try:
        await api.post(f"/api/sessions/{session_id}/cancel", {"reason": reason})
    except ApiProblem as problem:
        session = await api.get(f"/api/sessions/{session_id}")
        return render(
            request, "sessions/cancel.html", problem=problem, session=session, reason=reason or ""
        )
    return RedirectResponse(f"/sessions/{session_id}?done=session_cancelled", 303)


@router.get("/sessions/{session_id}/delete")
async def delete_form(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    return render(request, "sessions/delete.html", session=session)


@router.post("/sessions/{session_id}/delete")
async def delete_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    try:
        await api.delete(f"/api/sessions/{session_id}")
    except ApiProblem as problem:
        session = await api.get(f"/api/sessions/{session_id}")
        return render(request, "sessions/delete.html", problem=problem, session=session)
    return RedirectResponse("/sessions?done=session_deleted", 303)


async def _curricula(api: Api) -> list[dict[str, Any]]:
    page = await api.get("/api/curricula", {"sort": "code", "limit": CHOICES_LIMIT})
    items: list[dict[str, Any]] = page["items"]
    return items


def _window_inputs(values: Mapping[str, Any], zone: ZoneInfo) -> dict[str, str]:
    """The registration window as its `datetime-local` inputs show it; a value typed that does
    not read as a time, or that no clock of the zone shows (`0001-01-01T00:00+14:00` is before
    year 1 in Paris: OverflowError), is shown again as typed."""
    shown: dict[str, str] = {}
    for name in WINDOW_FIELDS:
        value = values.get(name)
        try:
            shown[name] = forms.local_input(value, zone)
        except (ValueError, OverflowError):
            shown[name] = str(value)
    return shown
