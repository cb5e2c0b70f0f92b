"""What an event registration fact tells its learner, with the event's invitation; no I/O."""

import uuid
from typing import Final, TypedDict

from notification.domain import (
    CalendarEntry,
    EventView,
    Notice,
    Recipient,
    SessionView,
    channels_for,
)
from shared.events import EventRegistrationData

TOLD: Final = ("registered", "waitlisted", "promoted", "cancelled")
WITH_INVITATION: Final = ("registered", "promoted", "cancelled")


class EventRegistrationWords(TypedDict):
    name: str
    event: EventView | None
    session: SessionView | None
    position: int | None
    reason: str | None


def event_uid(event_registration_id: uuid.UUID) -> str:
    """Every invitation of one event registration has this UID: each replaces the one before."""
    return f"event-registration-{event_registration_id}@training"


def event_sequence(event_version: int, registration_version: int) -> int:
    """The SEQUENCE of an event registration's invitation: the event's catalog version plus the
    event registration's version. Both only grow and each invitation follows a change of one of
    them, so it is higher than any sent before under that UID (a stale fact's is lower: calendars
    keep the newer one)."""
    return event_version + registration_version


def event_entry(
    event_registration_id: uuid.UUID,
    registration_version: int,
    event: EventView,
    session: SessionView | None,
    learner: Recipient,
    *,
    cancel: bool,
) -> CalendarEntry:
    """The event as a timed invitation (or its cancellation), under the event registration's
    UID, for the event registration at `registration_version`."""
    return CalendarEntry(
        uid=event_uid(event_registration_id),
        summary=event.title,
        start=event.start,
        end=event.end,
        location=event.location,
        description=session.title if session is not None else "",
        sequence=event_sequence(event.version, registration_version),
        method="CANCEL" if cancel else "REQUEST",
        attendee=learner,
    )


def event_invitation(
    registration: EventRegistrationData,
    event: EventView,
    session: SessionView | None,
    learner: Recipient,
    *,
    cancel: bool,
) -> CalendarEntry:
    """The event as a timed invitation, under the event registration's UID."""
    return event_entry(
        registration.id, registration.version, event, session, learner, cancel=cancel
    )


def event_registration_notices(
    fact: str,
    event_id: str,
    registration: EventRegistrationData,
    event: EventView | None,
    session: SessionView | None,
    contact: Recipient | None,
) -> list[Notice]:
    if fact not in TOLD:
        return []
    user = registration.user
    if user is not None:
        learner = Recipient(user.id, user.email or None, user.name, user.locale)
    else:
        learner = contact or Recipient(registration.user_id, None, "")
    calendar = None
    if event is not None and fact in WITH_INVITATION:
        calendar = event_invitation(
            registration, event, session, learner, cancel=fact == "cancelled"
        )
    words = EventRegistrationWords(
        name=learner.name,
        event=event,
        session=session,
        position=registration.waitlist_position,
        reason=registration.reason,
    )
    ref = {
        "event_registration_id": str(registration.id),
        "event_id": str(registration.event_id),
        "session_id": str(registration.session_id),
    }
    return [
        Notice(
            f"event_registration.{fact}",
            event_id,
            learner,
            channels_for(learner),
            words,
            ref,
            calendar,
        )
    ]
