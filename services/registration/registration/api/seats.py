"""Seats over HTTP: how many each session holds, waitlists and has free."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from registration.api.deps import RegistrationService
from shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api")


class SeatsItem(BaseModel):
    session_id: uuid.UUID
    max_users: int | None
    taken: int
    waitlisted: int
    free: int | None


class SeatsAnswer(BaseModel):
    items: list[SeatsItem]


@router.get("/seats", response_model=SeatsAnswer)
async def seats(
    actor: CurrentPrincipal,
    registrations: RegistrationService,
    session_id: Annotated[list[uuid.UUID], Query(min_length=1, max_length=500)],
) -> SeatsAnswer:
    found = await registrations.seats(session_id)
    return SeatsAnswer(
        items=[
            SeatsItem(
                session_id=s.session_id,
                max_users=s.max_users,
                taken=s.taken,
                waitlisted=s.waitlisted,
                free=s.free,
            )
            for s in found
        ]
    )
