"""The trainings: the list (search by title or code, sorted, paged), the creation form with the
default rules of their sessions, one training with its sessions, its edit form, and its deletion
(a page that asks first)."""

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import abilities, forms, rules_form
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi
from console.listing import ListQuery
from console.pages import render
from console.viewer import Viewer

router = APIRouter()

SORTS = ("title", "code", "created_at")
SESSIONS_SHOWN = 100
"""A training's page lists this many of its sessions (the sessions table has them all)."""


def read_training(form: FormData) -> dict[str, Any]:
    """The training form as the API's body: its own fields, then its sessions' default rules."""
    return {
        "code": forms.text(form, "code"),
        "title": forms.text(form, "title"),
        "description": forms.text(form, "description"),
        "organizations": forms.words(form, "organizations"),
        **rules_form.read_rules(form),
    }


@router.get("/trainings")
async def list_trainings(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    listing = ListQuery.of(request, SORTS, "title")
    q = (request.query_params.get("q") or "").strip()
    params: dict[str, str | int] = {**listing.params(), **({"q": q} if q else {})}
    page = await api.get("/api/trainings", params)
    return render(
        request,
        "trainings/list.html",
        trainings=page["items"],
        total=page["total"],
        listing=listing,
        q=q,
    )


@router.get("/trainings/new")
async def new_training(request: Request, viewer: SignedIn) -> Response:
    organizations = sorted(viewer.organizations)
    return _form(request, {"organizations": organizations}, None)


@router.post("/trainings")
async def create_training(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    body = read_training(await request.form())
    try:
        training = await api.post("/api/trainings", body)
    except ApiProblem as problem:
        return _form(request, body, problem)
    return RedirectResponse(f"/trainings/{training['id']}?done=training_created", 303)


def _form(request: Request, values: Mapping[str, Any], problem: ApiProblem | None) -> Response:
    return render(
        request, "trainings/new.html", problem=problem, values=values, rules_form=rules_form
    )


@router.get("/trainings/{training_id}")
async def show_training(
    request: Request, training_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    training = await api.get(f"/api/trainings/{training_id}")
    return await _page(request, viewer, api, training, training, None)


@router.post("/trainings/{training_id}")
async def update_training(
    request: Request, training_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    body = read_training(await request.form())
    try:
        await api.patch(f"/api/trainings/{training_id}", body)
    except ApiProblem as problem:
        training = await api.get(f"/api/trainings/{training_id}")
        return await _page(request, viewer, api, training, body, problem)
    return RedirectResponse(f"/trainings/{training_id}?done=training_saved", 303)


@router.get("/trainings/{training_id}/delete")
async def delete_form(
    request: Request, training_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    training = await api.get(f"/api/trainings/{training_id}")
    return render(request, "trainings/delete.html", training=training)


@router.post("/trainings/{training_id}/delete")
async def delete_training(
    request: Request, training_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    try:
        await api.delete(f"/api/trainings/{training_id}")
    except ApiProblem as problem:
        training = await api.get(f"/api/trainings/{training_id}")
        return await _page(request, viewer, api, training, training, problem, deleting=True)
    return RedirectResponse("/trainings?done=training_deleted", 303)


async def _page(
    request: Request,
    viewer: Viewer,
    api: Api,
    training: Mapping[str, Any],
    values: Mapping[str, Any],
    problem: ApiProblem | None,
    *,
    deleting: bool = False,
) -> Response:
    sessions = await api.get(
        "/api/sessions",
        {
            "training_id": str(training["id"]),
            "sort": "start_date",
            "order": "asc",
            "limit": SESSIONS_SHOWN,
        },
    )
    return render(
        request,
        "trainings/show.html",
        problem=problem,
        training=training,
        values=values,
        sessions=sessions["items"],
        sessions_total=sessions["total"],
        manages=abilities.manages(viewer, training),
        deleting=deleting,
        rules_form=rules_form,
    )
