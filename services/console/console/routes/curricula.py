"""The curricula as a tree: each node with its code, title, trainings and whether it blocks;
creating a root (platform admin) or a child under a node, editing and deleting a node."""

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from console import abilities, forms
from console.api import Api, ApiProblem
from console.deps import SignedIn, ViewerApi
from console.pages import render
from console.viewer import Viewer

router = APIRouter()

PAGE = 500
"""The API's largest page: the tree and the trainings are read in pages of this size."""
MAX_PAGES = 20
"""At most this many pages of nodes or trainings (10,000) for one tree."""

Resource = Mapping[str, Any]


@dataclass
class Node:
    curriculum: Resource
    children: list["Node"] = field(default_factory=list)


def tree_of(curricula: Sequence[Resource]) -> list[Node]:
    """The roots, each with its descendants, in the order given (by code); a node whose parent
    is not among them is shown as a root."""
    nodes = {str(item["id"]): Node(item) for item in curricula}
    roots: list[Node] = []
    for item in curricula:
        parent = nodes.get(str(item.get("parent_id")))
        (parent.children if parent is not None else roots).append(nodes[str(item["id"])])
    return roots


def manages_curriculum(viewer: Viewer, node: Resource, trainings: Mapping[str, Resource]) -> bool:
    """Edit or delete a node: a platform admin; a training manager of every training of a node
    that is not a root (and lists some)."""
    if viewer.is_admin:
        return True
    ids = [str(training_id) for training_id in node.get("training_ids") or []]
    if node.get("parent_id") is None or not viewer.is_training_manager or not ids:
        return False
    return all(
        training_id in trainings and abilities.manages(viewer, trainings[training_id])
        for training_id in ids
    )


def may_add_under(viewer: Viewer, node: Resource, trainings: Mapping[str, Resource]) -> bool:
    """Hang a child under a node: a platform admin; any training manager under a root; under
    another node, one who manages that node."""
    if viewer.is_admin:
        return True
    if node.get("parent_id") is None:
        return viewer.is_training_manager
    return manages_curriculum(viewer, node, trainings)


async def _all(api: Api, path: str, sort: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for number in range(MAX_PAGES):
        page = await api.get(path, {"sort": sort, "limit": PAGE, "offset": number * PAGE})
        items.extend(page["items"])
        if len(items) >= page["total"] or not page["items"]:
            break
    return items


async def _everything(api: Api) -> tuple[list[dict[str, Any]], dict[str, Resource]]:
    curricula, trainings = await asyncio.gather(
        _all(api, "/api/curricula", "code"), _all(api, "/api/trainings", "title")
    )
    return curricula, {str(training["id"]): training for training in trainings}


@router.get("/curricula")
async def show_tree(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    return await _tree_page(request, viewer, api, None)


async def _tree_page(
    request: Request, viewer: Viewer, api: Api, problem: ApiProblem | None
) -> Response:
    curricula, trainings = await _everything(api)
    return render(
        request,
        "curricula/tree.html",
        problem=problem,
        roots=tree_of(curricula),
        trainings=trainings,
        may_edit=lambda node: manages_curriculum(viewer, node, trainings),
        may_add=lambda node: may_add_under(viewer, node, trainings),
    )


def read_node(form: FormData) -> dict[str, Any]:
    return {
        "code": forms.text(form, "code"),
        "title": forms.text(form, "title"),
        "parent_id": forms.text(form, "parent_id"),
        "training_ids": forms.all_of(form, "training_ids"),
        "blocking": forms.flag(form, "blocking"),
    }


def _parent_id(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


@router.get("/curricula/new")
async def new_node(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    parent_id = _parent_id(request.query_params.get("parent_id"))
    values: dict[str, Any] = {"parent_id": parent_id, "training_ids": [], "blocking": False}
    return await _form(request, viewer, api, None, values, None)


@router.post("/curricula/new")
async def create_node(request: Request, viewer: SignedIn, api: ViewerApi) -> Response:
    body = read_node(await request.form())
    try:
        node = await api.post("/api/curricula", body)
    except ApiProblem as problem:
        return await _form(request, viewer, api, None, body, problem)
    return RedirectResponse(f"/curricula?done=curriculum_created#node-{node['id']}", 303)


@router.get("/curricula/{curriculum_id}/edit")
async def edit_node(
    request: Request, curriculum_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    node = await api.get(f"/api/curricula/{curriculum_id}")
    return await _form(request, viewer, api, node, node, None)


@router.post("/curricula/{curriculum_id}/edit")
async def update_node(
    request: Request, curriculum_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    body = read_node(await request.form())
    try:
        await api.patch(f"/api/curricula/{curriculum_id}", body)
    except ApiProblem as problem:
        node = await api.get(f"/api/curricula/{curriculum_id}")
        return await _form(request, viewer, api, node, body, problem)
    return RedirectResponse(f"/curricula?done=curriculum_saved#node-{curriculum_id}", 303)


@router.get("/curricula/{curriculum_id}/delete")
async def delete_form(
    request: Request, curriculum_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    node = await api.get(f"/api/curricula/{curriculum_id}")
    return render(request, "curricula/delete.html", node=node)


@router.post("/curricula/{curriculum_id}/delete")
async def delete_node(
    request: Request, curriculum_id: uuid.UUID, viewer: SignedIn, api: ViewerApi
) -> Response:
    try:
        await api.delete(f"/api/curricula/{curriculum_id}")
    except ApiProblem as problem:
        return await _tree_page(request, viewer, api, problem)
    return RedirectResponse("/curricula?done=curriculum_deleted", 303)


async def _form(
    request: Request,
    viewer: Viewer,
    api: Api,
    node: Resource | None,
    values: Mapping[str, Any],
    problem: ApiProblem | None,
) -> Response:
    curricula, trainings = await _everything(api)
    own = str(node["id"]) if node is not None else None
    below = _descendants(curricula, own) if own is not None else set()
    parents = [
        item
        for item in curricula
        if str(item["id"]) != own
        and str(item["id"]) not in below
        and (may_add_under(viewer, item, trainings) or str(item["id"]) == values.get("parent_id"))
    ]
    chosen = {str(training_id) for training_id in values.get("training_ids") or []}
    offered = [
        training
        for training in trainings.values()
        if abilities.manages(viewer, training) or str(training["id"]) in chosen
    ]
    return render(
        request,
        "curricula/form.html",
        problem=problem,
        node=node,
        values=values,
        parents=parents,
        may_root=abilities.may_create_root_curriculum(viewer)
        or (node is not None and node.get("parent_id") is None),
        trainings=offered,
        chosen=chosen,
    )


def _descendants(curricula: Sequence[Resource], root_id: str) -> set[str]:
    """The ids below `root_id`: a node cannot move under one of them."""
    children: dict[str, list[str]] = {}
    for item in curricula:
        children.setdefault(str(item.get("parent_id")), []).append(str(item["id"]))
    found: set[str] = set()
    waiting = list(children.get(root_id, []))
    while waiting:
        current = waiting.pop()
        if current not in found:
            found.add(current)
            waiting.extend(children.get(current, []))
    return found
