"""Change notices, in the caller's transaction (the consumer's that replicated the fact): an
event's registered learners told of its new times or place, and the events a learner had taken
out of their calendar when the event is deleted, the session cancelled or their registration
ended (change_notices.py says what each is told)."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from notification import store
from notification.change_notices import (
    Attendee,
    Why,
    cancelled_fact,
    event_cancelled_notices,
    event_changed_notices,
)
from notification.domain import SESSION_CANCELLED, EventView, Notice, Recipient, SessionView
from notification.records import EventRow, PlaceRow
from notification.use_cases.notices import Letterhead, deliver
from notification.use_cases.views import event_view, recipient, session_view
from shared.events import EventData, EventRegistrationData, RegistrationData


async def event_replicated(
    db: AsyncSession,
    letterhead: Letterhead,
    before: EventRow | None,
    data: EventData,
    *,
    deleted: bool,
) -> None:
    """catalog.event.updated or .deleted, newer than the replica `before` it: a move or a new
    place told to the event's learners with the updated invitation; a deletion cancels it."""
    previous = event_view(before)
    if previous is None or data.version <= previous.version:
        return
    after = EventView(
        id=data.id,
        session_id=data.session_id,
        title=data.title,
        start=data.start,
        end=data.end,
        location=data.location,
        version=data.version,
    )
    session = session_view(await store.session_by_id(db, data.session_id))
    attendees = await _attendees(db, await store.places_at_event(db, data.id))
    if deleted:
        notices = event_cancelled_notices(after, session, attendees, "event_deleted")
    else:
        notices = event_changed_notices(previous, after, session, attendees)
    await deliver(db, letterhead, notices)


async def session_cancelled(db: AsyncSession, letterhead: Letterhead, session: SessionView) -> None:
    """catalog.session.cancelled: each learner's events of the session leave their calendar."""
    places = await store.places_in_session(db, session.id)
    await _cancel(db, letterhead, places, session, "session_cancelled")


async def registration_ended(
    db: AsyncSession,
    letterhead: Letterhead,
    registration: RegistrationData,
    session: SessionView | None,
) -> None:
    """A session registration ended (cancelled, refused, expired, moved): the learner's events
    of that session leave their calendar."""
    places = await store.places_in_session(db, registration.session_id, registration.user.id)
    why: Why = (
        "session_cancelled" if registration.reason == SESSION_CANCELLED else "registration_ended"
    )
    await _cancel(db, letterhead, places, session, why)


async def keep_place(db: AsyncSession, data: EventRegistrationData, fact_id: str) -> str:
    """The event registration in its replica; the fact its notice is told under (a place that
    ends is the fact the event's deletion, the session's cancellation or the registration's end
    may have told already)."""
    held = await store.place_by_id(db, data.id)
    await store.save_place(
        db,
        {
            "id": data.id,
            "event_id": data.event_id,
            "session_id": data.session_id,
            "user_id": data.user_id,
            "status": data.status,
            "version": data.version,
        },
    )
    if data.status != "cancelled":
        return fact_id
    standing = (held.status, held.version) if held is not None else None
    return cancelled_fact(fact_id, data.id, standing, data.version)


async def _cancel(
    db: AsyncSession,
    letterhead: Letterhead,
    places: Sequence[PlaceRow],
    session: SessionView | None,
    why: Why,
) -> None:
    events = await store.events_by_ids(db, sorted({place.event_id for place in places}))
    attendees = await _attendees(db, places)
    notices: list[Notice] = []
    for place, attendee in zip(places, attendees, strict=True):
        event = event_view(events.get(place.event_id))
        if event is not None:  # a deleted one was cancelled then
            notices += event_cancelled_notices(event, session, [attendee], why)
    await deliver(db, letterhead, notices)


async def _attendees(db: AsyncSession, places: Sequence[PlaceRow]) -> list[Attendee]:
    contacts = await store.contacts_of(db, sorted({place.user_id for place in places}))
    attendees = []
    for place in places:
        contact = contacts.get(place.user_id)
        learner = recipient(contact) if contact else Recipient(place.user_id, None, "")
        attendees.append(Attendee(place.id, learner, place.version))
    return attendees
