"""An event's attendance over HTTP: the list, marking it in bulk, validating it, the check-in code
and a learner's own check-in."""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from registration.api.deps import PresenceService
from registration.attendance import Mark
from registration.use_cases.presences import CheckInCode, EventAttendance
from shared import bounds
from shared.auth import CurrentPrincipal
from shared.events import Presence, PresenceStatus
from shared.openapi import problems

router = APIRouter(prefix="/api")


class PresenceMark(BaseModel):
    user_id: bounds.Ident
    status: PresenceStatus
    note: bounds.Note | None = Field(
        default=None, description="null or absent keeps the note; an empty string clears it"
    )


class AttendanceMarks(BaseModel):
    items: list[PresenceMark] = Field(max_length=bounds.MAX_USERS)


class CheckIn(BaseModel):
    code: bounds.Code


@router.get(
    "/events/{ident}/attendance", response_model=EventAttendance, responses=problems(403, 404)
)
async def get_event_attendance(
    ident: uuid.UUID, actor: CurrentPrincipal, service: PresenceService
) -> EventAttendance:
    return await service.attendance(actor, ident)


@router.put(
    "/events/{ident}/attendance",
    response_model=EventAttendance,
    responses=problems(403, 404),
)
async def mark_event_attendance(
    ident: uuid.UUID, body: AttendanceMarks, actor: CurrentPrincipal, service: PresenceService
) -> EventAttendance:
    marks = [Mark(item.user_id, item.status, item.note) for item in body.items]
    return await service.mark(actor, ident, marks)


@router.post(
    "/events/{ident}/attendance/validate",
    response_model=EventAttendance,
    responses=problems(403, 404),
)
async def validate_event_attendance(
    ident: uuid.UUID, actor: CurrentPrincipal, service: PresenceService
) -> EventAttendance:
    return await service.validate(actor, ident)


@router.get(
    "/events/{ident}/check-in-code", response_model=CheckInCode, responses=problems(403, 404)
)
async def get_check_in_code(
    ident: uuid.UUID, actor: CurrentPrincipal, service: PresenceService
) -> CheckInCode:
    return await service.check_in_code(actor, ident)


@router.post(
    "/events/{ident}/check-in-code", response_model=CheckInCode, responses=problems(403, 404)
)
async def renew_check_in_code(
    ident: uuid.UUID, actor: CurrentPrincipal, service: PresenceService
) -> CheckInCode:
    return await service.new_check_in_code(actor, ident)


@router.post(
    "/events/{ident}/check-in",
    response_model=Presence,
    responses=problems(403, 404, 409, 429),
)
async def check_in(
    ident: uuid.UUID, body: CheckIn, actor: CurrentPrincipal, service: PresenceService
) -> Presence:
    return await service.check_in(actor, ident, body.code)
