"""The learner's screens: the catalog of sessions (seats left, open now), one session with its
register form and sign-up questions, and their own registrations (what each awaits, the offer
to answer, cancelling, completion and the certificate)."""

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from console import learning
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi, Zone
from console.listing import ListQuery
from console.pages import locale_of, render
from console.texts import translate
from console.viewer import Viewer

router = APIRouter()

REGISTRATION_SORTS = ("created_at", "status")


async def seats_of(api: Api, session_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What `GET /api/seats` knows of each session (one not yet known is missing)."""
    if not session_ids:
        return {}
    page = await api.get("/api/seats", {"session_id": list(session_ids)})
    return {str(item["session_id"]): item for item in page.get("items", [])}


async def sessions_of(api: Api, session_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each session by id, fetched together; one the catalog no longer has is missing."""

    async def one(session_id: str) -> dict[str, Any] | None:
        try:
            session: dict[str, Any] = await api.get(f"/api/sessions/{session_id}")
        except ApiProblem as problem:
            if problem.status in (403, 404):
                return None
            raise
        return session

    found = await asyncio.gather(*(one(ident) for ident in session_ids))
    return {ident: s for ident, s in zip(session_ids, found, strict=True) if s is not None}


CATALOG_SORTS = ("start_date", "title")
CATALOG_VIEWS = ("coming", "begun")
"""`coming`: the sessions starting today or later; `begun`: those that started before."""
UNDER_WAY_LIMIT = 50
"""Sessions begun and not yet ended shown above the coming ones (the API's `end_date` sort
brings them first)."""


def catalog_params(view: str, listing: ListQuery, q: str, today: date) -> dict[str, str | int]:
    """`GET /api/sessions` for a view of the catalog: scheduled sessions, the coming ones from
    today on (soonest first by default), or those begun before today (latest first)."""
    params: dict[str, str | int] = {**listing.params(), "status": "scheduled"}
    if view == "begun":
        params["starts_before"] = (today - timedelta(days=1)).isoformat()
    else:
        params["starts_after"] = today.isoformat()
    if q:
        params["q"] = q
    return params


async def under_way(api: Api, q: str, today: date) -> list[dict[str, Any]]:
    """The scheduled sessions begun before today that have not ended: the API filters on
    `start_date` only, so the begun ones latest-ending first, kept while they end today or
    later."""
    params: dict[str, str | int] = {
        "status": "scheduled",
        "starts_before": (today - timedelta(days=1)).isoformat(),
        "sort": "end_date",
        "order": "desc",
        "limit": UNDER_WAY_LIMIT,
    }
    if q:
        params["q"] = q
    page = await api.get("/api/sessions", params)
    found: list[dict[str, Any]] = []
    for session in page["items"]:
        if str(session.get("end_date") or "") < today.isoformat():
            break
        found.append(session)
    return found


@router.get("/catalog")
async def catalog(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    view = request.query_params.get("view")
    view = view if view in CATALOG_VIEWS else "coming"
    listing = ListQuery.of(
        request, CATALOG_SORTS, "start_date", "desc" if view == "begun" else "asc"
    )
    q = (request.query_params.get("q") or "").strip()[:200]
    today = datetime.now(zone).date()
    first_coming_page = view == "coming" and listing.offset == 0
    page, going = await asyncio.gather(
        api.get("/api/sessions", catalog_params(view, listing, q, today)),
        under_way(api, q, today) if first_coming_page else _nothing(),
    )
    sessions = page["items"]
    seats = await seats_of(api, [str(s["id"]) for s in [*going, *sessions]])
    return render(
        request,
        "learner/catalog.html",
        view=view,
        sessions=sessions,
        under_way=going,
        seats=seats,
        total=page["total"],
        listing=listing,
        q=q,
    )


async def _nothing() -> list[dict[str, Any]]:
    return []


EVENTS_SHOWN = 100
COMMENTS_SHOWN = 100


async def events_with_comments(api: Api, session_id: str, zone: Any) -> dict[str, Any]:
    """The session's events, soonest first, each with its comments (anyone signed in reads
    them: the managers and tutors write them for the learners), times in the console's zone."""
    page = await api.get(
        f"/api/sessions/{session_id}/events", {"sort": "start", "limit": EVENTS_SHOWN}
    )
    comments = await asyncio.gather(
        *(
            api.get(
                f"/api/events/{event['id']}/comments",
                {"sort": "created_at", "limit": COMMENTS_SHOWN},
            )
            for event in page["items"]
        )
    )
    items = [
        {
            "event": {
                **event,
                "start": learning.in_zone(event.get("start"), zone),
                "end": learning.in_zone(event.get("end"), zone),
            },
            "comments": [
                {**comment, "created_at": learning.in_zone(comment.get("created_at"), zone)}
                for comment in found["items"]
            ],
        }
        for event, found in zip(page["items"], comments, strict=True)
    ]
    return {"items": items, "total": page["total"]}


async def _own_active(api: Api, viewer: Viewer, session_id: str) -> dict[str, Any] | None:
    page = await api.get(
        "/api/registrations", {"session_id": session_id, "user_id": viewer.id, "limit": 50}
    )
    return next((r for r in page["items"] if r.get("status") in learning.ACTIVE), None)


async def _session_page(
    request: Request,
    viewer: Viewer,
    api: Api,
    zone: Any,
    session_id: str,
    *,
    values: Mapping[str, Any] | None = None,
    problem: ApiProblem | None = None,
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    seats_found, mine, events = await asyncio.gather(
        seats_of(api, [session_id]),
        _own_active(api, viewer, session_id),
        events_with_comments(api, session_id, zone),
    )
    seats = seats_found.get(session_id)
    questions = list(session.get("questions") or [])
    errors: dict[str, str] = {}
    refusal: str | None = None
    shown = problem
    if problem is not None:
        locale = locale_of(request, viewer)
        said = {
            reason: translate(f"learner.answer.{reason}", locale)
            for reason in set(learning.REASONS.values())
        }
        answer_errors = learning.answer_errors(problem, questions)
        errors = {
            e.question_id: said.get(e.reason, e.message) if e.reason else e.message
            for e in answer_errors
        }
        if answer_errors:
            shown = learning.labelled_problem(problem, answer_errors, said)
        if problem.status == 409:
            refusal = learning.registration_refusal(problem, session_id)
        elif problem.status == 403:
            refusal = "not_public"
    return render(
        request,
        "learner/session.html",
        problem=shown,
        session=session,
        seats=seats,
        mine=mine,
        questions=questions,
        events=events["items"],
        events_total=events["total"],
        values=values or {},
        errors=errors,
        refusal=refusal,
        conflicting_id=problem.conflicting_id if problem else None,
        opens=learning.in_zone(session.get("registration_opens_at"), zone),
        closes=learning.in_zone(session.get("registration_closes_at"), zone),
        unregistration_closes=learning.in_zone(session.get("unregistration_closes_at"), zone),
        control_name=learning.control_name,
    )


@router.get("/catalog/{session_id}")
async def catalog_session(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    return await _session_page(request, viewer, api, zone, str(session_id))


@router.post("/catalog/{session_id}")
async def register(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    session = await api.get(f"/api/sessions/{session_id}")
    questions = list(session.get("questions") or [])
    answers = learning.answers_from_form(questions, await request.form())
    try:
        registration = await api.post(
            "/api/registrations", {"session_id": str(session_id), "answers": answers}
        )
    except ApiProblem as problem:
        return await _session_page(
            request, viewer, api, zone, str(session_id), values=answers, problem=problem
        )
    return RedirectResponse(
        f"/my/registrations?done=learner_registered#registration-{registration['id']}", 303
    )


async def _registrations_page(
    request: Request, viewer: Viewer, api: Api, zone: Any, problem: ApiProblem | None = None
) -> Response:
    listing = ListQuery.of(request, REGISTRATION_SORTS, "created_at", "desc")
    page = await api.get("/api/registrations", {**listing.params(), "user_id": viewer.id})
    registrations = page["items"]
    sessions = await sessions_of(api, learning.session_ids(registrations))
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    rows = []
    for registration in registrations:
        session = sessions.get(str(registration.get("session_id")))
        rows.append(
            {
                "registration": registration,
                "session": session,
                "awaits": learning.awaits(registration),
                "offer_until": learning.in_zone(registration.get("offer_expires_at"), zone),
                "may_cancel": learning.learner_may_cancel(registration, session, now),
                "certificate": learning.may_have_certificate(registration, session, today),
            }
        )
    return render(
        request,
        "learner/registrations.html",
        problem=problem,
        rows=rows,
        total=page["total"],
        listing=listing,
    )


@router.get("/my/registrations")
async def my_registrations(
    request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone
) -> Response:
    return await _registrations_page(request, viewer, api, zone)


ACTIONS = {
    "cancel": "learner_cancelled",
    "accept": "learner_accepted",
    "decline": "learner_declined",
}


@router.post("/my/registrations/{registration_id}/{action}")
async def act_on_registration(
    request: Request,
    registration_id: uuid.UUID,
    action: str,
    viewer: SignedIn,
    api: ViewerApi,
    zone: Zone,
) -> Response:
    done = ACTIONS.get(action)
    if done is None:
        return render(request, "not_found.html", status=404)
    try:
        await api.post(f"/api/registrations/{registration_id}/{action}", {})
    except ApiProblem as problem:
        return await _registrations_page(request, viewer, api, zone, problem)
    return RedirectResponse(f"/my/registrations?done={done}#registration-{registration_id}", 303)


@router.get("/my/registrations/{registration_id}/certificate.pdf")
async def certificate(
    request: Request, registration_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    try:
        answer = await api.download(f"/api/registrations/{registration_id}/certificate")
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        return render(request, "learner/no_certificate.html", status=409)
    headers = {
        "Content-Disposition": answer.headers.get(
            "content-disposition", f'attachment; filename="certificate-{registration_id}.pdf"'
        )
    }
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/pdf"),
        headers=headers,
    )
