"""What managers and tutors read of attendance: a session's summary and its CSV export, and an
event's attendance sheet (PDF). Reading only: one read-only transaction each.

The learners of a session are its `confirmed` registrations and anyone still registered to one of
its events; their presences count at the events they are registered to (completion.py's rules).
"""

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registration import completion, documents, store
from registration.completion import EventTimes, Learner, SummaryRow
from registration.records import EventRow, RegisteredPresenceRow, SessionRow
from registration.use_cases import Database
from registration.use_cases.rights import event_rights
from shared.auth import Principal
from shared.events import PresenceStatus
from shared.refusals import forbidden, not_found


@dataclass(frozen=True)
class ExportLine:
    """One row of `GET /api/sessions/{id}/attendance/export`: a learner at an ended event."""

    user_id: str
    email: str
    name: str
    event_id: uuid.UUID
    event_title: str
    start: datetime
    end: datetime
    status: PresenceStatus
    signed_at: datetime | None
    note: str | None


def event_times(events: Iterable[EventRow]) -> list[EventTimes]:
    return [
        EventTimes(e["id"], e["start"], e["end"], e["attendance_validated_at"] is not None)
        for e in events
    ]


def statuses_by_learner(
    presences: Iterable[RegisteredPresenceRow],
) -> dict[str, dict[uuid.UUID, PresenceStatus]]:
    by_learner: dict[str, dict[uuid.UUID, PresenceStatus]] = {}
    for p in presences:
        by_learner.setdefault(p["user_id"], {})[p["event_id"]] = p["status"]
    return by_learner


def learners_of(
    confirmed: Iterable[tuple[str, str]], presences: Iterable[RegisteredPresenceRow]
) -> list[Learner]:
    """Each (user id, name) once, by name then id."""
    named = dict(confirmed)
    for p in presences:
        named.setdefault(p["user_id"], str(p["user"].get("name", "")))
    return [
        Learner(user_id, name)
        for user_id, name in sorted(named.items(), key=lambda n: (n[1].casefold(), n[0]))
    ]


class Reports:
    def __init__(self, sessions: Database) -> None:
        self._sessions = sessions

    async def session_attendance(self, actor: Principal, session_id: uuid.UUID) -> list[SummaryRow]:
        """GET /api/sessions/{id}/attendance (manager, tutor): per learner, over ended events."""
        now = datetime.now(UTC)
        async with self._sessions() as db:
            session = await _session(db, session_id)
            if not (actor.manages_training_of(session["organizations"]) or _tutors(actor, session)):
                raise forbidden("Only a manager or tutor of the session reads its attendance.")
            events = await store.session_events(db, session_id)
            confirmed = await store.confirmed_registrations(db, session_id)
            presences = await store.registered_presences(db, session_id=session_id)
        learners = learners_of(((r["user_id"], r["user"]["name"]) for r in confirmed), presences)
        return completion.summary(
            learners, event_times(events), statuses_by_learner(presences), now
        )

    async def attendance_export(self, actor: Principal, session_id: uuid.UUID) -> list[ExportLine]:
        """GET /api/sessions/{id}/attendance/export (manager): each registered learner at each
        ended event, by learner then start — the rows behind the summary."""
        now = datetime.now(UTC)
        async with self._sessions() as db:
            session = await _session(db, session_id)
            if not actor.manages_training_of(session["organizations"]):
                raise forbidden("Only a manager of the training exports the attendance.")
            events = {e["id"]: e for e in await store.session_events(db, session_id)}
            presences = await store.registered_presences(db, session_id=session_id)
        return [
            ExportLine(
                p["user_id"],
                str(p["user"].get("email", "")),
                str(p["user"].get("name", "")),
                event["id"],
                event["title"] or "",
                event["start"],
                event["end"],
                p["status"],
                p["signed_at"],
                p["note"],
            )
            for p in presences
            if (event := events[p["event_id"]])["end"] <= now
        ]

    async def attendance_sheet(
        self, actor: Principal, event_id: uuid.UUID, *, filled: bool
    ) -> bytes:
        """GET /api/events/{id}/attendance-sheet (manager, tutor): the PDF, in the caller's
        locale, rendered off the event loop (WeasyPrint is CPU-bound)."""
        async with self._sessions() as db:
            event = await store.event_by_id(db, event_id)
            if event is None or event["status"] == "deleted":
                raise not_found("event", event_id)
            if not event_rights(actor, event, "").staff:
                raise forbidden("Only a manager or tutor of the session prints its sheets.")
            session = await store.session_by_id(db, event["session_id"])
            training = await store.training_by_id(db, event["training_id"])
            presences = await store.registered_presences(db, event_id=event_id)
        sheet = documents.AttendanceSheet(
            training_title=(training and training["title"]) or "",
            session_title=(session and session["title"]) or "",
            event=documents.SheetEvent(
                event["title"] or "", event["start"], event["end"], event["location"]
            ),
            rows=tuple(
                documents.SheetRow(str(p["user"].get("name", "")), p["status"], p["signed_at"])
                for p in presences
            ),
        )
        return await asyncio.to_thread(
            documents.attendance_sheet_pdf, sheet, filled=filled, locale=actor.locale
        )


async def _session(db: AsyncSession, session_id: uuid.UUID) -> SessionRow:
    session = await store.session_by_id(db, session_id)
    if session is None or session["status"] == "deleted":
        raise not_found("session", session_id)
    return session


def _tutors(actor: Principal, session: SessionRow) -> bool:
    tutors: Sequence[str] = session["tutors"]
    return actor.sub in tutors
