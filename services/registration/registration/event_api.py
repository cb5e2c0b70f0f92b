"""HTTP routes of event registrations and curriculum registrations: parse, call the use case,
shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from registration.curricula import Curricula, SkipReason
from registration.event_registrations import EventRegistrationRequest, EventRegistrations
from shared import bounds
from shared.auth import CurrentPrincipal
from shared.events import EventRegistration, EventRegistrationStatus, Registration, RegistrationUser
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems

router = APIRouter(prefix="/api")


def _event_registrations(request: Request) -> EventRegistrations:
    service: EventRegistrations = request.app.state.event_registrations
    return service


def _curricula(request: Request) -> Curricula:
    service: Curricula = request.app.state.curricula
    return service


EventRegistrationService = Annotated[EventRegistrations, Depends(_event_registrations)]
CurriculumService = Annotated[Curricula, Depends(_curricula)]
EventRegistrationList = Annotated[
    Listing, Depends(list_params("created_at", "status", "waitlist_position"))
]


class EventRegistrationCreate(BaseModel):
    event_id: uuid.UUID
    user_id: bounds.Ident | None = None


class Reason(BaseModel):
    reason: bounds.Reason | None = None


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
    "/event-registrations",
    status_code=201,
    response_model=EventRegistration,
    responses={
        **problems(403, 404, 409),
        **created(
            "The event registration.",
            by_id("ident", "get_event_registration", "cancel_event_registration"),
        ),
    },
)
async def register_to_event(
    body: EventRegistrationCreate, actor: CurrentPrincipal, service: EventRegistrationService
) -> EventRegistration:
    return await service.register(actor, EventRegistrationRequest(body.event_id, body.user_id))


@router.get("/event-registrations", response_model=Page[EventRegistration])
async def list_event_registrations(
    actor: CurrentPrincipal,
    service: EventRegistrationService,
    listing: EventRegistrationList,
    event_id: uuid.UUID | None = None,
    user_id: bounds.Ident | None = None,
    session_id: uuid.UUID | None = None,
    status: EventRegistrationStatus | None = None,
) -> Page[EventRegistration]:
    filters = {"event_id": event_id, "user_id": user_id, "session_id": session_id, "status": status}
    items, total = await service.event_registrations(actor, filters, listing)
    return Page[EventRegistration](items=items, total=total)


@router.get(
    "/event-registrations/{ident}", response_model=EventRegistration, responses=problems(403)
)
async def get_event_registration(
    ident: uuid.UUID, actor: CurrentPrincipal, service: EventRegistrationService
) -> EventRegistration:
    return await service.event_registration(actor, ident)


@router.post(
    "/event-registrations/{ident}/cancel",
    response_model=EventRegistration,
    responses=problems(403, 409),
)
async def cancel_event_registration(
    ident: uuid.UUID,
    actor: CurrentPrincipal,
    service: EventRegistrationService,
    body: Reason | None = None,
) -> EventRegistration:
    return await service.cancel(actor, ident, body.reason if body else None)


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
