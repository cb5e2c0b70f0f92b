"""Unconfirmed requests past their deadline end `expired`; their seats go to the line."""

from datetime import datetime

from registration import domain, store
from registration.use_cases.changes import leave, promote_waitlist, state_of, write
from registration.use_cases.seat_book import SeatBooks

EXPIRY_BATCH = 20


async def expire_due(books: SeatBooks, now: datetime) -> int:
    """End every request whose confirmation deadline has passed; how many ended.

    Sessions another replica (or a request) holds right now are skipped: the next round
    takes them.
    """
    ended = 0
    async with books.transaction() as book:
        for session in await book.lock_sessions_with_due_requests(now, EXPIRY_BATCH):
            seats = store.seats_of(session)
            for due in await book.due_registrations(session["id"], now):
                # as it is now: an earlier expiry of this round may have moved it up the line
                row = await book.registration_by_id(due["id"])
                assert row is not None
                state = state_of(row)
                if not domain.is_due(state, row["expires_at"], now):
                    continue
                change = domain.expire(state)
                await write(book, row, change, None, now)
                seats = await leave(book, session["id"], seats, change, now)
                ended += 1
            seats = await promote_waitlist(book, session["id"], seats, None, now)
            await book.set_seats(session["id"], seats)
    return ended
