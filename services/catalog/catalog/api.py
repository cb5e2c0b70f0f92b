"""Catalog HTTP routes: parse, authorize through the service, shape the answer."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from catalog.service import Catalog
from shared.auth import CurrentPrincipal
from shared.events import SessionData, SessionRules, TrainingData

router = APIRouter(prefix="/api")


def _catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogService = Annotated[Catalog, Depends(_catalog)]


class TrainingCreate(SessionRules):
    code: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str | None = None
    organizations: list[str] = Field(min_length=1)


class SessionCreate(SessionRules):
    """Rules the request leaves out are copied from the training (hence `exclude_unset`)."""

    title: str = Field(min_length=1, max_length=300)
    start_date: date
    end_date: date
    description: str | None = None
    default_session: bool = False
    location: str | None = None
    workspace_url: str | None = None
    tutors: list[str] = Field(default_factory=list)
    curriculum_id: uuid.UUID | None = None


@router.post("/trainings", status_code=201, response_model=TrainingData)
async def create_training(
    body: TrainingCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> TrainingData:
    return await catalog.create_training(actor, body.model_dump())


@router.get("/trainings/{training_id}", response_model=TrainingData)
async def get_training(
    training_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService
) -> TrainingData:
    return await catalog.training(training_id)


@router.post("/trainings/{training_id}/sessions", status_code=201, response_model=SessionData)
async def create_session(
    training_id: uuid.UUID, body: SessionCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    fields = body.model_dump(exclude_unset=True)
    fields.setdefault("default_session", False)
    fields.setdefault("tutors", [])
    return await catalog.create_session(actor, training_id, fields)


@router.get("/sessions/{session_id}", response_model=SessionData)
async def get_session(
    session_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    return await catalog.session(session_id)
