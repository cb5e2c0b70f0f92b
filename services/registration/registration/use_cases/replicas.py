"""What catalog tells of its sessions: the replica registration decides on."""

from datetime import UTC, datetime

from registration import domain, store
from registration.use_cases import Database
from registration.use_cases.changes import promote_waitlist, state_of, write
from shared.db import transaction
from shared.events import SessionData
from shared.messaging import first_delivery

SESSIONS_CONSUMER = "registration.sessions"


async def replicate_session(
    database: Database, event_id: str, event_type: str, data: SessionData
) -> None:
    """catalog.session.* → the replica, by version: a stale or replayed event changes nothing.

    A raised `max_users` promotes the waitlist; a cancelled or deleted session ends every
    active registration — in the same transaction.
    """
    status = "deleted" if event_type == "catalog.session.deleted" else data.status
    values = store.session_values(data, status)
    now = datetime.now(UTC)
    async with transaction(database) as db:
        if not await first_delivery(db, store.inbox, SESSIONS_CONSUMER, event_id):
            return
        if await store.insert_session_if_new(db, values):
            return
        session = await store.lock_session(db, data.id)
        assert session is not None
        if session["version"] >= data.version:
            return
        seats = domain.with_limit(store.seats_of(session), data.max_users)
        await store.update_session(
            db, data.id, {k: v for k, v in values.items() if k not in ("id", "max_users")}
        )
        if status in ("cancelled", "deleted"):
            reason = domain.SESSION_DELETED if status == "deleted" else domain.SESSION_CANCELLED
            for row in await store.active_registrations(db, data.id):
                change = domain.end_with_session(state_of(row), reason)
                await write(db, row, change, None, now)
            seats = domain.emptied(seats)
        else:
            seats = await promote_waitlist(db, data.id, seats, None, now)
        await store.set_seats(db, data.id, seats)
