"""`/api/trainings`: a training and its registration rules (the defaults of its sessions)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict, Field

from catalog.api.bodies import RulesPatch, fields_as
from catalog.api.deps import CatalogDatabase, Search
from catalog.fields import TrainingChanges
from catalog.use_cases import trainings
from shared.auth import CurrentPrincipal
from shared.bounds import Code, Ident, LongText, Title
from shared.events import SessionRules, TrainingData
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, links, problems

router = APIRouter(prefix="/api")

TrainingList = Annotated[Listing, Depends(list_params("title", "code", "created_at"))]


class TrainingCreate(SessionRules):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "SEC-101",
                    "title": "Sécurité au travail",
                    "organizations": ["org-1"],
                    "public_registration": True,
                    "max_users": 12,
                }
            ]
        },
    )

    code: Code
    title: Title
    description: LongText | None = None
    organizations: list[Ident] = Field(min_length=1)
    validators: list[Ident] = Field(default_factory=list)


class TrainingPatch(RulesPatch):
    nullable = RulesPatch.nullable | {"description"}

    code: Code | None = None
    title: Title | None = None
    description: LongText | None = None
    organizations: list[Ident] | None = Field(default=None, min_length=1)


@router.post(
    "/trainings",
    status_code=201,
    response_model=TrainingData,
    responses={
        **problems(403, 409),
        **created(
            "The training.",
            by_id(
                "training_id",
                "get_training",
                "update_training",
                "delete_training",
                "create_session",
            )
            | links(list_sessions={"training_id": "$response.body#/id"}),
        ),
    },
)
async def create_training(
    body: TrainingCreate, actor: CurrentPrincipal, database: CatalogDatabase
) -> TrainingData:
    return await trainings.create(database, actor, fields_as(body, TrainingChanges))


@router.get("/trainings", response_model=Page[TrainingData])
async def list_trainings(
    _: CurrentPrincipal,
    database: CatalogDatabase,
    listing: TrainingList,
    q: Search = None,
    organization: Ident | None = None,
) -> Page[TrainingData]:
    return await trainings.search(database, listing, q=q, organization=organization)


@router.get("/trainings/{training_id}", response_model=TrainingData)
async def get_training(
    training_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase
) -> TrainingData:
    return await trainings.get(database, training_id)


@router.patch("/trainings/{training_id}", response_model=TrainingData, responses=problems(403, 409))
async def update_training(
    training_id: uuid.UUID, body: TrainingPatch, actor: CurrentPrincipal, database: CatalogDatabase
) -> TrainingData:
    return await trainings.update(database, actor, training_id, body.changes(TrainingChanges))


@router.delete("/trainings/{training_id}", status_code=204, responses=problems(403, 409))
async def delete_training(
    training_id: uuid.UUID, actor: CurrentPrincipal, database: CatalogDatabase
) -> Response:
    await trainings.delete(database, actor, training_id)
    return Response(status_code=204)
