"""A session's events (séances) from its page: create one, edit it, delete it after a confirming
step; the comments under each event's "i" (add, edit, delete); and an event's attendance: marking
each learner, validating it, the check-in code and the attendance sheets (PDF).
"""

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import abilities, forms, session_facts
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi, Zone, console_zone
from console.pages import render
from console.routes.session_page import REGISTRATION_MODES, session_view
from console.viewer import Viewer

router = APIRouter()

EVENT_INPUTS = (
    "title",
    "start",
    "end",
    "description",
    "location",
    "max_users",
    "registration_mode",
)
PRESENCES = ("present", "absent_justified", "absent_unjustified")
NAMES_LIMIT = 500
PDF_TYPE = "application/pdf"


def read_event(form: FormData, zone: ZoneInfo) -> dict[str, Any]:
    """The event form as the API's body (`registration_mode` left empty: the session's mode)."""
    body: dict[str, Any] = {
        "title": forms.text(form, "title"),
        "start": forms.moment(form, "start", zone),
        "end": forms.moment(form, "end", zone),
        "description": forms.text(form, "description"),
        "location": forms.text(form, "location"),
        "max_users": forms.number(form, "max_users"),
    }
    mode = forms.text(form, "registration_mode")
    if mode:
        body["registration_mode"] = mode
    return body


def typed(form: FormData) -> dict[str, str]:
    """What the event form held, as typed: shown again after a refusal."""
    return {name: str(form.get(name) or "") for name in EVENT_INPUTS}


def event_inputs(event: Mapping[str, Any], zone: ZoneInfo) -> dict[str, str]:
    """An event as its edit form shows it."""
    return {
        "title": event.get("title") or "",
        "start": forms.local_input(event.get("start"), zone),
        "end": forms.local_input(event.get("end"), zone),
        "description": event.get("description") or "",
        "location": event.get("location") or "",
        "max_users": "" if event.get("max_users") is None else str(event["max_users"]),
        "registration_mode": event.get("registration_mode") or "",
    }


def _to_session(session_id: object, done: str, event_id: object = None) -> RedirectResponse:
    if event_id is None:
        return RedirectResponse(f"/sessions/{session_id}?done={done}#events", 303)
    return RedirectResponse(
        f"/sessions/{session_id}?done={done}&open={event_id}#event-{event_id}", 303
    )


# --- events ------------------------------------------------------------------------------------


