"""The deciding use cases on the in-memory `FakeSeatBooks` (tests/fakes.py): admission, the
actions on one registration, move and expiry — their states, seats, lines and the facts they
write, fast and without PostgreSQL. The fake is passed in as the facade passes PostgreSQL's."""

import uuid
from datetime import UTC, datetime, timedelta
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
from shared.refusals import Conflict, Forbidden, Invalid, NotFound

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


# --- seats offered from the line (waitlist_offer_hours) -----------------------------------------

OFFER_HOURS = 2.0


async def offered_session(
    books: FakeSeatBooks, **rules: Any
) -> tuple[SessionRow, Registration, Registration, Registration]:
    """A full session offering freed seats: its seat holder was cancelled, so the head of the
    line (`offered`) holds the seat on offer and one more waits behind."""
    session = await new_session(books, max_users=1, waitlist_offer_hours=OFFER_HOURS, **rules)
    seated, head, behind = await register(books, session, *(themself(session, n) for n in range(3)))
    await actions.cancel(books, MANAGER, seated.id, None)
    return session, seated, head, behind


async def test_a_freed_seat_is_offered_to_the_head_of_the_line_until_its_deadline() -> None:
    books = FakeSeatBooks()
    before = datetime.now(UTC)
    session, _, head, behind = await offered_session(books)
    row = books.registration(head.id)
    assert (row["status"], row["waitlist_position"]) == ("offered", None)
    assert row["offer_expires_at"] is not None
    assert row["offer_expires_at"] - before >= timedelta(hours=OFFER_HOURS)
    assert books.line(session["id"]) == [behind.id]
    assert books.registration(behind.id)["waitlist_position"] == 1
    seats = books.seats(session["id"])
    assert (seats.taken, seats.waitlisted) == (1, 1)  # the offer holds the seat
    offered = books.events(head.id)[-1]
    assert offered.type == "registration.offered"
    assert offered.data["status"] == "offered"
    assert offered.data["previous_status"] == "waitlisted"
    assert datetime.fromisoformat(offered.data["offer_expires_at"]) == row["offer_expires_at"]


async def test_accepting_an_offer_takes_the_seat_as_a_promotion() -> None:
    books = FakeSeatBooks()
    session, _, head, behind = await offered_session(books)
    accepted = await actions.accept(books, learner(1), head.id)
    assert (accepted.status, accepted.offer_expires_at) == ("confirmed", None)
    assert books.registration(head.id)["offer_expires_at"] is None
    assert books.facts(head.id)[-3:] == [
        "registration.offered",
        "registration.promoted",
        "registration.confirmed",
    ]
    promoted = books.events(head.id)[-2]
    assert promoted.data["previous_status"] == "offered"
    assert books.line(session["id"]) == [behind.id]
    assert books.seats(session["id"]).taken == 1
    assert books.follow_ups()[-1] == FollowUp(head.id, "confirmed", "offered")


async def test_an_offer_accepted_with_validations_left_is_pending() -> None:
    books = FakeSeatBooks()
    _, _, head, _ = await offered_session(books, registration_validation=True)
    accepted = await actions.accept(books, MANAGER, head.id)  # a manager answers for the learner
    assert (accepted.status, accepted.pending_validations) == ("pending", ["registration"])
    assert books.facts(head.id)[-1] == "registration.promoted"


async def test_only_the_learner_or_a_manager_answers_and_only_an_offer() -> None:
    books = FakeSeatBooks()
    _, _, head, behind = await offered_session(books)
    with pytest.raises(Forbidden):
        await actions.accept(books, learner(2), head.id)
    with pytest.raises(Forbidden):
        await actions.decline(books, learner(2), head.id)
    with pytest.raises(Conflict):
        await actions.accept(books, learner(2), behind.id)  # waitlisted: nothing offered
    assert books.registration(head.id)["status"] == "offered"


async def test_declining_an_offer_offers_the_seat_to_the_next_in_line() -> None:
    books = FakeSeatBooks()
    session, _, head, behind = await offered_session(books)
    declined = await actions.decline(books, learner(1), head.id)
    assert (declined.status, declined.offer_expires_at) == ("cancelled", None)
    cancelled = books.events(head.id)[-1]
    assert (cancelled.type, cancelled.data["reason"]) == (
        "registration.cancelled",
        "offer_declined",
    )
    assert cancelled.data["previous_status"] == "offered"
    assert books.registration(behind.id)["status"] == "offered"
    assert books.line(session["id"]) == []
    with pytest.raises(Conflict):
        await actions.decline(books, learner(1), head.id)


