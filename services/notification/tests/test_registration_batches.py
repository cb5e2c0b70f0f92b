"""Registration facts in batches (use_cases/registration_facts.py), on the real PostgreSQL: a
batch tells what the facts one by one would, each once, in their order; a failing fact alone is
retried; and over the bus, a burst is told once per fact."""

import asyncio
import uuid
from typing import Any

import pytest
from notification import store, tables
from notification.registration_notices import registration_notices
from notification.use_cases import Notifications
from notification.use_cases.facts import NotKnownYet
from notification.use_cases.notices import Letterhead
from notification.use_cases.registration_facts import Heard
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events import CloudEvent
from testsupport.waiting import eventually

from .conftest import PUBLIC_URL, Running
from .test_service import envelope, handled, learner, registration_data, session_data

pytestmark = pytest.mark.integration


@pytest.fixture
def notifications(database: async_sessionmaker[AsyncSession]) -> Notifications:
    """The use cases on the test database, called directly: the batch is the test's own."""
    return Notifications(database, Letterhead(public_url=PUBLIC_URL))


async def known_session(notifications: Notifications, **changes: Any) -> dict[str, Any]:
    session = session_data(**changes)
    await notifications.replicate_session(event_of(envelope("catalog.session.created", session)))
    return session


def event_of(message: dict[str, Any]) -> CloudEvent:
    return CloudEvent.model_validate(message)


def fact(type_: str, data: dict[str, Any]) -> CloudEvent:
    return event_of(envelope(type_, data))


def once(kind: str) -> tuple[list[str], list[str]]:
    """One inbox message and one email of `kind`."""
    return [kind], [kind]


async def told(
    database: async_sessionmaker[AsyncSession], user_id: str
) -> tuple[list[str], list[str]]:
    """The kinds of the user's inbox messages (newest first, as the inbox shows them) and of
    their emails (by kind: the service's sender, on the same database, is sending them)."""
    async with database() as db:
        inbox = await db.execute(
            select(tables.messages.c.kind)
            .where(tables.messages.c.user_id == user_id)
            .order_by(tables.messages.c.created_at.desc(), tables.messages.c.id.desc())
        )
        emails = await db.execute(
            select(tables.deliveries.c.kind)
            .where(tables.deliveries.c.user_id == user_id)
            .order_by(tables.deliveries.c.kind)
        )
        return list(inbox.scalars()), list(emails.scalars())


