"""The deciding use cases on the in-memory `FakeSeatBooks` (tests/fakes.py): admission, the
actions on one registration, move and expiry — their states, seats, lines and the facts they
write, fast and without PostgreSQL. The fake is passed in as the facade passes PostgreSQL's."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from registration.domain import Seats
from registration.records import RegistrationRow, SessionRow
from registration.use_cases import actions, expiry, replicas
from registration.use_cases import move as moving
from registration.use_cases.admission import (
    COMMANDS_CONSUMER,
    AlreadyHandled,
    Applicant,
    RegistrationRequest,
    admit_batch,
)

from shared.auth import Principal
from shared.events import Registration, RegistrationUser
from shared.refusals import Conflict, Invalid, NotFound

from .conftest import session_data
from .fakes import BrokenInvariant, FakeSeatBooks, FollowUp

pytestmark = pytest.mark.unit

ADMIN = Principal(sub="admin", roles=("platform_admin",))
MANAGER = Principal(sub="manager", roles=("training_manager",), organizations=("org-a",))
ORG_MANAGER = Principal(sub="om", managed_organizations=("org-l",))


def learner(n: int | str) -> Principal:
    return Principal(sub=f"learner-{n}", email=f"l{n}@example.org", name=f"L {n}")


def someone(n: int | str, *organizations: str) -> RegistrationUser:
    return RegistrationUser(
        id=f"learner-{n}",
        email=f"l{n}@example.org",
        name=f"L {n}",
        organizations=list(organizations),
    )


async def new_session(books: FakeSeatBooks, **fields: Any) -> SessionRow:
    """A session the replica hears of from catalog, as it would in production."""
    data = session_data(**fields)
    await replicas.replicate_session(books, str(uuid.uuid4()), "catalog.session.created", data)
    return books.session(data.id)


async def register(
    books: FakeSeatBooks, session: SessionRow, *applicants: Applicant
) -> list[Registration]:
    """One batch; every outcome a registration."""
    outcomes = await admit_batch(books, session["id"], applicants)
    assert all(isinstance(o, Registration) for o in outcomes), outcomes
    return [o for o in outcomes if isinstance(o, Registration)]


def themself(session: SessionRow, n: int | str) -> Applicant:
    return Applicant(learner(n), RegistrationRequest(session["id"]))


def by_manager(session: SessionRow, user: RegistrationUser, *, force: bool = False) -> Applicant:
    return Applicant(MANAGER, RegistrationRequest(session["id"], user, force))


def token_of(books: FakeSeatBooks, registration: Registration) -> str:
    (command,) = [c for c in books.commands() if c.subject == str(registration.id)]
    token: str = command.data["token"]
    return token


# --- admission -----------------------------------------------------------------------------------


async def test_a_free_seat_confirms_at_once() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=2)
    (reg,) = await register(books, session, themself(session, 1))
    assert reg.status == "confirmed"
    assert books.seats(session["id"]).taken == 1
    assert books.facts(reg.id) == ["registration.requested", "registration.confirmed"]
    assert books.follow_ups() == [FollowUp(reg.id, "confirmed", None)]


async def test_a_batch_is_decided_in_arrival_order_and_the_full_wait_in_line() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=2)
    regs = await register(books, session, *(themself(session, n) for n in range(5)))
    assert [r.status for r in regs] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [r.waitlist_position for r in regs[2:]] == [1, 2, 3]
    assert books.line(session["id"]) == [r.id for r in regs[2:]]
    seats = books.seats(session["id"])
    assert (seats.taken, seats.waitlisted) == (2, 3)
    assert books.facts(regs[4].id) == ["registration.requested", "registration.waitlisted"]


async def test_a_manager_forces_a_seat_beyond_max_users() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1)
    await register(books, session, themself(session, 1))
    (waiting,) = await register(books, session, by_manager(session, someone(2)))
    (forced,) = await register(books, session, by_manager(session, someone(3), force=True))
    assert waiting.status == "waitlisted"
    assert forced.status == "confirmed"
    assert forced.waitlist_position is None
    seats = books.seats(session["id"])
    assert (seats.taken, seats.waitlisted, seats.beyond_limit) == (2, 1, 1)


async def test_an_active_registration_refuses_another_and_the_others_go_on() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=5)
    (first,) = await register(books, session, themself(session, 1))
    again, twice, other = await admit_batch(
        books,
        session["id"],
        [themself(session, 1), themself(session, 2), themself(session, 2)],
    )
    assert isinstance(again, Conflict)
    assert again.extra["id"] == str(first.id)
    assert isinstance(other, Conflict)  # the same learner twice in one batch
    assert isinstance(twice, Registration)
    assert books.seats(session["id"]).taken == 2


async def test_a_redelivered_command_is_handled_once_and_a_refused_one_forgotten() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=5)
    command = Applicant(learner(1), RegistrationRequest(session["id"]), "delivery-1")
    await register(books, session, command)
    (redelivered,) = await admit_batch(books, session["id"], [command])
    assert isinstance(redelivered, AlreadyHandled)
    refused = Applicant(learner(1), RegistrationRequest(session["id"]), "delivery-2")
    (conflict,) = await admit_batch(books, session["id"], [refused])
    assert isinstance(conflict, Conflict)
    assert books.delivered(COMMANDS_CONSUMER) == {"delivery-1"}


async def test_a_cancelled_or_unknown_session_takes_nobody() -> None:
    books = FakeSeatBooks()
    data = session_data(max_users=5)
    await replicas.replicate_session(books, "e1", "catalog.session.created", data)
    cancelled = data.model_copy(update={"version": 2, "status": "cancelled"})
    await replicas.replicate_session(books, "e2", "catalog.session.updated", cancelled)
    session = books.session(data.id)
    (closed,) = await admit_batch(books, data.id, [themself(session, 1)])
    assert isinstance(closed, Conflict)
    (unknown,) = await admit_batch(books, uuid.uuid4(), [themself(session, 1)])
    assert isinstance(unknown, NotFound)
    assert books.facts() == []


# --- actions on one registration -----------------------------------------------------------------


async def test_confirming_takes_the_right_token_only() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=5, user_validation=True)
    (reg,) = await register(books, session, themself(session, 1))
    assert reg.status == "pending"
    with pytest.raises(Invalid):
        await actions.confirm(books, learner(1), reg.id, "not-the-token")
    assert books.registration(reg.id)["version"] == 1  # the refused attempt left nothing
    confirmed = await actions.confirm(books, learner(1), reg.id, token_of(books, reg))
    assert confirmed.status == "confirmed"
    assert books.registration(reg.id)["confirmation_hash"] is None
    assert books.facts(reg.id) == [
        "registration.requested",
        "registration.validated",
        "registration.confirmed",
    ]
    assert books.follow_ups()[-1] == FollowUp(reg.id, "confirmed", "pending")


async def test_confirming_past_the_deadline_expires_and_the_line_moves_up() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1, user_validation=True)
    late, waiting = await register(books, session, themself(session, 1), themself(session, 2))
    books.pass_deadline(late.id, datetime.now(UTC))
    with pytest.raises(Conflict):
        await actions.confirm(books, learner(1), late.id, token_of(books, late))
    assert books.registration(late.id)["status"] == "expired"
    assert books.registration(waiting.id)["status"] == "pending"
    assert books.line(session["id"]) == []
    assert books.facts(late.id)[-1] == "registration.expired"
    assert books.facts(waiting.id)[-1] == "registration.promoted"


async def test_validations_are_given_in_turn_until_confirmed() -> None:
    books = FakeSeatBooks()
    session = await new_session(
        books, max_users=5, organization_validation=True, registration_validation=True
    )
    applicant = Applicant(
        Principal(sub="learner-1", organizations=("org-l",)), RegistrationRequest(session["id"])
    )
    (reg,) = await register(books, session, applicant)
    assert reg.pending_validations == ["organization", "registration"]
    step = await actions.validate(books, ORG_MANAGER, reg.id, "organization")
    assert (step.status, step.pending_validations) == ("pending", ["registration"])
    done = await actions.validate(books, MANAGER, reg.id, "registration")
    assert (done.status, done.pending_validations) == ("confirmed", [])
    assert books.registration(reg.id)["validations_given"] == ["organization", "registration"]
    assert books.facts(reg.id) == [
        "registration.requested",
        "registration.validated",
        "registration.validated",
        "registration.confirmed",
    ]


async def test_refusing_frees_the_seat_for_the_line() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1, registration_validation=True)
    asked, waiting = await register(books, session, themself(session, 1), themself(session, 2))
    refused = await actions.refuse(books, MANAGER, asked.id, "no")
    assert refused.status == "refused"
    assert books.registration(waiting.id)["status"] == "pending"
    assert books.facts(asked.id)[-1] == "registration.refused"
    seats = books.seats(session["id"])
    assert (seats.taken, seats.waitlisted) == (1, 0)


async def test_cancelling_promotes_the_head_of_the_line_and_the_rest_move_up() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1)
    seated, head, behind = await register(books, session, *(themself(session, n) for n in range(3)))
    cancelled = await actions.cancel(books, MANAGER, seated.id, None)
    assert cancelled.status == "cancelled"
    assert books.registration(head.id)["status"] == "confirmed"
    assert books.registration(behind.id)["waitlist_position"] == 1
    assert books.line(session["id"]) == [behind.id]
    assert books.facts(head.id) == [
        "registration.requested",
        "registration.waitlisted",
        "registration.promoted",
        "registration.confirmed",
    ]
    assert books.facts(seated.id)[-1] == "registration.cancelled"


async def test_leaving_the_middle_of_the_line_closes_the_gap() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1)
    _, head, middle, last = await register(
        books, session, *(themself(session, n) for n in range(4))
    )
    await actions.cancel(books, MANAGER, middle.id, None)
    assert books.line(session["id"]) == [head.id, last.id]
    assert books.registration(last.id)["waitlist_position"] == 2
    assert books.seats(session["id"]).waitlisted == 2


# --- move ----------------------------------------------------------------------------------------


async def test_a_move_keeps_the_validations_and_frees_the_old_seat() -> None:
    books = FakeSeatBooks()
    rules = {"organization_validation": True, "registration_validation": True}
    source = await new_session(books, max_users=1, **rules)
    target = await new_session(books, max_users=5, **rules)
    applicant = Applicant(
        Principal(sub="learner-1", organizations=("org-l",)), RegistrationRequest(source["id"])
    )
    (reg,) = await register(books, source, applicant)
    (waiting,) = await register(books, source, themself(source, 2))
    await actions.validate(books, ORG_MANAGER, reg.id, "organization")
    moved = await moving.move(books, MANAGER, reg.id, target["id"])
    assert moved.session_id == target["id"]
    assert moved.pending_validations == ["registration"]
    assert books.registration(moved.id)["validations_given"] == ["organization"]
    old = books.registration(reg.id)
    assert old["status"] == "cancelled"
    assert books.facts(reg.id)[-2:] == ["registration.cancelled", "registration.moved"]
    assert books.facts(moved.id) == ["registration.requested"]
    assert books.registration(waiting.id)["status"] == "pending"
    assert (books.seats(source["id"]).taken, books.seats(target["id"]).taken) == (1, 1)


async def test_a_move_to_a_session_the_learner_is_in_changes_nothing() -> None:
    books = FakeSeatBooks()
    source = await new_session(books, max_users=5)
    target = await new_session(books, max_users=5)
    (reg,) = await register(books, source, themself(source, 1))
    await register(books, target, themself(target, 1))
    with pytest.raises(Conflict):
        await moving.move(books, MANAGER, reg.id, target["id"])
    assert books.registration(reg.id)["status"] == "confirmed"
    assert books.seats(target["id"]).taken == 1


# --- expiry --------------------------------------------------------------------------------------


async def test_expiry_ends_the_due_and_promotes_the_line() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1, user_validation=True)
    due, waiting = await register(books, session, themself(session, 1), themself(session, 2))
    now = datetime.now(UTC)
    books.pass_deadline(due.id, now)
    assert await expiry.expire_due(books, now) == 1
    assert books.registration(due.id)["status"] == "expired"
    assert books.registration(waiting.id)["status"] == "pending"
    assert books.facts(due.id)[-1] == "registration.expired"
    assert books.facts(waiting.id)[-1] == "registration.promoted"
    assert await expiry.expire_due(books, now) == 0


# --- the fake is held to the database's invariants ----------------------------------------------


async def test_the_fake_refuses_what_the_database_refuses() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=1)
    (reg,) = await register(books, session, themself(session, 1))
    before = books.seats(session["id"])
    with pytest.raises(BrokenInvariant):
        async with books.transaction() as book:
            await book.set_seats(session["id"], Seats(1, 2, 0))
    twin: RegistrationRow = {**books.registration(reg.id), "id": uuid.uuid4()}  # active too
    with pytest.raises(BrokenInvariant):
        async with books.transaction() as book:
            await book.insert_registration(twin)
    with pytest.raises(BrokenInvariant):  # a seat counted that nobody holds
        async with books.transaction() as book:
            await book.set_seats(session["id"], Seats(2, 2, 0))
    assert books.seats(session["id"]) == before
