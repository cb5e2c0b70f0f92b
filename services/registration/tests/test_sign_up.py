"""What a learner signs up with, on the in-memory `FakeSeatBooks`: the session's registration
window (admission and cancelling decide on the locked session row; one applicant's refusal is
that applicant's outcome only) and the answers to its questions (validated, stored, carried by a
move) and the `registration.register` command carrying answers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from registration.consumers import _applicant
from registration.records import SessionRow
from registration.use_cases import actions
from registration.use_cases import move as moving
from registration.use_cases.admission import Applicant, RegistrationRequest, admit_batch

from shared.events import REGISTER, Registration, RegistrationUser, new_event
from shared.problems import Problem
from shared.refusals import Conflict, Invalid

from .fakes import FakeSeatBooks
from .test_use_cases import MANAGER, learner, new_session, register, someone

pytestmark = pytest.mark.unit

DIET = {
    "id": "diet",
    "label": "Diet",
    "kind": "choice",
    "required": True,
    "choices": ["any", "veg"],
}
TOPICS = {"id": "topics", "label": "Topics", "kind": "multiple", "choices": ["a", "b", "c"]}
REMARKS = {"id": "remarks", "label": "Remarks", "kind": "text"}
QUESTIONS = [DIET, TOPICS, REMARKS]


def hours(n: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=n)


def answering(session: SessionRow, n: int, answers: dict[str, Any]) -> Applicant:
    return Applicant(learner(n), RegistrationRequest(session["id"], answers=answers))


def for_someone(
    session: SessionRow, user: RegistrationUser, answers: dict[str, Any] | None = None
) -> Applicant:
    return Applicant(MANAGER, RegistrationRequest(session["id"], user, answers=answers or {}))


# --- the registration window ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "said"),
    [
        ({"registration_opens_at": hours(24)}, "opens at"),
        ({"registration_opens_at": hours(-48), "registration_closes_at": hours(-1)}, "closed at"),
    ],
)
async def test_outside_the_window_a_learner_is_refused_and_a_manager_in_the_same_batch_is_not(
    window: dict[str, datetime], said: str
) -> None:
    books = FakeSeatBooks()
    session = await new_session(books, max_users=5, **window)
    outcomes = await admit_batch(
        books,
        session["id"],
        [
            Applicant(learner(1), RegistrationRequest(session["id"])),
            for_someone(session, someone(2)),
        ],
    )
    refused, registered = outcomes
    assert isinstance(refused, Conflict)
    assert said in refused.detail
    assert isinstance(registered, Registration)
    assert registered.status == "confirmed"
    assert books.seats(session["id"]).taken == 1


async def test_inside_the_window_a_learner_registers() -> None:
    books = FakeSeatBooks()
    session = await new_session(
        books, registration_opens_at=hours(-1), registration_closes_at=hours(1)
    )
    (reg,) = await register(
        books, session, Applicant(learner(1), RegistrationRequest(session["id"]))
    )
    assert reg.status == "confirmed"


async def test_after_unregistration_closed_only_a_manager_cancels() -> None:
    books = FakeSeatBooks()
    session = await new_session(
        books,
        public_unregistration=True,
        registration_opens_at=hours(-48),
        unregistration_closes_at=hours(-1),
    )
    mine, theirs = await register(
        books, session, for_someone(session, someone(1)), for_someone(session, someone(2))
    )
    with pytest.raises(Conflict, match="Unregistration from this session closed at"):
        await actions.cancel(books, learner(1), mine.id, None)
    assert books.registration(mine.id)["status"] == "confirmed"
    assert (await actions.cancel(books, MANAGER, theirs.id, None)).status == "cancelled"


async def test_while_unregistration_is_open_the_learner_cancels() -> None:
    books = FakeSeatBooks()
    session = await new_session(
        books, public_unregistration=True, unregistration_closes_at=hours(1)
    )
    (reg,) = await register(books, session, for_someone(session, someone(1)))
    assert (await actions.cancel(books, learner(1), reg.id, None)).status == "cancelled"


# --- answers -------------------------------------------------------------------------------------


async def test_answers_are_validated_per_applicant_and_stored() -> None:
    books = FakeSeatBooks()
    session = await new_session(books, questions=QUESTIONS)
    good = {"diet": "veg", "topics": ["a", "c"], "remarks": "  "}
    outcomes = await admit_batch(
        books,
        session["id"],
        [
            answering(session, 1, good),
            answering(session, 2, {"topics": ["a"]}),
            answering(session, 3, {"diet": "meat"}),
        ],
    )
    reg, missing, wrong = outcomes
    assert isinstance(reg, Registration)
    assert reg.answers == {"diet": "veg", "topics": ["a", "c"]}  # a blank answer is no answer
    assert books.registration(reg.id)["answers"] == reg.answers
    assert [e.data["answers"] for e in books.events(reg.id)] == [reg.answers] * 2
    assert isinstance(missing, Invalid)
    assert (missing.field, missing.msg) == ("answers.diet", "requires an answer")
    assert isinstance(wrong, Invalid)
    assert (wrong.field, wrong.msg) == ("answers.diet", "must be one of its choices")
    assert books.seats(session["id"]).taken == 1


async def test_a_manager_may_leave_required_questions_unanswered_but_not_give_wrong_answers() -> (
    None
):
    books = FakeSeatBooks()
    session = await new_session(books, questions=QUESTIONS)
    outcomes = await admit_batch(
        books,
        session["id"],
        [
            for_someone(session, someone(1)),
            for_someone(session, someone(2), {"topics": ["z"]}),
            for_someone(session, someone(3), {"nope": "x"}),
        ],
    )
    reg, wrong, unknown = outcomes
    assert isinstance(reg, Registration)
    assert reg.answers == {}
    assert isinstance(wrong, Invalid)
    assert wrong.field == "answers.topics"
    assert isinstance(unknown, Invalid)
    assert unknown.field == "answers.nope"


async def test_a_move_keeps_the_answers_the_target_asks_for() -> None:
    books = FakeSeatBooks()
    source = await new_session(books, questions=QUESTIONS)
    other_diet = {**DIET, "choices": ["any", "vegan"]}
    target = await new_session(books, questions=[other_diet, TOPICS])
    (reg,) = await register(
        books, source, answering(source, 1, {"diet": "veg", "topics": ["b"], "remarks": "hi"})
    )
    moved = await moving.move(books, MANAGER, reg.id, target["id"])
    # "veg" is no choice of the target, and it asks no remarks: only topics go along
    assert moved.answers == {"topics": ["b"]}
    assert books.registration(moved.id)["answers"] == {"topics": ["b"]}
    assert all(e.data["answers"] == {"topics": ["b"]} for e in books.events(moved.id))
    assert books.registration(reg.id)["answers"] == reg.answers


def test_the_register_command_carries_answers_within_their_bounds() -> None:
    session_id = "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10"
    answers = {"diet": "veg", "topics": ["a"], "parking": True}
    command = new_event("platform", REGISTER, {"session_id": session_id, "answers": answers})
    applicant = _applicant(command.to_message(), learner(1))
    assert isinstance(applicant, Applicant)
    assert applicant.request.answers == answers
    too_many = {f"q{n}": "x" for n in range(21)}
    command = new_event("platform", REGISTER, {"session_id": session_id, "answers": too_many})
    refused = _applicant(command.to_message(), learner(1))
    assert isinstance(refused, Problem)
    assert refused.status == 422
    assert refused.extra["errors"][0]["loc"] == ["answers"]
