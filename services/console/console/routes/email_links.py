"""The pages our emails link to, for a learner who may arrive signed out (`SignedIn` sends them
to sign in, then back here with the same query): the confirmation link, which confirms at once
and says what now happens, and the offered seat's links, which show the offer and ask for ONE
click before answering it (a mail scanner's visit must not accept or decline a seat).

A link's values are read leniently: a missing or malformed one answers a page saying so (400),
never an error of the server."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from console import forms, learning
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi, Zone
from console.pages import render
from console.viewer import Viewer

router = APIRouter()

ANSWERS = ("accept", "decline")


def _bad_link(request: Request) -> Response:
    return render(request, "email_links/bad_link.html", status=400)


async def _registration(api: Api, registration_id: str) -> dict[str, Any] | None:
    try:
        registration: dict[str, Any] = await api.get(f"/api/registrations/{registration_id}")
    except ApiProblem as problem:
        if problem.status in (403, 404):
            return None
        raise
    return registration


async def _session(api: Api, session_id: object) -> dict[str, Any] | None:
    try:
        session: dict[str, Any] = await api.get(f"/api/sessions/{session_id}")
    except ApiProblem as problem:
        if problem.status in (403, 404):
            return None
        raise
    return session


def _not_theirs(request: Request, viewer: Viewer, status: int) -> Response:
    """The registration is unknown, or another person's: say so, and who is signed in."""
    return render(request, "email_links/not_theirs.html", status=status)


@router.get("/confirm")
async def confirm(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    registration_id = learning.uuid_or_none(request.query_params.get("registration"))
    token = learning.token_or_none(request.query_params.get("token"))
    if registration_id is None or token is None:
        return _bad_link(request)
    outcome = "confirmed"
    registration: dict[str, Any] | None
    try:
        registration = await api.post(
            f"/api/registrations/{registration_id}/confirm", {"token": token}
        )
    except ApiProblem as problem:
        if problem.status in (403, 404):
            return _not_theirs(request, viewer, problem.status)
        if problem.status == 422:
            return render(request, "email_links/confirm.html", status=422, outcome="wrong_token",
                          registration=None, session=None, awaits=[])  # fmt: skip
        if problem.status != 409:
            raise
        registration = await _registration(api, registration_id)
        if registration is None:
            return _not_theirs(request, viewer, 404)
        if registration.get("status") == "expired":
            outcome = "expired"
        elif registration.get("status") in learning.ACTIVE:
            outcome = "already"
        else:
            outcome = "ended"
    session = await _session(api, registration.get("session_id"))
    awaits = learning.awaits(registration)
    if outcome == "confirmed" and awaits:
        outcome = "pending"
    elif outcome == "confirmed" and registration.get("status") == "waitlisted":
        outcome = "waitlisted"
    return render(
        request,
        "email_links/confirm.html",
        status=409 if outcome in ("expired", "ended") else 200,
        outcome=outcome,
        registration=registration,
        session=session,
        awaits=awaits,
    )


async def _offer_page(
    request: Request,
    viewer: Viewer,
    api: Api,
    zone: Any,
    registration_id: str,
    answer: str,
    problem: ApiProblem | None = None,
) -> Response:
    registration = await _registration(api, registration_id)
    if registration is None:
        return _not_theirs(request, viewer, 404)
    session = await _session(api, registration.get("session_id"))
    return render(
        request,
        "email_links/offer.html",
        problem=problem,
        registration=registration,
        session=session,
        answer=answer,
        deadline=learning.in_zone(registration.get("offer_expires_at"), zone),
        awaits=learning.awaits(registration),
    )


@router.get("/offer")
async def offer(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    registration_id = learning.uuid_or_none(request.query_params.get("registration"))
    answer = request.query_params.get("answer", "")
    if registration_id is None or answer not in ANSWERS:
        return _bad_link(request)
    return await _offer_page(request, viewer, api, zone, registration_id, answer)


@router.post("/offer")
async def answer_offer(request: Request, viewer: SignedIn, api: ViewerApi, zone: Zone) -> Response:
    form = await request.form()
    registration_id = learning.uuid_or_none(forms.text(form, "registration"))
    answer = forms.text(form, "answer") or ""
    if registration_id is None or answer not in ANSWERS:
        return _bad_link(request)
    try:
        await api.post(f"/api/registrations/{registration_id}/{answer}", {})
    except ApiProblem as problem:
        if problem.status in (403, 404):
            return _not_theirs(request, viewer, problem.status)
        return await _offer_page(request, viewer, api, zone, registration_id, answer, problem)
    done = "offer_accepted" if answer == "accept" else "offer_declined"
    return RedirectResponse(
        f"/offer?registration={registration_id}&answer={answer}&done={done}", 303
    )