async def test_answering_an_offer_past_its_deadline_expires_it() -> None:
    books = FakeSeatBooks()
    _, _, head, behind = await offered_session(books)
    books.pass_offer_deadline(head.id, datetime.now(UTC))
    with pytest.raises(Conflict):
        await actions.accept(books, learner(1), head.id)
    row = books.registration(head.id)
    assert (row["status"], row["offer_expires_at"]) == ("expired", None)
    expired = books.events(head.id)[-1]
    assert (expired.type, expired.data["reason"]) == ("registration.expired", "offer_expired")
    assert books.registration(behind.id)["status"] == "offered"


async def test_expiry_ends_due_offers_and_offers_the_seat_on() -> None:
    books = FakeSeatBooks()
    session, _, head, behind = await offered_session(books)
    now = datetime.now(UTC)
    assert await expiry.expire_due(books, now) == 0  # not yet due
    books.pass_offer_deadline(head.id, now)
    assert await expiry.expire_due(books, now) == 1
    assert books.registration(head.id)["status"] == "expired"
    expired = books.events(head.id)[-1]
    assert (expired.data["reason"], expired.data["previous_status"]) == ("offer_expired", "offered")
    assert books.registration(behind.id)["status"] == "offered"
    seats = books.seats(session["id"])
    assert (seats.taken, seats.waitlisted) == (1, 0)
    assert await expiry.expire_due(books, now) == 0


async def test_seats_added_by_catalog_are_offered_by_the_rules_it_tells() -> None:
    books = FakeSeatBooks()
    data = session_data(max_users=1, waitlist_offer_hours=OFFER_HOURS)
    await replicas.replicate_session(books, "e1", "catalog.session.created", data)
    session = books.session(data.id)
    _, first, second = await register(books, session, *(themself(session, n) for n in range(3)))
    raised = data.model_copy(update={"version": 2, "max_users": 2})
    await replicas.replicate_session(books, "e2", "catalog.session.updated", raised)
    assert books.registration(first.id)["status"] == "offered"
    assert books.line(data.id) == [second.id]
    at_once = raised.model_copy(update={"version": 3, "max_users": 3, "waitlist_offer_hours": None})
    await replicas.replicate_session(books, "e3", "catalog.session.updated", at_once)
    assert books.registration(second.id)["status"] == "confirmed"


async def test_changing_the_offer_hours_keeps_the_offers_out_and_rules_the_next_seat() -> None:
    books = FakeSeatBooks()
    data = session_data(max_users=1)
    await replicas.replicate_session(books, "e1", "catalog.session.created", data)
    session = books.session(data.id)
    seated, first, second, third = await register(
        books, session, *(themself(session, n) for n in range(4))
    )
    offering = data.model_copy(update={"version": 2, "waitlist_offer_hours": OFFER_HOURS})
    await replicas.replicate_session(books, "e2", "catalog.session.updated", offering)
    await actions.cancel(books, MANAGER, seated.id, None)  # null -> a number: offered
    deadline = books.registration(first.id)["offer_expires_at"]
    assert deadline is not None
    assert books.registration(first.id)["status"] == "offered"
    longer = offering.model_copy(update={"version": 3, "waitlist_offer_hours": 5 * OFFER_HOURS})
    await replicas.replicate_session(books, "e3", "catalog.session.updated", longer)
    assert books.registration(first.id)["offer_expires_at"] == deadline  # the offer out stays
    await actions.decline(books, learner(1), first.id)
    next_offer = books.registration(second.id)["offer_expires_at"]
    assert next_offer is not None
    assert next_offer - deadline >= timedelta(hours=4 * OFFER_HOURS)  # the new hours rule it
    at_once = longer.model_copy(update={"version": 4, "waitlist_offer_hours": None})
    await replicas.replicate_session(books, "e4", "catalog.session.updated", at_once)
    assert books.registration(second.id)["offer_expires_at"] == next_offer
    await actions.decline(books, learner(2), second.id)  # a number -> null: promoted at once
    assert books.registration(third.id)["status"] == "confirmed"


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
