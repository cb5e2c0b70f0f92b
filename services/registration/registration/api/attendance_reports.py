"""Attendance reports over HTTP: a session's summary and CSV export, an event's sheet (PDF)."""

import csv
import io
import uuid
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from registration.api.deps import ReportService
from shared.auth import CurrentPrincipal
from shared.openapi import problems
from shared.spreadsheets import safe_cell

router = APIRouter(prefix="/api")

EXPORT_HEADER: Final = (
    "user_id",
    "email",
    "name",
    "event_id",
    "event_title",
    "start",
    "end",
    "status",
    "signed_at",
    "note",
)
PDF: Final = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


class LearnerAttendance(BaseModel):
    user_id: str
    name: str
    events: int = Field(description="Ended events of the session the learner is registered to.")
    present: int = Field(description="Of them, those the learner was present at.")
    hours_attended: float
    hours_total: float = Field(description="Hours of those ended events.")
    rate: float = Field(description="`hours_attended` as a percentage of `hours_total` (0..100).")


class SessionAttendance(BaseModel):
    items: list[LearnerAttendance]


@router.get(
    "/sessions/{session_id}/attendance",
    response_model=SessionAttendance,
    responses=problems(403),
)
async def session_attendance(
    session_id: uuid.UUID, actor: CurrentPrincipal, reports: ReportService
) -> SessionAttendance:
    rows = await reports.session_attendance(actor, session_id)
    return SessionAttendance(
        items=[
            LearnerAttendance(
                user_id=r.user_id,
                name=r.name,
                events=r.events,
                present=r.present,
                hours_attended=r.hours_attended,
                hours_total=r.hours_total,
                rate=r.rate,
            )
            for r in rows
        ]
    )


@router.get(
    "/sessions/{session_id}/attendance/export",
    response_class=Response,
    responses={
        200: {
            "description": "One header row, then one row per learner and ended event of the "
            "session, by learner then start.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **problems(403),
    },
)
async def attendance_export(
    session_id: uuid.UUID, actor: CurrentPrincipal, reports: ReportService
) -> Response:
    lines = await reports.attendance_export(actor, session_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for line in lines:
        writer.writerow(
            [
                safe_cell(line.user_id),
                safe_cell(line.email),
                safe_cell(line.name),
                str(line.event_id),
                safe_cell(line.event_title),
                line.start.isoformat(),
                line.end.isoformat(),
                line.status,
                line.signed_at.isoformat() if line.signed_at else "",
                safe_cell(line.note or ""),
            ]
        )
    return Response(
        out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="attendance-{session_id}.csv"'},
    )


@router.get(
    "/events/{ident}/attendance-sheet",
    response_class=Response,
    responses={
        200: {
            "description": "The event's attendance sheet in the caller's `locale`: blank for "
            "signatures, or (`filled=true`) each learner's status and `signed_at`.",
            "content": PDF,
        },
        **problems(403),
    },
)
async def attendance_sheet(
    ident: uuid.UUID, actor: CurrentPrincipal, reports: ReportService, filled: bool = False
) -> Response:
    pdf = await reports.attendance_sheet(actor, ident, filled=filled)
    kind = "filled" if filled else "blank"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="attendance-sheet-{ident}-{kind}.pdf"'
        },
    )
