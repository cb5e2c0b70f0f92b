"""What the learners registered to an event are told when it moves, changes place or leaves
their calendar (the event deleted, the session cancelled, their registration ended): the updated
invitation or its cancellation, under the UID of the invitations sent before, with a higher
SEQUENCE (`event_notices.event_sequence`); no I/O."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, TypedDict

from notification.domain import EventView, Notice, Recipient, SessionView, channels_for
from notification.event_notices import event_entry
from notification.preferences import Category
from shared.locales import format_span

CHANGES: Final[Category] = "changes"
"""The email preference these notices fall under (`GET/PUT /api/preferences`)."""

Changed = Literal["start", "end", "location"]
GONE: Final = ("cancelled", "deleted")
"""A session whose events are no one's any more: their learners' registrations end with it."""
Why = Literal["event_deleted", "session_cancelled", "registration_ended"]
"""Why an event leaves a learner's calendar."""


@dataclass(frozen=True)
class Attendee:
    """A learner `registered` to an event, as the event registrations replica holds it."""

    event_registration_id: uuid.UUID
    learner: Recipient
    version: int


class EventChangedWords(TypedDict):
    name: str
    event: EventView
    before: EventView
    session: SessionView | None
    changed: list[Changed]
    when: str
    """The new times, as the learner's language writes them."""
    was: str
    """The old times."""


class EventCancelledWords(TypedDict):
    name: str
    event: EventView
    session: SessionView | None
    why: Why
    when: str


def event_changes(before: EventView | None, after: EventView) -> list[Changed]:
    """What of the event the learners care about changed: its times and place. A title or
    description change, a version already held (replayed or stale) changes nothing."""
    if before is None or after.version <= before.version:
        return []
    changed: list[Changed] = []
    if after.start != before.start:
        changed.append("start")
    if after.end != before.end:
        changed.append("end")
    if after.location != before.location:
        changed.append("location")
    return changed


def ended_fact(event_registration_id: uuid.UUID, version: int) -> str:
    """The fact of an event registration leaving the learner's calendar, whichever fact tells it
    first (the event deleted, the session cancelled, the registration ended, or registration's
    own event_registration.cancelled): once per place held at `version`."""
    return f"event-registration:{event_registration_id}:ended:v{version}"


def cancelled_fact(
    fact_id: str,
    event_registration_id: uuid.UUID,
    held: tuple[str, int] | None,
    version: int,
) -> str:
    """The fact of registration's event_registration.cancelled at `version`, given the place's
    (status, version) held before it: a `registered` place ending is the fact `ended_fact` names,
    told once whichever comes first; anything else is the event's own fact (`fact_id`)."""
    if held is not None and held[0] == "registered" and held[1] < version:
        return ended_fact(event_registration_id, held[1])
    return fact_id


def _ref(attendee: Attendee, event: EventView) -> dict[str, str]:
    return {
        "event_registration_id": str(attendee.event_registration_id),
        "event_id": str(event.id),
        "session_id": str(event.session_id),
    }


def event_changed_notices(
    before: EventView | None,
    after: EventView,
    session: SessionView | None,
    attendees: Iterable[Attendee],
) -> list[Notice]:
    """Old and new times and place, with the updated invitation, to each registered learner;
    once per event version."""
    changed = event_changes(before, after)
    if before is None or not changed or (session is not None and session.status in GONE):
        return []
    notices = []
    for attendee in attendees:
        learner = attendee.learner
        words = EventChangedWords(
            name=learner.name,
            event=after,
            before=before,
            session=session,
            changed=changed,
            when=format_span(after.start, after.end, learner.locale),
            was=format_span(before.start, before.end, learner.locale),
        )
        calendar = event_entry(
            attendee.event_registration_id, attendee.version, after, session, learner, cancel=False
        )
        notices.append(
            Notice(
                "event.changed",
                f"event:{after.id}:changed:v{after.version}",
                learner,
                channels_for(learner),
                words,
                _ref(attendee, after),
                calendar,
                category=CHANGES,
            )
        )
    return notices


def event_cancelled_notices(
    event: EventView, session: SessionView | None, attendees: Iterable[Attendee], why: Why
) -> list[Notice]:
    """The event leaves each learner's calendar: METHOD:CANCEL under their invitations' UID, its
    SEQUENCE the one the ended registration's version (the next) gives."""
    notices = []
    for attendee in attendees:
        learner = attendee.learner
        words = EventCancelledWords(
            name=learner.name,
            event=event,
            session=session,
            why=why,
            when=format_span(event.start, event.end, learner.locale),
        )
        calendar = event_entry(
            attendee.event_registration_id,
            attendee.version + 1,
            event,
            session,
            learner,
            cancel=True,
        )
        notices.append(
            Notice(
                "event.cancelled",
                ended_fact(attendee.event_registration_id, attendee.version),
                learner,
                channels_for(learner),
                words,
                _ref(attendee, event),
                calendar,
                category=CHANGES,
            )
        )
    return notices
