"""`/api/sessions/{id}/events` and `/api/events`: the events (séances) of a session."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict

from catalog.api.bodies import Patch, Strict, fields_as
from catalog.api.deps import CatalogDatabase
from catalog.fields import EventChanges
from catalog.use_cases import events
from shared.auth import CurrentPrincipal
from shared.bounds import LongText, MaxUsers, Moment, Place, Title
from shared.events import EventData, EventRegistrationMode
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems

router = APIRouter(prefix="/api")

EventList = Annotated[Listing, Depends(list_params("start", "title", "created_at"))]


class EventCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Matinée",
                    "start": "2027-03-01T09:00:00+01:00",
                    "end": "2027-03-01T12:30:00+01:00",
                    "location": "Salle 2",
                }
            ]
        }
    )

    title: Title
    start: Moment
    end: Moment
    description: LongText | None = None
    location: Place | None = None
    max_users: MaxUsers | None = None
    registration_mode: EventRegistrationMode | None = None


class EventPatch(Patch):
    nullable = frozenset({"description", "location", "max_users"})

    title: Title | None = None
    start: Moment | None = None
    end: Moment | None = None
    description: LongText | None = None
    location: Place | None = None
    max_users: MaxUsers | None = None
    registration_mode: EventRegistrationMode | None = None


@router.post(
    "/sessions/{session_id}/events",
    status_code=201,
    response_model=EventData,
    responses={
        **problems(403),
        **created(
            "The event.",
            by_id(
                "event_id",
                "get_event",
                "update_event",
                "delete_event",
                "list_comments",
                "create_comment",
            ),
        ),
    },
)
async def create_event(
    session_id: uuid.UUID, body: EventCreate, actor: CurrentPrincipal, database: CatalogDatabase
) -> EventData:
    fields = fields_as(body, EventChanges, exclude_none=True)
    fields.setdefault("max_users", None)
    return await events.create(database, actor, session_id, fields)


@router.get("/sessions/{session_id}/events", response_model=Page[EventData])
async def list_events(
    session_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase, listing: EventList
) -> Page[EventData]:
    return await events.of_session(database, session_id, listing)


@router.get("/events/{event_id}", response_model=EventData)
async def get_event(
    event_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase
) -> EventData:
    return await events.get(database, event_id)


@router.patch("/events/{event_id}", response_model=EventData, responses=problems(403))
async def update_event(
    event_id: uuid.UUID, body: EventPatch, actor: CurrentPrincipal, database: CatalogDatabase
) -> EventData:
    return await events.update(database, actor, event_id, body.changes(EventChanges))


@router.delete("/events/{event_id}", status_code=204, responses=problems(403))
async def delete_event(
    event_id: uuid.UUID, actor: CurrentPrincipal, database: CatalogDatabase
) -> Response:
    await events.delete(database, actor, event_id)
    return Response(status_code=204)
