"""Certificates of attendance over HTTP: a registration's PDF, and what a third party checks."""

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from registration.api.attendance_reports import PDF
from registration.api.deps import CertificateService
from shared.auth import CurrentPrincipal
from shared.openapi import problems

router = APIRouter(prefix="/api")


class CertifiedTraining(BaseModel):
    id: uuid.UUID
    code: str | None
    title: str | None


class CertifiedSession(BaseModel):
    id: uuid.UUID
    title: str | None
    start_date: date | None
    end_date: date | None


class CertificateCheck(BaseModel):
    certificate_id: uuid.UUID
    learner_name: str
    training: CertifiedTraining
    session: CertifiedSession
    hours_attended: float
    issued_at: datetime


@router.get(
    "/registrations/{registration_id}/certificate",
    response_class=Response,
    responses={
        200: {
            "description": "The certificate of attendance, in the learner's `locale`, with its "
            "`certificate_id` and the URL that verifies it.",
            "content": PDF,
        },
        **problems(403, 409),
    },
)
async def certificate(
    registration_id: uuid.UUID, actor: CurrentPrincipal, certificates: CertificateService
) -> Response:
    pdf = await certificates.certificate(actor, registration_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{registration_id}.pdf"'
        },
    )


@router.get("/certificates/{certificate_id}", response_model=CertificateCheck)
async def verify_certificate(
    certificate_id: uuid.UUID, _: CurrentPrincipal, certificates: CertificateService
) -> CertificateCheck:
    found = await certificates.verify(certificate_id)
    training, session = found.training, found.session
    return CertificateCheck(
        certificate_id=found.certificate_id,
        learner_name=found.learner_name,
        training=CertifiedTraining(
            id=found.training_id,
            code=training["code"] if training else None,
            title=training["title"] if training else None,
        ),
        session=CertifiedSession(
            id=session["id"],
            title=session["title"],
            start_date=session["start_date"],
            end_date=session["end_date"],
        ),
        hours_attended=found.hours_attended,
        issued_at=found.issued_at,
    )
