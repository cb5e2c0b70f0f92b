"""Unconfirmed requests and seats offered past their deadline end `expired`; their seats go to
the line."""

from datetime import datetime

from registration import domain, offers, store
from registration.domain import Change, State
from registration.records import RegistrationRow
from registration.use_cases.changes import hand_out_seats, leave, state_of, write
from registration.use_cases.seat_book import SeatBooks
from shared.events import SessionRules
from shared.metrics import registration_expiry_lateness

EXPIRY_BATCH = 20


async def expire_due(books: SeatBooks, now: datetime) -> int:
    """End every request whose confirmation deadline, and every offer whose deadline, has
    passed; how many ended.

    Sessions another replica (or a request) holds right now are skipped: the next round
    takes them.
    """
    late: list[float] = []
    async with books.transaction() as book:
        for session in await book.lock_sessions_with_due_requests(now, EXPIRY_BATCH):
            seats = store.seats_of(session)
            for due in await book.due_registrations(session["id"], now):
                # as it is now: an earlier expiry of this round may have moved it up the line
                row = await book.registration_by_id(due["id"])
                assert row is not None
                due_now = _expiry(state_of(row), row, now)
                if due_now is None:
                    continue
                change, deadline = due_now
                await write(book, row, change, None, now)
                seats = await leave(book, session["id"], seats, change, now)
                late.append((now - deadline).total_seconds())
            rules = SessionRules.model_validate(session["rules"])
            seats = await hand_out_seats(book, session["id"], seats, rules, None, now)
            await book.set_seats(session["id"], seats)
    for seconds in late:  # committed
        registration_expiry_lateness.observe(seconds)
    return len(late)


def _expiry(state: State, row: RegistrationRow, now: datetime) -> tuple[Change, datetime] | None:
    """How a registration found due ends, if it still is, and the deadline it passed: the offer
    first (its seat is held)."""
    if (deadline := row["offer_expires_at"]) and offers.offer_is_due(state, deadline, now):
        return offers.expire_offer(state), deadline
    if (deadline := row["expires_at"]) and domain.is_due(state, deadline, now):
        return domain.expire(state), deadline
    return None
