"""Group commit: requests for one session that arrive together are decided in one transaction,
each caller with its own answer, and two deciders on one database never oversell."""

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from registration import store
from registration.admission import Admissions, Outcome
from registration.use_cases.admission import AlreadyHandled, Applicant, RegistrationRequest
from registration.use_cases.registrations import Registrations
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_sessionmaker
from shared.events import Registration
from shared.refusals import Conflict, Forbidden

from .test_service import MANAGER, learner, line_of, new_session, someone

pytestmark = pytest.mark.integration


async def requested_events(engine: AsyncEngine, session_id: uuid.UUID) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.routing_key, func.count())
            .where(store.outbox.c.payload["data"]["session_id"].astext == str(session_id))
            .group_by(store.outbox.c.routing_key)
        )
        return {key: count for key, count in rows}


async def seats_row(engine: AsyncEngine, session_id: uuid.UUID) -> tuple[int, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(store.sessions.c.taken, store.sessions.c.waitlisted).where(
                    store.sessions.c.id == session_id
                )
            )
        ).one()
    return row.taken, row.waitlisted


async def test_one_batch_gives_each_caller_its_own_answer(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, max_users=3)
    before = await registrations.register(learner("before"), RegistrationRequest(session.id))
    command = str(uuid.uuid4())
    first = await registrations.register(
        learner("cmd"), RegistrationRequest(session.id), delivery_id=command
    )
    applicants = [
        Applicant(learner(1), RegistrationRequest(session.id)),
        Applicant(learner("before"), RegistrationRequest(session.id)),  # already registered
        Applicant(learner(2), RegistrationRequest(session.id, user=someone(3))),  # not a manager
        Applicant(learner(4), RegistrationRequest(session.id)),
        Applicant(learner(1), RegistrationRequest(session.id)),  # twice in the same batch
        Applicant(learner("cmd"), RegistrationRequest(session.id), delivery_id=command),
        Applicant(MANAGER, RegistrationRequest(session.id, user=someone(5), force=True)),
        Applicant(learner(6), RegistrationRequest(session.id), delivery_id=str(uuid.uuid4())),
    ]

    outcomes = await registrations.admit_batch(session.id, applicants)

    new, again, forbidden, waiting, twice, redelivered, forced, by_command = outcomes
    assert isinstance(new, Registration)
    assert (new.user.id, new.status) == ("learner-1", "confirmed")
    assert isinstance(again, Conflict)
    assert again.extra["id"] == str(before.id)
    assert isinstance(forbidden, Forbidden)
    assert isinstance(waiting, Registration)
    assert (waiting.status, waiting.waitlist_position) == ("waitlisted", 1)
    assert isinstance(twice, Conflict)
    assert twice.extra["id"] == str(new.id)
    assert isinstance(redelivered, AlreadyHandled)
    assert first.user.id == "learner-cmd"
    assert isinstance(forced, Registration)
    assert (forced.status, forced.forced) == ("confirmed", True)
    assert isinstance(by_command, Registration)
    assert (by_command.status, by_command.waitlist_position) == ("waitlisted", 2)

    # before, cmd, 1 and the forced one hold seats (one beyond the limit); 4 and 6 wait
    assert await seats_row(engine, session.id) == (4, 2)
    assert await line_of(registrations, session.id) == [("learner-4", 1), ("learner-6", 2)]
    assert await requested_events(engine, session.id) == {
        "registration.requested": 6,
        "registration.confirmed": 4,
        "registration.waitlisted": 2,
    }


async def test_a_refused_command_is_refused_again_when_delivered_again(
    registrations: Registrations,
) -> None:
    session = await new_session(registrations, max_users=5)
    await registrations.register(learner(1), RegistrationRequest(session.id))
    command = str(uuid.uuid4())
    for _ in range(2):
        with pytest.raises(Conflict):
            await registrations.register(
                learner(1), RegistrationRequest(session.id), delivery_id=command
            )


async def test_requests_arriving_together_share_a_batch_and_a_broken_one_fails_alone() -> None:
    batches: list[list[int]] = []

    async def decide(_: uuid.UUID, applicants: Sequence[int]) -> list[Outcome]:
        batches.append(list(applicants))
        if 13 in applicants:
            raise RuntimeError("unlucky")
        return [registration(n) for n in applicants]

    admissions = Admissions[int](decide)
    session_id = uuid.uuid4()
    outcomes = await asyncio.gather(
        *(admissions.admit(session_id, n) for n in range(10, 20)), return_exceptions=True
    )

    assert batches[0] == list(range(10, 20))
    assert [o.user.id if isinstance(o, Registration) else repr(o) for o in outcomes] == [
        *(f"learner-{n}" for n in range(10, 13)),
        "RuntimeError('unlucky')",
        *(f"learner-{n}" for n in range(14, 20)),
    ]


async def test_two_deciders_on_one_database_take_exactly_the_seats(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations, max_users=30)
    other = Registrations(make_sessionmaker(engine))
    deciders = [registrations, other]

    answers = await asyncio.gather(
        *(
            deciders[n % 2].register(learner(f"r{n}"), RegistrationRequest(session.id))
            for n in range(200)
        )
    )

    assert sum(a.status == "confirmed" for a in answers) == 30
    assert sorted(a.waitlist_position or 0 for a in answers if a.status == "waitlisted") == list(
        range(1, 171)
    )
    assert await seats_row(engine, session.id) == (30, 170)
    assert len(await line_of(registrations, session.id)) == 170


def registration(n: int) -> Registration:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": "2027-01-01T00:00:00Z",
        "updated_at": "2027-01-01T00:00:00Z",
        "session_id": uuid.uuid4(),
        "training_id": uuid.uuid4(),
        "user": {"id": f"learner-{n}", "email": "x@example.org", "name": "X"},
        "status": "confirmed",
        "pending_validations": [],
    }
    return Registration.model_validate(values)
