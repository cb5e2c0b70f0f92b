"""What a session registration sets off in event registrations — the one place it is wired.

Every change of a session registration (`changes.write`, a moved-in registration) and every
batch of new ones (`admission`) calls here, with the session's seat row already locked, so the
event rows are taken after it (the lock order of `event_registrations`).
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from registration.records import RegistrationRow
from registration.use_cases import event_registrations
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
