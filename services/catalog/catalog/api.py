"""Catalog HTTP routes: parse, authorize through the service, shape the answer."""

import uuid
from typing import Annotated, Any, ClassVar, Self

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.domain import Comment
from catalog.service import Catalog
from shared.auth import CurrentPrincipal
from shared.bounds import (
    Body,
    Code,
    Day,
    Hours,
    Ident,
    LongText,
    MaxUsers,
    Moment,
    Place,
    Reason,
    Title,
    Url,
)
from shared.bounds import Search as SearchText
from shared.events import (
    CurriculumData,
    EventData,
    EventRegistrationMode,
    SessionData,
    SessionRules,
    SessionStatus,
    TrainingData,
)
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, links, problems

router = APIRouter(prefix="/api")


def _catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogService = Annotated[Catalog, Depends(_catalog)]
TrainingList = Annotated[Listing, Depends(list_params("title", "code", "created_at"))]
SessionList = Annotated[
    Listing, Depends(list_params("title", "start_date", "end_date", "created_at"))
]
EventList = Annotated[Listing, Depends(list_params("start", "title", "created_at"))]
CommentList = Annotated[Listing, Depends(list_params("created_at"))]
CurriculumList = Annotated[Listing, Depends(list_params("code", "title", "created_at"))]
Search = Annotated[SearchText | None, Query(description="title or code contains")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Strict):
    """Only the fields a PATCH names change; `null` is refused except where a field may be empty."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _null_only_where_allowed(self) -> Self:
        for name in self.model_fields_set:
            if getattr(self, name) is None and name not in self.nullable:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class _RulesPatch(_Patch):
    public_registration: bool | None = None
    public_unregistration: bool | None = None
    event_registration_mode: EventRegistrationMode | None = None
    max_users: MaxUsers | None = None
    user_validation: bool | None = None
    organization_validation: bool | None = None
    registration_validation: bool | None = None
    validators: list[Ident] | None = None
    confirmation_hours: Hours | None = None


# Trainings


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


class TrainingPatch(_RulesPatch):
    nullable = frozenset({"description", "max_users"})

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
    body: TrainingCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> TrainingData:
    return await catalog.create_training(actor, body.model_dump())


@router.get("/trainings", response_model=Page[TrainingData])
async def list_trainings(
    _: CurrentPrincipal,
    catalog: CatalogService,
    listing: TrainingList,
    q: Search = None,
    organization: Ident | None = None,
) -> Page[TrainingData]:
    return await catalog.trainings(listing, q=q, organization=organization)


@router.get("/trainings/{training_id}", response_model=TrainingData)
async def get_training(
    training_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService
) -> TrainingData:
    return await catalog.training(training_id)


@router.patch("/trainings/{training_id}", response_model=TrainingData, responses=problems(403, 409))
async def update_training(
    training_id: uuid.UUID, body: TrainingPatch, actor: CurrentPrincipal, catalog: CatalogService
) -> TrainingData:
    return await catalog.update_training(actor, training_id, body.changes())


@router.delete("/trainings/{training_id}", status_code=204, responses=problems(403, 409))
async def delete_training(
    training_id: uuid.UUID, actor: CurrentPrincipal, catalog: CatalogService
) -> Response:
    await catalog.delete_training(actor, training_id)
    return Response(status_code=204)


# Sessions


class SessionCreate(SessionRules):
    """Rules the request leaves out are copied from the training (hence `exclude_unset`)."""

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


class SessionPatch(_RulesPatch):
    nullable = frozenset({"description", "max_users", "location", "workspace_url", "curriculum_id"})

    title: Title | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    description: LongText | None = None
    default_session: bool | None = None
    location: Place | None = None
    workspace_url: Url | None = None
    tutors: list[Ident] | None = None
    curriculum_id: uuid.UUID | None = None


class SessionCancel(_Strict):
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
    training_id: uuid.UUID, body: SessionCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    fields = body.model_dump(exclude_unset=True)
    fields.setdefault("default_session", False)
    fields.setdefault("tutors", [])
    return await catalog.create_session(actor, training_id, fields)


@router.get("/sessions", response_model=Page[SessionData])
async def list_sessions(
    _: CurrentPrincipal,
    catalog: CatalogService,
    listing: SessionList,
    training_id: uuid.UUID | None = None,
    q: Search = None,
    status: SessionStatus | None = None,
    starts_after: Annotated[Day | None, Query(description="start_date on or after")] = None,
    starts_before: Annotated[Day | None, Query(description="start_date on or before")] = None,
) -> Page[SessionData]:
    return await catalog.sessions(
        listing,
        training_id=training_id,
        q=q,
        status=status,
        starts_after=starts_after,
        starts_before=starts_before,
    )


@router.get("/sessions/{session_id}", response_model=SessionData)
async def get_session(
    session_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    return await catalog.session(session_id)


@router.patch("/sessions/{session_id}", response_model=SessionData, responses=problems(403, 409))
async def update_session(
    session_id: uuid.UUID, body: SessionPatch, actor: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    return await catalog.update_session(actor, session_id, body.changes())


@router.post("/sessions/{session_id}/cancel", response_model=SessionData, responses=problems(403))
async def cancel_session(
    session_id: uuid.UUID, body: SessionCancel, actor: CurrentPrincipal, catalog: CatalogService
) -> SessionData:
    return await catalog.cancel_session(actor, session_id, body.reason)


@router.delete("/sessions/{session_id}", status_code=204, responses=problems(403))
async def delete_session(
    session_id: uuid.UUID, actor: CurrentPrincipal, catalog: CatalogService
) -> Response:
    await catalog.delete_session(actor, session_id)
    return Response(status_code=204)


# Events (séances)


class EventCreate(_Strict):
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


class EventPatch(_Patch):
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
    session_id: uuid.UUID, body: EventCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> EventData:
    fields = body.model_dump(exclude_none=True)
    fields.setdefault("max_users", None)
    return await catalog.create_event(actor, session_id, fields)


@router.get("/sessions/{session_id}/events", response_model=Page[EventData])
async def list_events(
    session_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService, listing: EventList
) -> Page[EventData]:
    return await catalog.events(session_id, listing)


@router.get("/events/{event_id}", response_model=EventData)
async def get_event(event_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService) -> EventData:
    return await catalog.event(event_id)


@router.patch("/events/{event_id}", response_model=EventData, responses=problems(403))
async def update_event(
    event_id: uuid.UUID, body: EventPatch, actor: CurrentPrincipal, catalog: CatalogService
) -> EventData:
    return await catalog.update_event(actor, event_id, body.changes())


@router.delete("/events/{event_id}", status_code=204, responses=problems(403))
async def delete_event(
    event_id: uuid.UUID, actor: CurrentPrincipal, catalog: CatalogService
) -> Response:
    await catalog.delete_event(actor, event_id)
    return Response(status_code=204)


# Comments


class CommentBody(_Strict):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"body": "Apporter ses chaussures de sécurité."}]}
    )

    body: Body


@router.get("/events/{event_id}/comments", response_model=Page[Comment])
async def list_comments(
    event_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService, listing: CommentList
) -> Page[Comment]:
    return await catalog.comments(event_id, listing)


@router.post(
    "/events/{event_id}/comments",
    status_code=201,
    response_model=Comment,
    responses={
        **problems(403),
        **created("The comment.", by_id("comment_id", "update_comment", "delete_comment")),
    },
)
async def create_comment(
    event_id: uuid.UUID, body: CommentBody, actor: CurrentPrincipal, catalog: CatalogService
) -> Comment:
    return await catalog.create_comment(actor, event_id, body.body)


@router.patch("/comments/{comment_id}", response_model=Comment, responses=problems(403))
async def update_comment(
    comment_id: uuid.UUID, body: CommentBody, actor: CurrentPrincipal, catalog: CatalogService
) -> Comment:
    return await catalog.update_comment(actor, comment_id, body.body)


@router.delete("/comments/{comment_id}", status_code=204, responses=problems(403))
async def delete_comment(
    comment_id: uuid.UUID, actor: CurrentPrincipal, catalog: CatalogService
) -> Response:
    await catalog.delete_comment(actor, comment_id)
    return Response(status_code=204)


# Curricula


class CurriculumCreate(_Strict):
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


class CurriculumPatch(_Patch):
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
    body: CurriculumCreate, actor: CurrentPrincipal, catalog: CatalogService
) -> CurriculumData:
    return await catalog.create_curriculum(actor, body.model_dump())


@router.get("/curricula", response_model=Page[CurriculumData])
async def list_curricula(
    _: CurrentPrincipal,
    catalog: CatalogService,
    listing: CurriculumList,
    parent_id: uuid.UUID | None = None,
    root: Annotated[bool, Query(description="only the roots of the trees")] = False,
    training_id: uuid.UUID | None = None,
    q: Search = None,
) -> Page[CurriculumData]:
    return await catalog.curricula(
        listing, parent_id=parent_id, roots_only=root, training_id=training_id, q=q
    )


@router.get("/curricula/{curriculum_id}", response_model=CurriculumData)
async def get_curriculum(
    curriculum_id: uuid.UUID, _: CurrentPrincipal, catalog: CatalogService
) -> CurriculumData:
    return await catalog.curriculum(curriculum_id)


@router.patch(
    "/curricula/{curriculum_id}", response_model=CurriculumData, responses=problems(403, 409)
)
async def update_curriculum(
    curriculum_id: uuid.UUID,
    body: CurriculumPatch,
    actor: CurrentPrincipal,
    catalog: CatalogService,
) -> CurriculumData:
    return await catalog.update_curriculum(actor, curriculum_id, body.changes())


@router.delete("/curricula/{curriculum_id}", status_code=204, responses=problems(403, 409))
async def delete_curriculum(
    curriculum_id: uuid.UUID, actor: CurrentPrincipal, catalog: CatalogService
) -> Response:
    await catalog.delete_curriculum(actor, curriculum_id)
    return Response(status_code=204)
