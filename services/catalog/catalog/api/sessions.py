"""`/api/trainings/{id}/sessions` and `/api/sessions`: a training's sessions, with their own copy
of its rules."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ConfigDict, Field

from catalog.api.bodies import RulesPatch, Strict, fields_as
from catalog.api.deps import CatalogDatabase, Search
from catalog.fields import SessionChanges
from catalog.use_cases import sessions
from shared.auth import CurrentPrincipal
from shared.bounds import Day, Ident, LongText, Moment, Place, Reason, Title, Url
from shared.events import RegistrationWindow, SessionData, SessionRules, SessionStatus
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems

router = APIRouter(prefix="/api")

SessionList = Annotated[
    Listing, Depends(list_params("title", "start_date", "end_date", "created_at"))
]


class SessionCreate(SessionRules, RegistrationWindow):
    """Rules the request leaves out are copied from the training (hence `exclude_unset`); the
    window is the session's own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Session de mars",
                    "start_date": "2027-03-01",
                    "end_date": "2027-03-02",
                    "location": "Lyon, salle 2",
                    "default_session": True,
                }
            ]
        },
    )

    title: Title
    start_date: Day
    end_date: Day
    description: LongText | None = None
    default_session: bool = False
    location: Place | None = None
    workspace_url: Url | None = None
    tutors: list[Ident] = Field(default_factory=list)
    validators: list[Ident] = Field(default_factory=list)
    curriculum_id: uuid.UUID | None = None


class SessionPatch(RulesPatch):
    nullable = RulesPatch.nullable | {
        "description",
        "location",
        "workspace_url",
        "curriculum_id",
        *RegistrationWindow.model_fields,
    }

    title: Title | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    description: LongText | None = None
    default_session: bool | None = None
    location: Place | None = None
    workspace_url: Url | None = None
    tutors: list[Ident] | None = None
    curriculum_id: uuid.UUID | None = None
    registration_opens_at: Moment | None = None
    registration_closes_at: Moment | None = None
    unregistration_closes_at: Moment | None = None


class SessionCancel(Strict):
    reason: Reason


@router.post(
    "/trainings/{training_id}/sessions",
    status_code=201,
    response_model=SessionData,
    responses={
        **problems(403),
        **created(
            "The session.",
            by_id(
                "session_id",
                "get_session",
                "update_session",
                "cancel_session",
                "delete_session",
                "create_event",
                "list_events",
            ),
        ),
    },
)
async def create_session(
    training_id: uuid.UUID, body: SessionCreate, actor: CurrentPrincipal, database: CatalogDatabase
) -> SessionData:
    fields = fields_as(body, SessionChanges, exclude_unset=True)
    fields.setdefault("default_session", False)
    fields.setdefault("tutors", [])
    return await sessions.create(database, actor, training_id, fields)


@router.get("/sessions", response_model=Page[SessionData])
async def list_sessions(
    _: CurrentPrincipal,
    database: CatalogDatabase,
    listing: SessionList,
    training_id: uuid.UUID | None = None,
    q: Search = None,
    status: SessionStatus | None = None,
    starts_after: Annotated[Day | None, Query(description="start_date on or after")] = None,
    starts_before: Annotated[Day | None, Query(description="start_date on or before")] = None,
) -> Page[SessionData]:
    return await sessions.search(
        database,
        listing,
        training_id=training_id,
        q=q,
        status=status,
        starts_after=starts_after,
        starts_before=starts_before,
    )


@router.get("/sessions/{session_id}", response_model=SessionData)
async def get_session(
    session_id: uuid.UUID, _: CurrentPrincipal, database: CatalogDatabase
) -> SessionData:
    return await sessions.get(database, session_id)


@router.patch("/sessions/{session_id}", response_model=SessionData, responses=problems(403, 409))
async def update_session(
    session_id: uuid.UUID, body: SessionPatch, actor: CurrentPrincipal, database: CatalogDatabase
) -> SessionData:
    return await sessions.update(database, actor, session_id, body.changes(SessionChanges))


@router.post("/sessions/{session_id}/cancel", response_model=SessionData, responses=problems(403))
async def cancel_session(
    session_id: uuid.UUID, body: SessionCancel, actor: CurrentPrincipal, database: CatalogDatabase
) -> SessionData:
    return await sessions.cancel(database, actor, session_id, body.reason)


@router.delete("/sessions/{session_id}", status_code=204, responses=problems(403))
async def delete_session(
    session_id: uuid.UUID, actor: CurrentPrincipal, database: CatalogDatabase
) -> Response:
    await sessions.delete(database, actor, session_id)
    return Response(status_code=204)
