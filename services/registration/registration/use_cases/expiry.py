"""Unconfirmed requests past their deadline end `expired`; their seats go to the line."""

from datetime import datetime

from registration import domain, store
from registration.use_cases import Database
from registration.use_cases.changes import leave, promote_waitlist, state_of, write
from shared.db import transaction

EXPIRY_BATCH = 20


async def expire_due(database: Database, now: datetime) -> int:
    """End every request whose confirmation deadline has passed; how many ended.

    Sessions another replica (or a request) holds right now are skipped: the next round
    takes them.
    """
    ended = 0
    async with transaction(database) as db:
        for session in await store.lock_sessions_with_due_requests(db, now, EXPIRY_BATCH):
            seats = store.seats_of(session)
            for due in await store.due_registrations(db, session["id"], now):
                # as it is now: an earlier expiry of this round may have moved it up the line
                row = await store.registration_by_id(db, due["id"])
                assert row is not None
                state = state_of(row)
                if not domain.is_due(state, row["expires_at"], now):
                    continue
                change = domain.expire(state)
                await write(db, row, change, None, now)
                seats = await leave(db, session["id"], seats, change, now)
                ended += 1
            seats = await promote_waitlist(db, session["id"], seats, None, now)
            await store.set_seats(db, session["id"], seats)
    return ended
