"""Registration HTTP routes: parse, call the use case, shape the answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from registration.service import RegistrationRequest, Registrations
from shared.auth import CurrentPrincipal
from shared.events import Registration, RegistrationUser

router = APIRouter(prefix="/api")


def _registrations(request: Request) -> Registrations:
    registrations: Registrations = request.app.state.registrations
    return registrations


RegistrationService = Annotated[Registrations, Depends(_registrations)]


class RegistrationCreate(BaseModel):
    session_id: uuid.UUID
    user: RegistrationUser | None = None
    force: bool = False


@router.post("/registrations", status_code=201, response_model=Registration)
async def register(
    body: RegistrationCreate, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    request = RegistrationRequest(session_id=body.session_id, user=body.user, force=body.force)
    return await registrations.register(actor, request)


@router.get("/registrations/{registration_id}", response_model=Registration)
async def get_registration(
    registration_id: uuid.UUID, actor: CurrentPrincipal, registrations: RegistrationService
) -> Registration:
    return await registrations.registration(actor, registration_id)
