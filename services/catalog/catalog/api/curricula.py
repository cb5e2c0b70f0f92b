"""`/api/curricula`: the nodes of the curriculum trees."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ConfigDict, Field

from catalog.api.bodies import Patch, Strict, fields_as
from catalog.api.deps import CatalogDatabase, Search
from catalog.fields import CurriculumChanges
from catalog.use_cases import curricula
from shared.auth import CurrentPrincipal
from shared.bounds import Code, Title
from shared.events import CurriculumData
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, links, problems

router = APIRouter(prefix="/api")

CurriculumList = Annotated[Listing, Depends(list_params("code", "title", "created_at"))]


class CurriculumCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"code": "PATH-SEC", "title": "Parcours sécurité", "training_ids": []}]
        }
    )

    code: Code
    title: Title
    parent_id: uuid.UUID | None = None
    training_ids: list[uuid.UUID] = Field(default_factory=list)
    blocking: bool = False


class CurriculumPatch(Patch):
    nullable = frozenset({"parent_id"})

    code: Code | None = None
    title: Title | None = None
    parent_id: uuid.UUID | None = None
    training_ids: list[uuid.UUID] | None = None
    blocking: bool | None = None


@router.post(
    "/curricula",
    status_code=201,
    response_model=CurriculumData,
    responses={
        **problems(403, 404, 409),
        **created(
            "The curriculum node.",
            by_id("curriculum_id", "get_curriculum", "update_curriculum", "delete_curriculum")
            | links(list_curricula={"parent_id": "$response.body#/id"}),
        ),
    },
)
async def create_curriculum(
    body: CurriculumCreate, actor: CurrentPrincipal, database: CatalogDatabase
) -> CurriculumData:
    return await curricula.create(database, actor, fields_as(body, CurriculumChanges))


@router.get("/curricula", response_model=Page[CurriculumData])
async def list_curricula(
    _: CurrentPrincipal,
    database: CatalogDatabase,
    listing: CurriculumList,
    parent_id: uuid.UUID | None = None,
    root: Annotated[bool, Query(description="only the roots of the trees")] = False,
    training_id: uuid.UUID | None = None,
    q: Search = None,
) -> Page[CurriculumData]:
    return await curricula.search(
        database, listing, parent_id=parent_id, roots_only=root, training_id=training_id, q=q
    )


@router.get("/curricula/{curriculum_id}", response_model=CurriculumData)
async def get_curriculum(
    curriculum_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase
) -> CurriculumData:
    return await curricula.get(database, curriculum_id)


@router.patch(
    "/curricula/{curriculum_id}", response_model=CurriculumData, responses=problems(403, 409)
)
async def update_curriculum(
    curriculum_id: uuid.UUID,
    body: CurriculumPatch,
    actor: CurrentPrincipal,
    database: CatalogDatabase,
) -> CurriculumData:
    return await curricula.update(database, actor, curriculum_id, body.changes(CurriculumChanges))


@router.delete("/curricula/{curriculum_id}", status_code=204, responses=problems(403, 409))
async def delete_curriculum(
    curriculum_id: uuid.UUID, actor: CurrentPrincipal, database: CatalogDatabase
) -> Response:
    await curricula.delete(database, actor, curriculum_id)
    return Response(status_code=204)
