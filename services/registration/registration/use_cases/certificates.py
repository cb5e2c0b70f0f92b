"""The certificate of attendance of a registration (PDF), and what a third party checks of it.

A certificate counts only events whose attendance is validated (the proof a funder reads):
the events the learner was `present` at among them, and their hours as completion.py counts
them. Its id is issued on the first download, or by the completion that announces it
(`completions`), and is the same on every later one.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registration import completion, documents, store
from registration.records import EventRow, RegistrationRow, SessionRow, TrainingRow
from registration.use_cases import Database
from registration.use_cases.reports import event_times
from shared.auth import Principal
from shared.db import transaction
from shared.events import PresenceStatus, RegistrationUser
from shared.refusals import forbidden, not_found


@dataclass(frozen=True)
class Attended:
    """What a registration's validated presences come to."""

    events: tuple[documents.AttendedEvent, ...]  # the validated events they were present at
    hours_attended: float
    presences: tuple[tuple[PresenceStatus, bool], ...]  # (status, validated), each presence
    days: tuple[date, date] | None  # of the session's events: for a session replicated undated


@dataclass(frozen=True)
class Verification:
    """`GET /api/certificates/{certificate_id}`."""

    certificate_id: uuid.UUID
    learner_name: str
    training: TrainingRow | None
    training_id: uuid.UUID
    session: SessionRow
    hours_attended: float
    issued_at: datetime


class Certificates:
    def __init__(self, sessions: Database, public_url: str) -> None:
        self._sessions = sessions
        self._public_url = public_url

    async def certificate(self, actor: Principal, registration_id: uuid.UUID) -> bytes:
        """GET /api/registrations/{id}/certificate (the learner, a manager): the PDF in the
        learner's locale; 409 while none of their attended events is validated."""
        now = datetime.now(UTC)
        async with transaction(self._sessions) as db:
            registration = await store.registration_by_id(db, registration_id)
            session = registration and await store.session_by_id(db, registration["session_id"])
            if registration is None or session is None:
                raise not_found("registration", registration_id)
            learner = actor.sub == registration["user_id"]
            if not (learner or actor.manages_training_of(session["organizations"])):
                raise forbidden("Only the learner or a manager of the training gets it.")
            attended = await _attended(db, registration, now)
            completion.ensure_certificate_available(attended.presences)
            issued = await store.issue_certificate(db, registration_id, now)
            training = await store.training_by_id(db, registration["training_id"])
        user = RegistrationUser.model_validate(registration["user"])
        issued_on = issued["issued_at"].astimezone(UTC).date()
        first_day, last_day = attended.days or (issued_on, issued_on)
        certificate = documents.CertificateOfAttendance(
            certificate_id=issued["certificate_id"],
            learner_name=user.name,
            training_code=(training and training["code"]) or "",
            training_title=(training and training["title"]) or "",
            session_title=session["title"] or "",
            session_start=session["start_date"] or first_day,
            session_end=session["end_date"] or last_day,
            session_location=session["location"],
            events=attended.events,
            hours_attended=attended.hours_attended,
            issued_on=issued_on,
        )
        return await asyncio.to_thread(
            documents.certificate_pdf, certificate, locale=user.locale, public_url=self._public_url
        )

    async def verify(self, certificate_id: uuid.UUID) -> Verification:
        """GET /api/certificates/{id} (anyone signed in): what the certificate attests now."""
        now = datetime.now(UTC)
        async with self._sessions() as db:
            issued = await store.certificate_by_id(db, certificate_id)
            registration = issued and await store.registration_by_id(db, issued["registration_id"])
            session = registration and await store.session_by_id(db, registration["session_id"])
            if issued is None or registration is None or session is None:
                raise not_found("certificate", certificate_id)
            attended = await _attended(db, registration, now)
            training = await store.training_by_id(db, registration["training_id"])
        return Verification(
            certificate_id=certificate_id,
            learner_name=str(registration["user"].get("name", "")),
            training=training,
            training_id=registration["training_id"],
            session=session,
            hours_attended=attended.hours_attended,
            issued_at=issued["issued_at"],
        )


async def _attended(db: AsyncSession, registration: RegistrationRow, now: datetime) -> Attended:
    events = await store.session_events(db, registration["session_id"])
    presences = await store.registered_presences(db, registration_id=registration["id"])
    validated = {e["id"]: e for e in events if e["attendance_validated_at"] is not None}
    statuses = {p["event_id"]: p["status"] for p in presences}
    counted = completion.attendance_of(
        {t.event_id: t for t in event_times(validated.values())}, statuses, now
    )
    return Attended(
        events=tuple(
            _attended_event(e)
            for e in validated.values()
            if e["end"] <= now and statuses.get(e["id"]) == "present"
        ),
        hours_attended=counted.hours_attended,
        presences=tuple((p["status"], p["event_id"] in validated) for p in presences),
        days=(events[0]["start"].date(), max(e["end"] for e in events).date()) if events else None,
    )


def _attended_event(event: EventRow) -> documents.AttendedEvent:
    return documents.AttendedEvent(event["title"] or "", event["start"], event["end"])
