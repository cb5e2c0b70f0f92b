"""What the routes take from the request besides their bodies: the use cases' facades, and the
one body several resources share."""

from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel

from registration.use_cases.certificates import Certificates
from registration.use_cases.curricula import Curricula
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.presences import Presences
from registration.use_cases.registrations import Registrations
from registration.use_cases.reports import Reports
from shared import bounds


async def _registrations(request: Request) -> Registrations:  # async: no thread hop per request
    registrations: Registrations = request.app.state.registrations
    return registrations


def _event_registrations(request: Request) -> EventRegistrations:
    service: EventRegistrations = request.app.state.event_registrations
    return service


def _curricula(request: Request) -> Curricula:
    service: Curricula = request.app.state.curricula
    return service


def _reports(request: Request) -> Reports:
    service: Reports = request.app.state.reports
    return service


def _certificates(request: Request) -> Certificates:
    service: Certificates = request.app.state.certificates
    return service


def _presences(request: Request) -> Presences:
    service: Presences = request.app.state.presences
    return service


RegistrationService = Annotated[Registrations, Depends(_registrations)]
EventRegistrationService = Annotated[EventRegistrations, Depends(_event_registrations)]
CurriculumService = Annotated[Curricula, Depends(_curricula)]
PresenceService = Annotated[Presences, Depends(_presences)]
ReportService = Annotated[Reports, Depends(_reports)]
CertificateService = Annotated[Certificates, Depends(_certificates)]


class Reason(BaseModel):
    reason: bounds.Reason | None = None
