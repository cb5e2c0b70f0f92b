"""Curriculum registrations over HTTP: one request, a registration per training's default
session, and what was skipped and why."""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from registration.api.deps import CurriculumService
from registration.use_cases.curricula import SkipReason
from shared.auth import CurrentPrincipal
from shared.events import Registration, RegistrationUser
from shared.openapi import problems

router = APIRouter(prefix="/api")


class CurriculumRegistrationCreate(BaseModel):
    curriculum_id: uuid.UUID
    user: RegistrationUser | None = None


class SkippedItem(BaseModel):
    session_id: uuid.UUID | None
    training_id: uuid.UUID
    reason: SkipReason
    id: uuid.UUID | None = None


class CurriculumRegistrationAnswer(BaseModel):
    registrations: list[Registration]
    skipped: list[SkippedItem]


@router.post(
    "/curriculum-registrations",
    status_code=201,
    response_model=CurriculumRegistrationAnswer,
    responses=problems(403, 404),
)
async def register_to_curriculum(
    body: CurriculumRegistrationCreate, actor: CurrentPrincipal, service: CurriculumService
) -> CurriculumRegistrationAnswer:
    outcome = await service.register(actor, body.curriculum_id, body.user)
    return CurriculumRegistrationAnswer(
        registrations=outcome.registrations,
        skipped=[
            SkippedItem(
                session_id=s.session_id, training_id=s.training_id, reason=s.reason, id=s.id
            )
            for s in outcome.skipped
        ],
    )
