"""What the consumers record: the replicas of sessions, events, rosters and contacts, and the
notices each fact yields. One transaction each: the event in the inbox (dedupe on its id), the
replicas, the notices. The registration facts, many at a peak, are applied in batches
(`registration_facts`)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import domain, store, tables
from notification.domain import Notice
from notification.event_notices import event_registration_notices
from notification.records import ContactValues, RegistrationValues
from notification.registration_notices import certificate_notice, confirmation_notice
from notification.session_notices import session_cancelled_notices, session_rescheduled_notices
from notification.use_cases import changes, reminders
from notification.use_cases.notices import Letterhead, deliver
from notification.use_cases.views import event_view, recipient, roster, session_view
from shared.db import transaction
from shared.events import (
    CertificateAvailable,
    CloudEvent,
    EventData,
    EventRegistrationData,
    RegistrationData,
    RegistrationUser,
    SendConfirmation,
    SessionData,
)
from shared.messaging import first_delivery

# each consumer's name in the inbox table, also its queue's name (consumers.py)
REGISTRATIONS = "notification.registrations"
EVENT_REGISTRATIONS = "notification.event-registrations"
SESSIONS = "notification.sessions"
EVENTS = "notification.events"
CONFIRMATIONS = "notification.confirmations"
"""Also where the other commands arrive: its queue is bound to each of them."""


class NotKnownYet(Exception):
    """A fact about a session or event whose catalog event has not arrived yet: retried later
    (the consumer's back-off), told without those details on the last attempt."""


async def replicate_session(
    sessions: async_sessionmaker[AsyncSession], letterhead: Letterhead, event: CloudEvent
) -> None:
    """catalog.session.*: keep the session; a cancellation or new dates reach its learners."""
    data = SessionData.model_validate(event.data)
    fact = event.type.removeprefix("catalog.session.")
    status = "deleted" if fact == "deleted" else data.status
    async with transaction(sessions) as db:
        if not await first_delivery(db, tables.inbox, SESSIONS, event.id):
            return
        before = session_view(await store.session_by_id(db, data.id, lock=True))
        await store.save_session(
            db,
            {
                "id": data.id,
                "training_id": data.training_id,
                "title": data.title,
                "start_date": data.start_date,
                "end_date": data.end_date,
                "location": data.location,
                "organizations": data.organizations,
                "tutors": data.tutors,
                "validators": data.validators,
                "status": status,
                "version": data.version,
                "reminder_hours": data.reminder_hours,
            },
        )
        incoming = domain.SessionView(
            id=data.id,
            title=data.title,
            start_date=data.start_date,
            end_date=data.end_date,
            location=data.location,
            organizations=tuple(data.organizations),
            tutors=tuple(data.tutors),
            validators=tuple(data.validators),
            status=status,
            version=data.version,
        )
        current = before if before and before.version > incoming.version else incoming
        notices: list[Notice] = []
        if fact == "cancelled" or (
            data.status == "cancelled" and (before is None or before.status != "cancelled")
        ):
            entries = roster(await store.roster(db, data.id))
            notices = session_cancelled_notices(current, entries, data.cancel_reason)
            await changes.session_cancelled(db, letterhead, current)
        elif fact == "updated":
            entries = roster(await store.roster(db, data.id, domain.ACTIVE))
            notices = session_rescheduled_notices(before, incoming, entries)
        await deliver(db, letterhead, notices)
        await reminders.session_changed(db, data.id, as_of=data.updated_at)


async def replicate_event(
    sessions: async_sessionmaker[AsyncSession], letterhead: Letterhead, event: CloudEvent
) -> None:
    """catalog.event.*: title, times and place, for event registration emails; new times or
    place, or a deletion, reach its registered learners."""
    data = EventData.model_validate(event.data)
    deleted = event.type == "catalog.event.deleted"
    async with transaction(sessions) as db:
        if not await first_delivery(db, tables.inbox, EVENTS, event.id):
            return
        await store.hold_event(db, data.id, exclusive=True)
        before = await store.event_by_id(db, data.id)
        await store.save_event(
            db,
            {
                "id": data.id,
                "session_id": data.session_id,
                "title": data.title,
                "start": data.start,
                "end": data.end,
                "location": data.location,
                "utc_offset_minutes": _offset_minutes(data.start),
                "deleted": deleted,
                "version": data.version,
            },
        )
        await changes.event_replicated(db, letterhead, before, data, deleted=deleted)
        await reminders.event_changed(db, data.id, as_of=data.updated_at)


async def send_confirmation(
    sessions: async_sessionmaker[AsyncSession],
    letterhead: Letterhead,
    event: CloudEvent,
    *,
    last_chance: bool = True,
) -> None:
    """notification.send_confirmation: the email (and inbox message) with the link."""
    command = SendConfirmation.model_validate(event.data)
    registration = RegistrationData.model_validate(command.registration.model_dump())
    async with transaction(sessions) as db:
        if not await first_delivery(db, tables.inbox, CONFIRMATIONS, event.id):
            return
        session = await _session_for(db, registration.session_id, last_chance=last_chance)
        known = await store.registration_state(db, registration.id)
        await _keep_registration(db, registration)
        if (
            known is not None
            and known.version > registration.version
            and known.status not in domain.ACTIVE
        ):
            return  # it ended meanwhile: a link to confirm it would only mislead
        notice = confirmation_notice(event.id, command, session, letterhead.public_url)
        await deliver(db, letterhead, [notice])


async def certificate_available(
    sessions: async_sessionmaker[AsyncSession],
    letterhead: Letterhead,
    event: CloudEvent,
    *,
    last_chance: bool = True,
) -> None:
    """notification.certificate_available: the learner's inbox message and email with the
    download link, once per registration (its delivery keys), whatever the command's id."""
    command = CertificateAvailable.model_validate(event.data)
    registration = RegistrationData.model_validate(command.registration.model_dump())
    async with transaction(sessions) as db:
        if not await first_delivery(db, tables.inbox, CONFIRMATIONS, event.id):
            return
        session = await _session_for(db, registration.session_id, last_chance=last_chance)
        await _keep_registration(db, registration)
        notice = certificate_notice(command, session, letterhead.public_url)
        await deliver(db, letterhead, [notice])


async def on_event_registration_fact(
    sessions: async_sessionmaker[AsyncSession],
    letterhead: Letterhead,
    event: CloudEvent,
    *,
    last_chance: bool = True,
) -> None:
    """event_registration.*: the learner's notice (contact from `data.user`, else from the
    contacts replica)."""
    data = EventRegistrationData.model_validate(event.data)
    fact = event.type.removeprefix("event_registration.")
    async with transaction(sessions) as db:
        if not await first_delivery(db, tables.inbox, EVENT_REGISTRATIONS, event.id):
            return
        await store.hold_event(db, data.event_id, exclusive=False)
        fact_id = await changes.keep_place(db, data, event.id)
        event_row = await store.event_by_id(db, data.event_id)
        if event_row is None and not last_chance:
            raise NotKnownYet(f"event {data.event_id} is not known yet")
        session = session_view(await store.session_by_id(db, data.session_id))
        contact = None
        if data.user is not None:
            await _keep_contact(db, data.user, data.updated_at)
        else:
            found = (await store.contacts_of(db, [data.user_id])).get(data.user_id)
            contact = recipient(found) if found else None
        notices = event_registration_notices(
            fact, fact_id, data, event_view(event_row), session, contact
        )
        await deliver(db, letterhead, notices)
        await reminders.place_changed(db, data)


async def _session_for(
    db: AsyncSession, session_id: uuid.UUID, *, last_chance: bool
) -> domain.SessionView | None:
    session = session_view(await store.session_by_id(db, session_id))
    if session is None and not last_chance:
        raise NotKnownYet(f"session {session_id} is not known yet")
    return session


async def _keep_registration(db: AsyncSession, data: RegistrationData) -> None:
    await store.save_registration(db, roster_row(data))
    await _keep_contact(db, data.user, data.updated_at)


async def _keep_contact(db: AsyncSession, user: RegistrationUser, as_of: datetime) -> None:
    await store.save_contact(db, contact_row(user, as_of))


def roster_row(data: RegistrationData) -> RegistrationValues:
    """The roster's row of a registration, as a fact about it tells it."""
    user = data.user
    return {
        "id": data.id,
        "session_id": data.session_id,
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "status": data.status,
        "reason": data.reason,
        "version": data.version,
    }


def contact_row(user: RegistrationUser, as_of: datetime) -> ContactValues:
    """How to reach a learner, as of the fact that named them."""
    return {
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "as_of": as_of,
    }


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)