@router.post("/sessions/{session_id}/events")
async def create_event(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    form = await request.form()
    try:
        event = await api.post(
            f"/api/sessions/{session_id}/events",
            read_event(form, zone),
            idempotency_key=forms.text(form, "idempotency_key") or "",
        )
    except ApiProblem as problem:
        kept = {"event": typed(form)}
        return await session_view(request, viewer, api, session_id, problem=problem, kept=kept)
    return _to_session(session_id, "event_created", event["id"])


async def _edit_page(
    request: Request,
    api: Api,
    event: Mapping[str, Any],
    values: Mapping[str, str],
    problem: ApiProblem | None = None,
) -> Response:
    session = await api.get(f"/api/sessions/{event['session_id']}")
    return render(
        request,
        "events/edit.html",
        problem=problem,
        event=event,
        session=session,
        values=values,
        registration_modes=REGISTRATION_MODES,
    )


@router.get("/events/{event_id}/edit")
async def edit_event_form(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    event = await api.get(f"/api/events/{event_id}")
    return await _edit_page(request, api, event, event_inputs(event, zone))


@router.post("/events/{event_id}/edit")
async def edit_event(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    form = await request.form()
    try:
        event = await api.patch(f"/api/events/{event_id}", read_event(form, zone))
    except ApiProblem as problem:
        event = await api.get(f"/api/events/{event_id}")
        return await _edit_page(request, api, event, typed(form), problem)
    return _to_session(event["session_id"], "event_saved", event["id"])


@router.get("/events/{event_id}/delete")
async def delete_event_form(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    event = await api.get(f"/api/events/{event_id}")
    session = await api.get(f"/api/sessions/{event['session_id']}")
    shown = session_facts.in_zone(event, console_zone(request))
    return render(request, "events/delete.html", event=shown, session=session)


@router.post("/events/{event_id}/delete")
async def delete_event(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    event = await api.get(f"/api/events/{event_id}")
    try:
        await api.delete(f"/api/events/{event_id}")
    except ApiProblem as problem:
        session = await api.get(f"/api/sessions/{event['session_id']}")
        return render(request, "events/delete.html", problem=problem, event=event, session=session)
    return _to_session(event["session_id"], "event_deleted")


# --- comments ----------------------------------------------------------------------------------


async def _comment_action(
    request: Request,
    viewer: Viewer,
    api: Api,
    event_id: uuid.UUID,
    call: Callable[[], Awaitable[Any]],
    done: str,
) -> Response:
    event = await api.get(f"/api/events/{event_id}")
    try:
        await call()
    except ApiProblem as problem:
        return await session_view(
            request, viewer, api, event["session_id"], problem=problem, open_event=event["id"]
        )
    return _to_session(event["session_id"], done, event["id"])


@router.post("/events/{event_id}/comments")
async def add_comment(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    body = forms.text(await request.form(), "body") or ""
    return await _comment_action(
        request,
        viewer,
        api,
        event_id,
        lambda: api.post(f"/api/events/{event_id}/comments", {"body": body}),
        "comment_added",
    )


@router.post("/events/{event_id}/comments/{comment_id}/edit")
async def edit_comment(
    request: Request, event_id: uuid.UUID, comment_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    body = forms.text(await request.form(), "body") or ""
    return await _comment_action(
        request,
        viewer,
        api,
        event_id,
        lambda: api.patch(f"/api/comments/{comment_id}", {"body": body}),
        "comment_saved",
    )


@router.post("/events/{event_id}/comments/{comment_id}/delete")
async def delete_comment(
    request: Request, event_id: uuid.UUID, comment_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    return await _comment_action(
        request,
        viewer,
        api,
        event_id,
        lambda: api.delete(f"/api/comments/{comment_id}"),
        "comment_deleted",
    )


# --- attendance --------------------------------------------------------------------------------


def read_presences(form: FormData) -> list[dict[str, str]]:
    """The attendance form's rows (`user-<n>`, `status-<n>`, `note-<n>`) as the PUT's items; a
    row left without a status is not sent (it stays as it is)."""
    items = []
    rows = forms.text(form, "rows") or "0"
    for n in range(min(int(rows), NAMES_LIMIT) if rows.isdigit() else 0):
        user_id = forms.text(form, f"user-{n}")
        status = forms.text(form, f"status-{n}")
        if not user_id or not status:
            continue
        note = form.get(f"note-{n}")
        items.append({"user_id": user_id, "status": status, "note": str(note or "").strip()})
    return items


async def _names(api: Api, session_id: str) -> dict[str, Mapping[str, Any]]:
    """The learners of the session by their id (an attendance list names only ids)."""
    page = await api.get(
        "/api/registrations", {"session_id": session_id, "limit": NAMES_LIMIT, "sort": "created_at"}
    )
    return {item["user"]["id"]: item["user"] for item in page["items"]}


async def _check_in_code(api: Api, event_id: uuid.UUID) -> Any:
    try:
        return await api.get(f"/api/events/{event_id}/check-in-code")
    except ApiProblem:
        return None


async def _attendance_page(
    request: Request,
    viewer: Viewer,
    api: Api,
    event_id: uuid.UUID,
    problem: ApiProblem | None = None,
) -> Response:
    zone = console_zone(request)
    event = await api.get(f"/api/events/{event_id}")
    session, attendance, code, names = await asyncio.gather(
        api.get(f"/api/sessions/{event['session_id']}"),
        api.get(f"/api/events/{event_id}/attendance"),
        _check_in_code(api, event_id),
        _names(api, event["session_id"]),
    )
    return render(
        request,
        "events/attendance.html",
        problem=problem,
        event=session_facts.in_zone(event, zone),
        session=session,
        attendance={
            **attendance,
            "items": [
                session_facts.in_zone(item, zone, ("signed_at",)) for item in attendance["items"]
            ],
        },
        code=session_facts.in_zone(code, zone, ("valid_from", "valid_until")) if code else None,
        names=names,
        presences=PRESENCES,
        manages=abilities.manages(viewer, session),
    )


@router.get("/events/{event_id}/attendance")
async def attendance(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    return await _attendance_page(request, viewer, api, event_id)


def _to_attendance(event_id: uuid.UUID, done: str) -> RedirectResponse:
    return RedirectResponse(f"/events/{event_id}/attendance?done={done}", 303)


async def _post_attendance(
    request: Request, viewer: SignedIn, api: ViewerApi, event_id: uuid.UUID, path: str, done: str
) -> Response:
    try:
        await api.post(f"/api/events/{event_id}/{path}")
    except ApiProblem as problem:
        return await _attendance_page(request, viewer, api, event_id, problem)
    return _to_attendance(event_id, done)


@router.post("/events/{event_id}/attendance")
async def mark_attendance(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    items = read_presences(await request.form())
    try:
        await api.put(f"/api/events/{event_id}/attendance", {"items": items})
    except ApiProblem as problem:
        return await _attendance_page(request, viewer, api, event_id, problem)
    return _to_attendance(event_id, "attendance_saved")


@router.post("/events/{event_id}/attendance/validate")
async def validate_attendance(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    return await _post_attendance(
        request, viewer, api, event_id, "attendance/validate", "attendance_validated"
    )


@router.post("/events/{event_id}/check-in-code")
async def new_check_in_code(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    return await _post_attendance(
        request, viewer, api, event_id, "check-in-code", "check_in_code_renewed"
    )


@router.get("/events/{event_id}/attendance-sheet.pdf")
async def attendance_sheet(
    request: Request, event_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    filled = "true" if request.query_params.get("filled") == "true" else "false"
    answer = await api.download(f"/api/events/{event_id}/attendance-sheet", {"filled": filled})
    name = f"attendance-{event_id}{'-filled' if filled == 'true' else ''}.pdf"
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", PDF_TYPE),
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
