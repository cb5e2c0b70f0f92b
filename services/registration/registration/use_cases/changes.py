"""How a session registration changes, for every use case that changes one: its row built or
written as a new version, its events announced, freed seats handed to the line — in the
caller's `SeatBook`, on a session whose seat row the caller holds locked (`lock_session`)."""

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime

from registration import domain, offers, store
from registration.answers import Answers
from registration.domain import Change, Seats, State
from registration.records import RegistrationRow, RegistrationUpdate, SessionRow
from registration.use_cases.announcements import announce
from registration.use_cases.seat_book import SeatBook
from shared.events import Registration, RegistrationUser, SessionRules, ValidationStep
from shared.metrics import registration_decisions

_OFFERED = registration_decisions.labels("offer")


def new_row(
    session: SessionRow,
    learner: RegistrationUser,
    admission: domain.Admission,
    pending: list[ValidationStep],
    *,
    force: bool,
    now: datetime,
    requested_by: str | None,
    given: list[ValidationStep],
    token: str | None,
    expires_at: datetime | None,
    answers: Answers,
) -> RegistrationRow:
    """The row of a new registration, as `SeatBook.insert_registration(s)` takes it."""
    return {
        "id": uuid.uuid4(),
        "session_id": session["id"],
        "training_id": session["training_id"],
        "user_id": learner.id,
        "user": learner.model_dump(mode="json"),
        "status": admission.status,
        "pending_validations": pending,
        "waitlist_position": admission.waitlist_position,
        "forced": force,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "requested_by": requested_by,
        "validations_given": given,
        "confirmation_hash": digest(token) if token else None,
        "expires_at": expires_at,
        "offer_expires_at": None,
        "answers": answers,
        "completion": None,
    }


def confirmation(
    pending: list[ValidationStep], rules: SessionRules, now: datetime
) -> tuple[str | None, datetime | None]:
    """The learner's confirmation token and its deadline, when the learner's step is pending."""
    token = secrets.token_urlsafe(32) if "user" in pending else None
    return token, domain.confirmation_deadline(now, rules) if token else None


def seated(session: SessionRow, seats: Seats) -> None:
    """Keep the locked session's counters current for the next decision of the transaction."""
    session["taken"], session["waitlisted"] = seats.taken, seats.waitlisted
    session["beyond_limit"] = seats.beyond_limit


async def apply(
    book: SeatBook,
    session: SessionRow,
    row: RegistrationRow,
    changes: list[Change],
    actor: str | None,
    now: datetime,
) -> Registration:
    """Write each change of one registration, then hand every freed seat to the line."""
    seats = store.seats_of(session)
    for change in changes:
        row = await write(book, row, change, actor, now)
        seats = await leave(book, session["id"], seats, change, now)
    rules = SessionRules.model_validate(session["rules"])
    seats = await hand_out_seats(book, session["id"], seats, rules, actor, now)
    await book.set_seats(session["id"], seats)
    fresh = await book.registration_by_id(row["id"])
    assert fresh is not None
    return registration_of(fresh)


async def leave(
    book: SeatBook, session_id: uuid.UUID, seats: Seats, change: Change, now: datetime
) -> Seats:
    if change.left_line_at is not None:
        await book.move_line_up(session_id, change.left_line_at, 1, now)
    return domain.release(seats, change)


async def hand_out_seats(
    book: SeatBook,
    session_id: uuid.UUID,
    seats: Seats,
    rules: SessionRules,
    actor: str | None,
    now: datetime,
) -> Seats:
    """Every free seat goes to the head of the line, in line order: taken at once, or offered
    when the session's rules carry `waitlist_offer_hours`."""
    handout = offers.hand_out(seats, rules)
    if handout.count == 0:
        return seats
    for row in await book.head_of_line(session_id, handout.count):
        change = offers.seat_for_head(state_of(row), now, rules)
        await write(book, row, change, actor, now)
        if change.after.status == "offered":  # in the transaction: a rollback (rare) over-counts
            _OFFERED.inc()
    await book.move_line_up(session_id, handout.count, handout.count, now)
    return handout.seats


async def write(
    book: SeatBook, row: RegistrationRow, change: Change, actor: str | None, now: datetime
) -> RegistrationRow:
    """One change: a new version of the row, one event per fact in order, and its follow-ups."""
    after = change.after
    given = list(row["validations_given"])
    if change.step is not None:
        given.append(change.step)
    values: RegistrationUpdate = {
        "status": after.status,
        "pending_validations": list(after.pending_validations),
        "waitlist_position": after.waitlist_position,
        "validations_given": given,
        "version": row["version"] + 1,
        "updated_at": now,
        "offer_expires_at": change.offer_expires_after(row["offer_expires_at"]),
    }
    if not after.awaits_user:
        values["confirmation_hash"] = None
        values["expires_at"] = None
    updated = await book.update_registration(row["id"], values)
    registration = registration_of(updated)
    for fact in change.facts:
        await announce(
            book,
            fact,
            registration,
            actor,
            previous_status=change.before.status,
            reason=change.reason,
            step=change.step if fact == "validated" else None,
            moved_to=change.moved_to if fact == "moved" else None,
        )
    await book.registration_changed(updated, change.before.status, actor, now)
    return updated


def state_of(row: RegistrationRow) -> State:
    return State(
        row["status"],
        tuple(row["pending_validations"]),
        row["waitlist_position"],
        row["forced"],
    )


def by_manager(row: RegistrationRow) -> bool:
    """Requested by someone other than the learner."""
    return row["requested_by"] is not None and row["requested_by"] != row["user_id"]


def registration_of(row: RegistrationRow) -> Registration:
    return Registration.model_validate(row)


def new_registration(row: RegistrationRow, learner: RegistrationUser) -> Registration:
    """The registration of a row `new_row` built for `learner`: the learner is the model the
    row's JSON was made from, taken as it is rather than validated again from that JSON."""
    return Registration.model_validate({**row, "user": learner})


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(digest(token), stored)
