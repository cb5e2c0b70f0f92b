"""A manager's or tutor's message to a session's learners (the dialog, then what became of it:
recipients, inbox messages written, emails by status), and the platform's email log."""

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import abilities, forms, learning
from console.api import ApiProblem
from console.deps import SignedIn, ViewerApi, Zone
from console.listing import ListQuery
from console.pages import render

router = APIRouter()

CHANNELS = {"internal": ["internal"], "email": ["email"], "both": ["internal", "email"]}
AUDIENCES = ("confirmed", "all")
DELIVERY_STATUSES = ("pending", "sent", "captured", "failed", "suppressed")
DELIVERY_KINDS = (
    "registration.confirmation_requested",
    "registration.pending",
    "registration.confirmed",
    "registration.waitlisted",
    "registration.offered",
    "registration.promoted",
    "registration.offer_declined",
    "registration.offer_expired",
    "registration.refused",
    "registration.cancelled",
    "registration.expired",
    "registration.moved",
    "registration.awaits_validation",
    "registration.certificate_available",
    "session.cancelled",
    "session.rescheduled",
    "session.message",
    "event.reminder",
    "event.changed",
    "event.cancelled",
    "event_registration.registered",
    "event_registration.waitlisted",
    "event_registration.promoted",
    "event_registration.cancelled",
)
"""The kinds notification writes (its templates' names), offered by the log's filter."""


def message_from_form(form: FormData, session_id: str) -> dict[str, Any]:
    """The body of `POST /api/messages`; an unknown channel choice is sent as typed (422)."""
    channel = forms.text(form, "channels") or "both"
    return {
        "session_id": session_id,
        "subject": forms.text(form, "subject") or "",
        "body": forms.text(form, "body") or "",
        "channels": CHANNELS.get(channel, [channel]),
        "audience": forms.text(form, "audience") or "confirmed",
    }


def channel_choice(channels: object) -> str:
    """The radio the form shows checked for a body's `channels`."""
    for choice, value in CHANNELS.items():
        if channels == value:
            return choice
    return "both"


@router.get("/sessions/{session_id}/message")
async def message_dialog(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    if not abilities.may_run_session(viewer, session):
        return render(request, "messages/forbidden.html", status=403)
    values = {
        "subject": "",
        "body": "",
        "channels": "both",
        "audience": "confirmed",
        "key": uuid.uuid4().hex,
    }
    return render(request, "messages/dialog.html", session=session, values=values)


@router.post("/sessions/{session_id}/message")
async def send_message(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    form = await request.form()
    body = message_from_form(form, str(session_id))
    key = forms.text(form, "key") or ""
    try:
        # the dialog's own key: a second click on "send" sends nothing more
        posted = await api.post(
            "/api/messages", body, idempotency_key=key if key.isalnum() and len(key) <= 64 else ""
        )
    except ApiProblem as problem:
        session = await api.get(f"/api/sessions/{session_id}")
        values = {**body, "channels": channel_choice(body["channels"]), "key": uuid.uuid4().hex}
        return render(
            request, "messages/dialog.html", problem=problem, session=session, values=values
        )
    return RedirectResponse(f"/messages/{posted['id']}?done=message_sent", 303)


@router.get("/messages/{message_id}")
async def message_report(
    request: Request, message_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    report = await api.get(f"/api/messages/{message_id}")
    session: dict[str, Any] | None
    try:
        session = await api.get(f"/api/sessions/{report['session_id']}")
    except ApiProblem:
        session = None
    return render(
        request,
        "messages/report.html",
        report=report,
        session=session,
        sent_at=learning.in_zone(report.get("created_at"), zone),
        channel=channel_choice(report.get("channels")),
    )


@router.get("/deliveries")
async def deliveries(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    if not abilities.may_see_deliveries(viewer):
        return render(request, "messages/forbidden.html", status=403)
    listing = ListQuery.of(
        request, ("created_at", "updated_at", "status", "attempts", "kind"), "created_at", "desc"
    )
    status = request.query_params.get("status", "")
    kind = request.query_params.get("kind", "")
    params: dict[str, str | int] = dict(listing.params())
    if status in DELIVERY_STATUSES:
        params["status"] = status
    else:
        status = ""
    if kind in DELIVERY_KINDS:
        params["kind"] = kind
    else:
        kind = ""
    page = await api.get("/api/deliveries", params)
    items = [
        {**item, "at": learning.in_zone(item.get("created_at"), zone)} for item in page["items"]
    ]
    return render(
        request,
        "messages/deliveries.html",
        deliveries=items,
        total=page["total"],
        listing=listing,
        status_filter=status,
        kind_filter=kind,
        statuses=DELIVERY_STATUSES,
        kinds=DELIVERY_KINDS,
    )
