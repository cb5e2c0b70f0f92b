"""Event registrations over HTTP: register to an event, list, read, cancel."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from registration.api.deps import EventRegistrationService, Reason
from registration.use_cases.event_registrations import EventRegistrationRequest
from shared import bounds
from shared.auth import CurrentPrincipal
from shared.events import EventRegistration, EventRegistrationStatus
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems

router = APIRouter(prefix="/api")


EventRegistrationList = Annotated[
    Listing, Depends(list_params("created_at", "status", "waitlist_position"))
]


class EventRegistrationCreate(BaseModel):
    event_id: uuid.UUID
    user_id: bounds.Ident | None = None


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
