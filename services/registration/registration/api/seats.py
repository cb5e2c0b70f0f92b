"""Seats over HTTP: how many each session holds, waitlists and has free, and whether learners
may register themselves now."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from registration.api.deps import RegistrationService
from shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api")


class SeatsItem(BaseModel):
    session_id: uuid.UUID
    max_users: int | None
    taken: int
    waitlisted: int
    free: int | None
    open: bool = Field(
        description="Learners may register themselves now: the session takes public "
        "registrations and its registration window is open."
    )


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
                open=s.open,
            )
            for s in found
        ]
    )
