"""Reminders: planned in the transaction of the fact that changes them (a learner's place, the
event, the session and its `reminder_hours`), sent by the scheduler (reminder_scheduler.py) in
a transaction of its own per batch of due ones.

Planning brings each learner's reminders of an event in line with what the replicas hold
(reminders.plan), under a lock on the event's reminders; the facts that call it are told in
facts.py."""

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from notification import reminder_store, store
from notification.records import EventRow, ReminderPlace, ReminderRow, SessionRow
from notification.reminder_notices import reminder_notice
from notification.reminders import Held, ReminderStatus, Slot, Standing, plan, still_due
from notification.use_cases.notices import Letterhead, deliver
from notification.use_cases.views import event_view, recipient, session_view
from shared.events import EventRegistrationData
from shared.metrics import notification_reminder_lateness

log = logging.getLogger(__name__)


async def place_changed(db: AsyncSession, data: EventRegistrationData) -> None:
    """event_registration.*: the learner's reminders of that event, as of when their place
    became what this fact says (kept by facts.py before)."""
    await _replan(db, data.event_id, [data.user_id], as_of=data.updated_at, version=data.version)


async def event_changed(db: AsyncSession, event_id: uuid.UUID, *, as_of: datetime) -> None:
    """catalog.event.*: a new start re-plans every learner's reminders, a deletion drops them."""
    await _replan(db, event_id, None, as_of=as_of)


async def session_changed(db: AsyncSession, session_id: uuid.UUID, *, as_of: datetime) -> None:
    """catalog.session.*: a new `reminder_hours` re-plans the reminders of its events, a
    cancellation or deletion drops them."""
    for event_id in await reminder_store.session_event_ids(db, session_id):
        await _replan(db, event_id, None, as_of=as_of)


async def _replan(
    db: AsyncSession,
    event_id: uuid.UUID,
    user_ids: list[str] | None,
    *,
    as_of: datetime,
    version: int | None = None,
) -> None:
    """`user_ids` None: every learner registered to the event or holding one of its reminders.

    Nothing is added due before a learner's place was replicated as it is (a re-plan of a place
    long held cannot plan a time already past when they registered), but for the fact that made
    it so (`version`): a fact handled late still reminds of what is due since."""
    await reminder_store.hold_reminders(db, event_id)
    event = await store.event_by_id(db, event_id)
    session = await store.session_by_id(db, event.session_id) if event is not None else None
    places = await reminder_store.registered_places(db, event_id, user_ids)
    held: dict[str, list[Held]] = {}
    for row in await reminder_store.reminders_of(db, event_id, user_ids):
        held.setdefault(row.user_id, []).append(_held(row))
    learners = sorted(set(user_ids) if user_ids is not None else {*places, *held})
    for user_id in learners:
        place = places.get(user_id)
        since = as_of
        if place is not None and place.version != version:
            since = max(as_of, place.replicated_at)
        result = plan(_standing(place, event, session), held.get(user_id, []), as_of=since)
        await reminder_store.drop_reminders(db, event_id, user_id, result.drop)
        await reminder_store.add_reminders(db, event_id, user_id, result.add)


async def send_due(db: AsyncSession, letterhead: Letterhead, limit: int) -> int:
    """One round of the scheduler, in the caller's transaction: claim what is due, check it is
    still wanted, write each notice (inbox message, pending email with the invitation) and mark
    it sent, or drop it. How many were sent or dropped."""
    settled = 0
    for row in await reminder_store.claim_due_reminders(db, limit):
        try:
            async with db.begin_nested():
                await _send_or_drop(db, letterhead, row)
            settled += 1
        except Exception:
            # left pending: tried again next round, the others of this round go out meanwhile
            log.exception("reminder %s could not be written; trying again next round", row.id)
    return settled


async def _send_or_drop(db: AsyncSession, letterhead: Letterhead, row: ReminderRow) -> None:
    now = datetime.now(UTC)
    slot = Slot(row.hours, row.start)
    event = await store.event_by_id(db, row.event_id)
    session = await store.session_by_id(db, event.session_id) if event is not None else None
    place = (await reminder_store.registered_places(db, row.event_id, [row.user_id])).get(
        row.user_id
    )
    shown = event_view(event)
    if (
        place is None
        or shown is None
        or not still_due(slot, _standing(place, event, session), now=now)
    ):
        await reminder_store.settle_reminder(db, row.id, sent_at=None)
        return
    contact = (await store.contacts_of(db, [row.user_id])).get(row.user_id)
    if contact is None:
        log.warning("reminder %s: no contact known for its learner; dropped", row.id)
        await reminder_store.settle_reminder(db, row.id, sent_at=None)
        return
    notice = reminder_notice(
        slot,
        shown,
        session_view(session),
        recipient(contact),
        event_registration_id=place.id,
        registration_version=place.version,
    )
    await deliver(db, letterhead, [notice])
    await reminder_store.settle_reminder(db, row.id, sent_at=now)
    notification_reminder_lateness.observe((now - row.due_at).total_seconds())


def _standing(
    place: ReminderPlace | None, event: EventRow | None, session: SessionRow | None
) -> Standing:
    return Standing(
        registered=place is not None,
        start=event.start if event is not None and not event.deleted else None,
        session_status=session.status if session is not None else None,
        reminder_hours=tuple(session.reminder_hours) if session is not None else (),
    )


def _held(row: ReminderRow) -> Held:
    statuses: dict[str, ReminderStatus] = {"pending": "pending", "sent": "sent"}
    status = statuses.get(row.status, "dropped")
    return Held(Slot(row.hours, row.start), status)
