"""What a session registration sets off in event registrations, and what an event's attendance
sets off in its session's completion — the one place each is wired.

Every change of a session registration (`changes.write`, a moved-in registration) and every
batch of new ones (`admission`) calls here, with the session's seat row already locked, so the
event rows are taken after it (the lock order of `event_registrations`). So does every
validation of an event's attendance and every change of a validated one (`attendance`), with
the session's row and the event's locked.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import EventRow, RegistrationRow
from registration.use_cases import completions, event_registrations
from shared.events import RegistrationStatus


async def registration_changed(
    db: AsyncSession,
    registration: RegistrationRow,
    previous_status: RegistrationStatus | None,
    actor: str | None,
    now: datetime,
) -> None:
    """Confirmed: the learner joins the session's `auto` events; ended: their event
    registrations end too."""
    await event_registrations.follow(db, registration, previous_status, actor, now)


async def registrations_created(
    db: AsyncSession, rows: list[RegistrationRow], now: datetime
) -> None:
    """New registrations of one session: those created `confirmed` join its `auto` events."""
    await event_registrations.follow_new(db, rows, now)


async def attendance_validated(
    db: AsyncSession, event: EventRow, actor: str, now: datetime, public_url: str
) -> None:
    """An event's attendance validated, or a validated presence changed by a manager: the
    session's completion is decided (again) once every event of it has ended validated, and
    each learner's certificate announced once available (`public_url` for its link)."""
    await completions.decide(db, event["session_id"], actor, now, public_url)
