"""Session registrations over HTTP: register (one, in bulk), list, export, read, and the
actions on one registration."""

import csv
import io
import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from registration.answers import answer_cells
from registration.api.deps import Reason, RegistrationService
from registration.domain import StepRequest
from registration.use_cases.admission import RegistrationRequest
from registration.use_cases.registrations import Registrations
from shared import bounds
from shared.auth import CurrentPrincipal, authenticate
from shared.events import GivenAnswers, Registration, RegistrationStatus, RegistrationUser
from shared.listing import Listing, Page, list_params
from shared.openapi import by_id, created, problems
from shared.spreadsheets import safe_cell

router = APIRouter(prefix="/api")

EXPORT_HEADER = ("id", "user_id", "email", "name", "status", "waitlist_position", "created_at")


RegistrationList = Annotated[
    Listing, Depends(list_params("created_at", "status", "waitlist_position"))
]


class RegistrationCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"session_id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10"},
                {
                    "session_id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10",
                    "answers": {"diet": "vegetarian", "topics": ["testing"], "parking": False},
                },
                {
                    "session_id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10",
                    "user": {"id": "lea", "email": "lea@example.org", "name": "Léa Martin"},
                },
            ]
        }
    )

    session_id: uuid.UUID
    user: RegistrationUser | None = None
    force: bool = False
    answers: GivenAnswers = Field(default_factory=dict)


class BulkCreate(BaseModel):
    session_id: uuid.UUID
    users: list[RegistrationUser] = Field(min_length=1, max_length=500)
    answers: GivenAnswers = Field(
        default_factory=dict, description="The same answers for every user."
    )


class BulkItem(BaseModel):
    user_id: str
    registration: Registration | None = None
    error: dict[str, Any] | None = None


class BulkAnswer(BaseModel):
    results: list[BulkItem]


class Confirmation(BaseModel):
    token: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class Validation(BaseModel):
    step: StepRequest


class Move(BaseModel):
    session_id: uuid.UUID


async def register(
    body: RegistrationCreate, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    request = RegistrationRequest(body.session_id, body.user, body.force, body.answers)
    return await registrations.register(actor, request)


class DirectRegister(APIRoute):
    """`POST /api/registrations`, the path every learner takes at peak enrollment: a request
    with a JSON body that fits `RegistrationCreate` is answered without FastAPI's dependency
    solving and the re-validation of the registration the use case built (docs/performance.md,
    issue 18) — the same token check (`authenticate`), the same model, the same use case, the
    same JSON. Anything else (another content type, a body that does not parse or fit) goes
    FastAPI's way, which answers it as it always has."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        by_fastapi = super().get_route_handler()

        async def handle(request: Request) -> Response:
            body = await _registration_create(request)
            if body is None:
                return await by_fastapi(request)
            actor = await authenticate(request)
            registrations: Registrations = request.app.state.registrations
            registration = await register(body, actor, registrations)
            return Response(
                registration.__pydantic_serializer__.to_json(registration, by_alias=True),
                status_code=201,
                media_type="application/json",
            )

        return handle


async def _registration_create(request: Request) -> RegistrationCreate | None:
    """The body, when it is JSON that fits the model; None for FastAPI to answer."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    try:
        body = await request.body()
    except Exception:  # the client went away, say: FastAPI answers that too
        return None
    try:
        return RegistrationCreate.model_validate(json.loads(body))
    except (ValueError, RecursionError):  # ValidationError is a ValueError
        return None


router.add_api_route(
    "/registrations",
    register,
    methods=["POST"],
    status_code=201,
    response_model=Registration,
    responses={
        **problems(403, 404, 409),
        **created(
            "The registration.",
            by_id(
                "registration_id",
                "get_registration",
                "confirm",
                "validate",
                "refuse",
                "cancel",
                "move",
                "accept",
                "decline",
            ),
        ),
    },
    route_class_override=DirectRegister,
)


@router.post("/registrations/bulk", response_model=BulkAnswer, responses=problems(403, 404))
async def register_many(
    body: BulkCreate, actor: CurrentPrincipal, registrations: RegistrationService
) -> BulkAnswer:
    results = await registrations.register_many(actor, body.session_id, body.users, body.answers)
    return BulkAnswer(
        results=[
            BulkItem(user_id=r.user_id, registration=r.registration, error=r.error) for r in results
        ]
    )


@router.get("/registrations", response_model=Page[Registration])
async def list_registrations(
    actor: CurrentPrincipal,
    registrations: RegistrationService,
    listing: RegistrationList,
    session_id: uuid.UUID | None = None,
    user_id: bounds.Ident | None = None,
    status: RegistrationStatus | None = None,
) -> Page[Registration]:
    filters = {"session_id": session_id, "user_id": user_id, "status": status}
    items, total = await registrations.registrations(actor, filters, listing)
    return Page[Registration](items=items, total=total)


@router.get(
    "/registrations/export",
    response_class=Response,
    responses={
        200: {
            "description": "One header row (the fixed columns, then one per question of the "
            "session, named by its id), then one row per registration.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problems(403, 404),
    },
)
async def export(
    session_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> Response:
    exported = await registrations.export(actor, session_id)
    questions = exported.questions
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*EXPORT_HEADER, *(q.id for q in questions)])
    for r in exported.registrations:
        writer.writerow(
            [
                str(r.id),
                safe_cell(r.user.id),
                safe_cell(r.user.email),
                safe_cell(r.user.name),
                r.status,
                "" if r.waitlist_position is None else r.waitlist_position,
                r.created_at.isoformat(),
                *answer_cells(questions, r.answers),
            ]
        )
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="registrations-{session_id}.csv"'},
    )


