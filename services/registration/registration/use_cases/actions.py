"""The actions on one registration — confirm, validate, refuse, cancel, accept or decline a seat
offered: the domain decides on
the registration as it is under its session's lock; `changes.apply` writes and promotes."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from registration import domain, offers
from registration.domain import Change, Rights, State
from registration.records import RegistrationRow
from registration.use_cases.changes import apply, registration_of, state_of, token_matches
from registration.use_cases.rights import session_rights
from registration.use_cases.seat_book import SeatBooks
from registration.windows import ensure_may_unregister, window_of
from shared.auth import Principal
from shared.events import Registration, SessionRules
from shared.refusals import conflict, forbidden, invalid, not_found

# What the domain decides from: the registration's state, the caller's rights, its row as it is
# under the lock, the session's rules.
Decide = Callable[[State, Rights, RegistrationRow, SessionRules], list[Change]]


async def confirm(
    books: SeatBooks, actor: Principal, reg_id: uuid.UUID, token: str
) -> Registration:
    """The learner's own confirmation with the emailed token; past the deadline it expires."""
    expired = False

    def decide(state: State, rights: Rights, row: RegistrationRow, _: SessionRules) -> list[Change]:
        nonlocal expired
        if not rights.learner:
            raise forbidden("Only the learner confirms.")
        now = datetime.now(UTC)
        if domain.is_due(state, row["expires_at"], now):
            expired = True
            return [domain.expire(state)]
        if state.awaits_user and not token_matches(token, row["confirmation_hash"]):
            raise invalid("token", "wrong token", "The confirmation token is not valid.")
        return [domain.confirm(state, rights)]

    registration = await act(books, actor, reg_id, decide)
    if expired:
        raise conflict(
            "The confirmation period is over: the registration has expired.",
            id=str(registration.id),
        )
    return registration


async def accept(books: SeatBooks, actor: Principal, reg_id: uuid.UUID) -> Registration:
    """The learner (or a manager) takes the seat offered; past its deadline the offer expires."""
    return await _answer_offer(books, actor, reg_id, offers.accept)


async def decline(books: SeatBooks, actor: Principal, reg_id: uuid.UUID) -> Registration:
    """The seat offered is refused and goes to the next in line; past its deadline it expires."""
    return await _answer_offer(books, actor, reg_id, offers.decline)


async def _answer_offer(
    books: SeatBooks,
    actor: Principal,
    reg_id: uuid.UUID,
    answer: Callable[[State, Rights], Change],
) -> Registration:
    expired = False

    def decide(state: State, rights: Rights, row: RegistrationRow, _: SessionRules) -> list[Change]:
        nonlocal expired
        change = answer(state, rights)  # who may answer, and whether there is an offer
        if offers.offer_is_due(state, row["offer_expires_at"], datetime.now(UTC)):
            expired = True
            return [offers.expire_offer(state)]
        return [change]

    registration = await act(books, actor, reg_id, decide)
    if expired:
        raise conflict("The offer is over: the registration has expired.", id=str(registration.id))
    return registration


async def validate(
    books: SeatBooks, actor: Principal, reg_id: uuid.UUID, step: domain.StepRequest
) -> Registration:
    return await act(books, actor, reg_id, lambda s, r, *_: domain.validate(s, step, r))


async def refuse(
    books: SeatBooks, actor: Principal, reg_id: uuid.UUID, reason: str | None
) -> Registration:
    return await act(books, actor, reg_id, lambda s, r, *_: [domain.refuse(s, r, reason)])


async def cancel(
    books: SeatBooks, actor: Principal, reg_id: uuid.UUID, reason: str | None
) -> Registration:
    return await act(
        books,
        actor,
        reg_id,
        lambda s, r, _row, rules: [domain.cancel(s, r, rules, reason)],
        unregisters=True,
    )


async def act(
    books: SeatBooks,
    actor: Principal,
    reg_id: uuid.UUID,
    decide: Decide,
    *,
    unregisters: bool = False,
) -> Registration:
    """Lock the registration's session, decide with the domain, apply, promote, announce.

    `unregisters`: the learner ends their own registration, so the session's unregistration
    window binds them (after the domain allowed it: a refused right answers 403 first)."""
    now = datetime.now(UTC)
    async with books.transaction() as book:
        found = await book.registration_by_id(reg_id)
        if found is None:
            raise not_found("registration", reg_id)
        session = await book.lock_session(found["session_id"])
        row = await book.registration_by_id(reg_id)  # as it is under the lock
        assert session is not None
        assert row is not None
        rights = session_rights(actor, session, registration_of(row).user)
        if not rights.may_read:
            raise forbidden("You may not act on this registration.")
        rules = SessionRules.model_validate(session["rules"])
        changes = decide(state_of(row), rights, row, rules)
        if unregisters:
            by_manager = rights.manager or rights.admin
            ensure_may_unregister(window_of(session), now, by_manager=by_manager)
        return await apply(book, session, row, changes, actor.sub, now)
