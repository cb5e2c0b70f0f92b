"""The registration actions of a session's page: validate a step, refuse, cancel, move to another
session of the training, add a learner (forced beyond the seats by a manager), add many at once,
and the CSV export. Each POST calls the API and goes back to the page with `?done=` (a validation
sent from /awaiting goes back there); a refusal shows the page again with the API's problem in
words.
"""

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from console import bulk_lines, forms
from console.api import ApiProblem, FieldError
from console.deps import SignedIn, ViewerApi
from console.pages import locale_of
from console.routes.session_page import session_view
from console.texts import translate
from console.viewer import Locale

router = APIRouter()

STEPS = ("organization", "registration", "validator", "all")
CSV_TYPE = "text/csv; charset=utf-8"
# the console's pages a form may name in `back`: a fixed list, never a URL taken as given
BACK_PATHS = ("/awaiting",)


def _back(session_id: uuid.UUID, done: str, back: str | None = None) -> RedirectResponse:
    if back in BACK_PATHS:
        return RedirectResponse(f"{back}?done={done}", 303)
    return RedirectResponse(f"/sessions/{session_id}?done={done}#registrations", 303)


async def _act(
    request: Request,
    viewer: SignedIn,
    api: ViewerApi,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    action: str,
    body: dict[str, str],
    done: str,
    back: str | None = None,
) -> Response:
    """One action on one registration: back to the page with `done` (or to `back`, one of
    BACK_PATHS), or the session's page again with the API's refusal in words."""
    try:
        await api.post(f"/api/registrations/{registration_id}/{action}", body)
    except ApiProblem as problem:
        return await session_view(request, viewer, api, session_id, problem=problem)
    return _back(session_id, done, back)


async def _reason(request: Request) -> dict[str, str]:
    reason = forms.text(await request.form(), "reason")
    return {"reason": reason} if reason else {}


@router.post("/sessions/{session_id}/registrations/{registration_id}/validate")
async def validate(
    request: Request,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    viewer: SignedIn,
    api: ViewerApi,
) -> Response:
    form = await request.form()
    body = {"step": forms.text(form, "step") or ""}
    return await _act(
        request,
        viewer,
        api,
        session_id,
        registration_id,
        "validate",
        body,
        "registration_validated",
        back=forms.text(form, "back"),
    )


@router.post("/sessions/{session_id}/registrations/{registration_id}/refuse")
async def refuse(
    request: Request,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    viewer: SignedIn,
    api: ViewerApi,
) -> Response:
    body = await _reason(request)
    return await _act(
        request, viewer, api, session_id, registration_id, "refuse", body, "registration_refused"
    )


@router.post("/sessions/{session_id}/registrations/{registration_id}/cancel")
async def cancel(
    request: Request,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    viewer: SignedIn,
    api: ViewerApi,
) -> Response:
    body = await _reason(request)
    return await _act(
        request, viewer, api, session_id, registration_id, "cancel", body, "registration_cancelled"
    )


@router.post("/sessions/{session_id}/registrations/{registration_id}/move")
async def move(
    request: Request,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    viewer: SignedIn,
    api: ViewerApi,
) -> Response:
    body = {"session_id": forms.text(await request.form(), "target_session_id") or ""}
    return await _act(
        request, viewer, api, session_id, registration_id, "move", body, "registration_moved"
    )


@router.post("/sessions/{session_id}/registrations")
async def add_learner(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    form = await request.form()
    user = {
        "id": forms.text(form, "user_id") or "",
        "email": forms.text(form, "email") or "",
        "name": forms.text(form, "name") or "",
        "locale": forms.text(form, "locale") or "fr",
        "organizations": forms.words(form, "organizations"),
    }
    body: dict[str, object] = {"session_id": str(session_id), "user": user}
    if forms.flag(form, "force"):
        body["force"] = True
    try:
        await api.post("/api/registrations", body)
    except ApiProblem as problem:
        kept = {"learner": {**user, "organizations": ", ".join(user["organizations"])}}
        return await session_view(request, viewer, api, session_id, problem=problem, kept=kept)
    return _back(session_id, "learner_added")


@router.post("/sessions/{session_id}/registrations/bulk")
async def add_learners(
    request: Request, session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    """Each line's outcome is shown on the page (no redirect: nothing keeps it for a GET); the
    form's Idempotency-Key makes sending the same lines again answer the same outcomes."""
    form = await request.form()
    raw = forms.text(form, "lines") or ""
    organizations = forms.words(form, "organizations")
    kept = {"bulk": {"lines": raw, "organizations": ", ".join(organizations)}}
    lines = bulk_lines.read_lines(raw, organizations)
    users = [line.user for line in lines if line.user is not None]
    if len(users) > bulk_lines.MAX_LINES:
        locale = locale_of(request, viewer)
        too_many = translate("registrations.bulk.too_many", locale, most=bulk_lines.MAX_LINES)
        problem = ApiProblem(
            422,
            "Unprocessable Content",
            errors=[FieldError(("body", "users"), too_many)],
        )
        return await session_view(request, viewer, api, session_id, problem=problem, kept=kept)
    answer = None
    if users:
        try:
            answer = await api.post(
                "/api/registrations/bulk",
                {"session_id": str(session_id), "users": users},
                idempotency_key=forms.text(form, "idempotency_key") or "",
            )
        except ApiProblem as problem:
            locale = locale_of(request, viewer)
            problem.errors = [_on_line(error, lines, locale) for error in problem.errors]
            return await session_view(request, viewer, api, session_id, problem=problem, kept=kept)
    return await session_view(
        request, viewer, api, session_id, bulk=bulk_lines.results(lines, answer), kept=kept
    )


def _on_line(error: FieldError, lines: list[bulk_lines.BulkLine], locale: Locale) -> FieldError:
    """A 422 about `users.<n>` says the textarea's line it is about."""
    number = bulk_lines.line_of(error.loc, lines)
    if number is None:
        return error
    message = translate("registrations.bulk.on_line", locale, line=number, message=error.msg)
    return FieldError(error.loc, message)


@router.get("/sessions/{session_id}/registrations.csv")
async def export(session_id: uuid.UUID, viewer: SignedIn, api: ViewerApi) -> Response:
    answer = await api.download("/api/registrations/export", {"session_id": str(session_id)})
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", CSV_TYPE),
        headers={"Content-Disposition": f'attachment; filename="registrations-{session_id}.csv"'},
    )
