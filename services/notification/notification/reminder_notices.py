"""What a learner is told when a reminder of an event falls due: the event, when and where, with
its invitation (the UID and SEQUENCE of the invitations sent before for that place); no I/O."""

import uuid
from datetime import UTC
from typing import Final, TypedDict

from notification.domain import EventView, Notice, Recipient, SessionView, channels_for
from notification.event_notices import event_entry
from notification.preferences import Category
from notification.reminders import Slot
from shared.locales import format_span

KIND: Final = "event.reminder"
REMINDERS: Final[Category] = "reminders"
"""The email preference reminders fall under (`GET/PUT /api/preferences`): its seam."""


class ReminderWords(TypedDict):
    name: str
    event: EventView
    session: SessionView | None
    hours: float
    when: str
    """The event's times, as the learner's language writes them."""


def reminder_fact(event_id: uuid.UUID, slot: Slot) -> str:
    """One reminder per (event, learner, hours, start): its delivery keys add the learner and the
    channel, so a reminder claimed twice (a scheduler that died before committing) is written
    once."""
    start = slot.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"reminder:{event_id}:{slot.hours!r}h:{start}"


def reminder_notice(
    slot: Slot,
    event: EventView,
    session: SessionView | None,
    learner: Recipient,
    *,
    event_registration_id: uuid.UUID,
    registration_version: int,
) -> Notice:
    calendar = event_entry(
        event_registration_id, registration_version, event, session, learner, cancel=False
    )
    words = ReminderWords(
        name=learner.name,
        event=event,
        session=session,
        hours=slot.hours,
        when=format_span(event.start, event.end, learner.locale),
    )
    ref = {
        "event_registration_id": str(event_registration_id),
        "event_id": str(event.id),
        "session_id": str(event.session_id),
    }
    return Notice(
        KIND,
        reminder_fact(event.id, slot),
        learner,
        channels_for(learner),
        words,
        ref,
        calendar,
        category=REMINDERS,
    )