async def test_a_batch_tells_each_fact_once_duplicates_and_redeliveries_nothing(
    notifications: Notifications, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await known_session(notifications)
    ann, bob, eve = learner("ann"), learner("bob"), learner("eve")
    earlier = fact("registration.confirmed", registration_data(session, eve, "confirmed"))
    assert await notifications.on_registration_facts([Heard(earlier)]) == [None]
    confirmed = fact("registration.confirmed", registration_data(session, ann, "confirmed"))
    waitlisted = fact(
        "registration.waitlisted",
        registration_data(session, bob, "waitlisted", waitlist_position=1),
    )
    batch = [Heard(confirmed), Heard(waitlisted), Heard(confirmed), Heard(earlier)]

    assert await notifications.on_registration_facts(batch) == [None] * 4
    assert await told(database, ann["id"]) == once("registration.confirmed")
    assert await told(database, bob["id"]) == once("registration.waitlisted")
    assert await told(database, eve["id"]) == once("registration.confirmed")
    async with database() as db:
        email = (
            await db.execute(
                select(tables.deliveries).where(tables.deliveries.c.user_id == ann["id"])
            )
        ).one()
        assert email.calendar
        assert "DTSTART;VALUE=DATE:20270301\r\n" in email.calendar
        # written to be sent; the sender of a service running on this database may have sent it
        assert email.status in ("pending", "sent", "captured")
        ids = [h.event.id for h in batch]
        inbox = await db.execute(
            select(tables.inbox.c.event_id).where(
                tables.inbox.c.consumer == "notification.registrations",
                tables.inbox.c.event_id.in_(ids),
            )
        )
        assert sorted(inbox.scalars()) == sorted(set(ids))


async def test_a_registrations_facts_in_one_batch_are_told_in_their_order(
    notifications: Notifications, database: async_sessionmaker[AsyncSession], running: Running
) -> None:
    session = await known_session(notifications)
    lea, max_ = learner("lea"), learner("max")
    reg = registration_data(session, lea, "confirmed")
    cancelled = {**reg, "status": "cancelled", "version": 2}
    stale_first = registration_data(session, max_, "cancelled", version=2)
    stale = {**stale_first, "status": "confirmed", "version": 1}
    batch = [
        Heard(fact("registration.requested", reg)),
        Heard(fact("registration.confirmed", reg)),
        Heard(fact("registration.cancelled", cancelled)),
        Heard(fact("registration.cancelled", stale_first)),
        Heard(fact("registration.confirmed", stale)),  # older than the one before: no news
    ]

    assert await notifications.on_registration_facts(batch) == [None] * 5
    inbox, emails = await told(database, lea["id"])
    assert inbox == ["registration.cancelled", "registration.confirmed"]
    assert emails == ["registration.cancelled", "registration.confirmed"]
    # the service's sender sends them in the order they were told
    sent = await eventually(
        lambda: mails if len(mails := running.mail.to(lea["email"])) == 2 else None,
        what="both emails sent",
    )
    assert [m.message["X-Training-Kind"] for m in sent] == [
        "registration.confirmed",
        "registration.cancelled",
    ]
    assert await told(database, max_["id"]) == (
        ["registration.cancelled"],
        ["registration.cancelled"],
    )
    async with database() as db:
        for data in (cancelled, stale_first):
            state = await store.registration_state(db, uuid.UUID(data["id"]))
            assert state is not None
            assert (state.version, state.status) == (2, "cancelled")


async def test_a_fact_of_an_unknown_session_alone_waits_for_it(
    notifications: Notifications, database: async_sessionmaker[AsyncSession]
) -> None:
    session = await known_session(notifications)
    later = session_data()  # announced only after the first attempt
    ann, bob = learner("ann"), learner("bob")
    early = fact("registration.confirmed", registration_data(later, bob, "confirmed"))
    good = fact("registration.confirmed", registration_data(session, ann, "confirmed"))

    first, second = await notifications.on_registration_facts(
        [Heard(early, last_chance=False), Heard(good)]
    )
    assert isinstance(first, NotKnownYet)
    assert second is None
    assert await told(database, ann["id"]) == once("registration.confirmed")
    assert await told(database, bob["id"]) == ([], [])

    await notifications.replicate_session(event_of(envelope("catalog.session.created", later)))
    assert await notifications.on_registration_facts([Heard(early, last_chance=False)]) == [None]
    assert await told(database, bob["id"]) == once("registration.confirmed")


async def test_on_its_last_attempt_a_fact_is_told_without_its_session(
    notifications: Notifications, database: async_sessionmaker[AsyncSession]
) -> None:
    cy = learner("cy")
    unknown = fact("registration.confirmed", registration_data(session_data(), cy, "confirmed"))
    assert await notifications.on_registration_facts([Heard(unknown, last_chance=True)]) == [None]
    assert await told(database, cy["id"]) == once("registration.confirmed")


async def test_a_failing_fact_among_good_ones_is_the_only_one_retried(
    notifications: Notifications,
    database: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = await known_session(notifications)
    learners = [learner(name) for name in ("ann", "bob", "cy")]
    facts = [
        fact("registration.confirmed", registration_data(session, who, "confirmed"))
        for who in learners
    ]
    poison = facts[1].subject
    real = registration_notices
    where = "notification.use_cases.registration_facts.registration_notices"

    def failing(fact_name: str, event_id: str, registration: Any, *args: Any, **kw: Any) -> Any:
        if str(registration.id) == poison:
            raise RuntimeError("cannot tell this one")
        return real(fact_name, event_id, registration, *args, **kw)

    monkeypatch.setattr(where, failing)
    outcomes = await notifications.on_registration_facts([Heard(f) for f in facts])

    assert outcomes[0] is None
    assert outcomes[2] is None
    assert isinstance(outcomes[1], RuntimeError)
    for who in (learners[0], learners[2]):
        assert await told(database, who["id"]) == once("registration.confirmed")
    assert await told(database, learners[1]["id"]) == ([], [])  # nothing of it kept: retried
    monkeypatch.setattr(where, real)
    assert await notifications.on_registration_facts([Heard(f) for f in facts]) == [None] * 3
    assert await told(database, learners[1]["id"]) == once("registration.confirmed")
    assert await told(database, learners[0]["id"]) == once("registration.confirmed")


async def test_a_burst_over_the_bus_is_told_once_per_fact(
    running: Running, database: async_sessionmaker[AsyncSession]
) -> None:
    session = session_data()
    await running.publish(envelope("catalog.session.created", session))
    await handled(running, "notification.sessions", None, session_id=session["id"])
    learners = [learner(f"burst{n}") for n in range(60)]
    messages = []
    for n, who in enumerate(learners):
        data = registration_data(session, who, "confirmed" if n < 20 else "waitlisted")
        messages.append(envelope("registration.requested", data))
        messages.append(envelope(f"registration.{data['status']}", data))
    await asyncio.gather(*(running.publish(m) for m in messages))
    await asyncio.gather(*(running.publish(m) for m in messages[:10]))  # published twice

    async def every_fact_taken() -> bool:
        ids = [m["id"] for m in messages]
        async with database() as db:
            found = await db.execute(
                select(tables.inbox.c.event_id).where(tables.inbox.c.event_id.in_(ids))
            )
            return len(set(found.scalars())) == len(ids)

    await eventually(every_fact_taken, within=30, what="every fact of the burst taken")
    for n, who in enumerate(learners):
        kind = "registration.confirmed" if n < 20 else "registration.waitlisted"
        assert await told(database, who["id"]) == ([kind], [kind])