@router.get(
    "/registrations/{registration_id}", response_model=Registration, responses=problems(403)
)
async def get_registration(
    registration_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    return await registrations.registration(actor, registration_id)


@router.post(
    "/registrations/{registration_id}/confirm",
    response_model=Registration,
    responses=problems(403, 409),
)
async def confirm(
    registration_id: uuid.UUID,
    body: Confirmation,
    actor: CurrentPrincipal,
    registrations: RegistrationService,
) -> Registration:
    return await registrations.confirm(actor, registration_id, body.token)


@router.post(
    "/registrations/{registration_id}/validate",
    response_model=Registration,
    responses=problems(403, 409),
)
async def validate(
    registration_id: uuid.UUID,
    body: Validation,
    actor: CurrentPrincipal,
    registrations: RegistrationService,
) -> Registration:
    return await registrations.validate(actor, registration_id, body.step)


@router.post(
    "/registrations/{registration_id}/refuse",
    response_model=Registration,
    responses=problems(403, 409),
)
async def refuse(
    registration_id: uuid.UUID,
    actor: CurrentPrincipal,
    registrations: RegistrationService,
    body: Reason | None = None,
) -> Registration:
    return await registrations.refuse(actor, registration_id, body.reason if body else None)


@router.post(
    "/registrations/{registration_id}/cancel",
    response_model=Registration,
    responses=problems(403, 409),
)
async def cancel(
    registration_id: uuid.UUID,
    actor: CurrentPrincipal,
    registrations: RegistrationService,
    body: Reason | None = None,
) -> Registration:
    return await registrations.cancel(actor, registration_id, body.reason if body else None)


@router.post(
    "/registrations/{registration_id}/accept",
    response_model=Registration,
    responses=problems(403, 409),
)
async def accept(
    registration_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    return await registrations.accept(actor, registration_id)


@router.post(
    "/registrations/{registration_id}/decline",
    response_model=Registration,
    responses=problems(403, 409),
)
async def decline(
    registration_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    return await registrations.decline(actor, registration_id)


@router.post(
    "/registrations/{registration_id}/move",
    response_model=Registration,
    responses=problems(403, 409),
)
async def move(
    registration_id: uuid.UUID,
    body: Move,
    actor: CurrentPrincipal,
    registrations: RegistrationService,
) -> Registration:
    return await registrations.move(actor, registration_id, body.session_id)
