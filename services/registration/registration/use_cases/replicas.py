"""What catalog tells of its sessions: the replica registration decides on."""

from datetime import UTC, datetime

from registration import domain, store
from registration.use_cases.changes import hand_out_seats, state_of, write
from registration.use_cases.seat_book import SeatBooks
from shared.events import SessionData, SessionRules

SESSIONS_CONSUMER = "registration.sessions"


async def replicate_session(
    books: SeatBooks, event_id: str, event_type: str, data: SessionData
) -> None:
    """catalog.session.* → the replica, by version: a stale or replayed event changes nothing.

    A raised `max_users` hands the freed seats to the line (taken, or offered by the rules the
    event carries); a cancelled or deleted session ends every
    active registration — in the same transaction.
    """
    status = "deleted" if event_type == "catalog.session.deleted" else data.status
    values = store.session_values(data, status)
    now = datetime.now(UTC)
    async with books.transaction() as book:
        if not await book.first_deliveries(SESSIONS_CONSUMER, [event_id]):
            return
        if await book.insert_session_if_new(values):
            return
        session = await book.lock_session(data.id)
        assert session is not None
        if session["version"] >= data.version:
            return
        seats = domain.with_limit(store.seats_of(session), data.max_users)
        await book.update_session(
            data.id, {k: v for k, v in values.items() if k not in ("id", "max_users")}
        )
        if status in ("cancelled", "deleted"):
            reason = domain.SESSION_DELETED if status == "deleted" else domain.SESSION_CANCELLED
            for row in await book.active_registrations(data.id):
                change = domain.end_with_session(state_of(row), reason)
                await write(book, row, change, None, now)
            seats = domain.emptied(seats)
        else:
            rules = SessionRules.model_validate(values["rules"])
            seats = await hand_out_seats(book, data.id, seats, rules, None, now)
        await book.set_seats(data.id, seats)
