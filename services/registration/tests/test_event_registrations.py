"""Event and curriculum registrations on the real database: the replicas of events and
curricula, auto events following the session's confirmed learners, the event's seats and line,
rights and refusals, and the events each change leaves in the outbox."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from registration import store
from registration.use_cases.admission import RegistrationRequest
from registration.use_cases.curricula import Curricula
from registration.use_cases.event_registrations import EventRegistrationRequest, EventRegistrations
from registration.use_cases.registrations import Registrations
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal
from shared.db import make_sessionmaker
from shared.events import CurriculumData, EventData, RegistrationUser
from shared.listing import Listing
from shared.problems import problem_of
from shared.refusals import Conflict, Forbidden, NotFound, Refusal

from .conftest import session_data

pytestmark = pytest.mark.integration

ADMIN = Principal(sub="admin", roles=("platform_admin",))
MANAGER = Principal(sub="manager", roles=("training_manager",), organizations=("org-a",))
OTHER_MANAGER = Principal(sub="other", roles=("training_manager",), organizations=("org-z",))
TUTOR = Principal(sub="tutor")


def learner(n: int | str) -> Principal:
    return Principal(sub=f"learner-{n}", email=f"l{n}@example.org", name=f"L {n}")


def someone(n: int | str) -> RegistrationUser:
    return RegistrationUser(id=f"learner-{n}", email=f"l{n}@example.org", name=f"L {n}")


@pytest.fixture(scope="module")
def events(engine: AsyncEngine) -> EventRegistrations:
    return EventRegistrations(make_sessionmaker(engine))


@pytest.fixture(scope="module")
def curricula(engine: AsyncEngine, registrations: Registrations) -> Curricula:
    return Curricula(make_sessionmaker(engine), registrations)


async def new_session(registrations: Registrations, **fields: Any) -> Any:
    session = session_data(tutors=["tutor"], **fields)
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    return session


def event_data(session: Any, **fields: Any) -> EventData:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "session_id": session.id,
        "training_id": session.training_id,
        "title": "Séance",
        "start": now + timedelta(days=1),
        "end": now + timedelta(days=1, hours=2),
        "organizations": session.organizations,
        "tutors": session.tutors,
        "registration_mode": "auto",
        **fields,
    }
    return EventData.model_validate(values)


async def new_event(events: EventRegistrations, session: Any, **fields: Any) -> EventData:
    data = event_data(session, **fields)
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.created", data)
    return data


async def change_event(
    events: EventRegistrations, data: EventData, kind: str = "updated", **fields: Any
) -> EventData:
    newer = data.model_copy(update={"version": data.version + 1, **fields})
    await events.replicate_event(str(uuid.uuid4()), f"catalog.event.{kind}", newer)
    return newer


async def of_event(events: EventRegistrations, event_id: uuid.UUID) -> dict[str, tuple[str, Any]]:
    items, _ = await events.event_registrations(ADMIN, {"event_id": event_id}, Listing(limit=500))
    return {r.user_id: (r.status, r.waitlist_position) for r in items if r.status != "cancelled"}


async def outbox_of(engine: AsyncEngine, ident: uuid.UUID) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.routing_key, store.outbox.c.payload)
            .where(store.outbox.c.payload["subject"].astext == str(ident))
            .order_by(store.outbox.c.seq)
        )
        return [dict(r._mapping) for r in rows]


async def confirmed(registrations: Registrations, session: Any, n: int | str) -> Any:
    registration = await registrations.register(learner(n), RegistrationRequest(session.id))
    assert registration.status == "confirmed"
    return registration


async def test_an_auto_event_follows_the_confirmed_learners(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations)
    first = await confirmed(registrations, session, "auto-1")
    ended = await new_event(
        events,
        session,
        start=datetime.now(UTC) - timedelta(hours=3),
        end=datetime.now(UTC) - timedelta(hours=1),
    )
    manual = await new_event(events, session, registration_mode="manual")
    event = await new_event(events, session)  # the confirmed learner joins at creation
    assert await of_event(events, event.id) == {"learner-auto-1": ("registered", None)}
    second = await confirmed(registrations, session, "auto-2")  # joins when confirmed
    assert await of_event(events, event.id) == {
        "learner-auto-1": ("registered", None),
        "learner-auto-2": ("registered", None),
    }
    assert await of_event(events, ended.id) == {}
    assert await of_event(events, manual.id) == {}
    items, _ = await events.event_registrations(
        learner("auto-2"), {"event_id": event.id}, Listing()
    )
    [mine] = items
    [registered] = await outbox_of(engine, mine.id)
    assert registered["routing_key"] == "event_registration.registered"
    data = registered["payload"]["data"]
    assert data["user"]["email"] == "lauto-2@example.org"
    assert (data["event_id"], data["session_id"], data["version"]) == (
        str(event.id),
        str(session.id),
        1,
    )
    # a session registration that ends cancels the learner's event registrations
    await registrations.cancel(MANAGER, second.id, None)
    assert await of_event(events, event.id) == {"learner-auto-1": ("registered", None)}
    cancelled = (await outbox_of(engine, mine.id))[-1]
    assert cancelled["routing_key"] == "event_registration.cancelled"
    assert cancelled["payload"]["data"]["reason"] == "registration_cancelled"
    assert cancelled["payload"]["data"]["previous_status"] == "registered"
    assert cancelled["payload"]["data"]["version"] == 2
    # so does the session's cancellation
    await registrations.replicate_session(
        str(uuid.uuid4()),
        "catalog.session.cancelled",
        session.model_copy(update={"version": 2, "status": "cancelled"}),
    )
    assert await of_event(events, event.id) == {}
    assert first.id


async def test_validation_completing_and_promotion_register_to_auto_events(
    registrations: Registrations, events: EventRegistrations
) -> None:
    session = await new_session(registrations, registration_validation=True, max_users=1)
    event = await new_event(events, session)
    pending = await registrations.register(learner("v1"), RegistrationRequest(session.id))
    waiting = await registrations.register(learner("v2"), RegistrationRequest(session.id))
    assert (pending.status, waiting.status) == ("pending", "waitlisted")
    assert await of_event(events, event.id) == {}
    await registrations.validate(MANAGER, pending.id, "registration")
    await registrations.validate(MANAGER, waiting.id, "registration")
    assert await of_event(events, event.id) == {"learner-v1": ("registered", None)}
    # the seat frees: the waitlisted learner, validated meanwhile, is promoted to confirmed
    await registrations.cancel(MANAGER, pending.id, None)
    assert await of_event(events, event.id) == {"learner-v2": ("registered", None)}


async def test_seats_and_line_of_a_manual_event(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations)
    for n in range(4):
        await confirmed(registrations, session, f"m{n}")
    event = await new_event(events, session, registration_mode="manual", max_users=1)
    made = [
        await events.register(MANAGER, EventRegistrationRequest(event.id, f"learner-m{n}"))
        for n in range(3)
    ]
    assert [(r.status, r.waitlist_position) for r in made] == [
        ("registered", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    with pytest.raises(Conflict) as twice:
        await events.register(TUTOR, EventRegistrationRequest(event.id, "learner-m1"))
    assert twice.value.extra == {"id": str(made[1].id)}
    cancelled = await events.cancel(TUTOR, made[0].id, "ill")
    assert (cancelled.status, cancelled.version) == ("cancelled", 2)
    assert await of_event(events, event.id) == {
        "learner-m1": ("registered", None),
        "learner-m2": ("waitlisted", 1),
    }
    promoted = await outbox_of(engine, made[1].id)
    assert [e["routing_key"] for e in promoted] == [
        "event_registration.waitlisted",
        "event_registration.promoted",
    ]
    assert promoted[-1]["payload"]["data"]["previous_status"] == "waitlisted"
    with pytest.raises(Conflict):
        await events.cancel(MANAGER, made[0].id, None)
    # raising max_users promotes the line
    await change_event(events, event, max_users=3)
    assert await of_event(events, event.id) == {
        "learner-m1": ("registered", None),
        "learner-m2": ("registered", None),
    }
    third = await events.register(ADMIN, EventRegistrationRequest(event.id, "learner-m3"))
    assert third.status == "registered"


async def test_who_may_register_and_cancel(
    registrations: Registrations, events: EventRegistrations
) -> None:
    session = await new_session(registrations)
    await confirmed(registrations, session, "r1")
    public = await new_event(events, session, registration_mode="public")
    manual = await new_event(events, session, registration_mode="manual")
    auto = await new_event(events, session)

    async def refused(actor: Principal, event: EventData, user: str | None) -> int:
        with pytest.raises(Refusal) as error:
            await events.register(actor, EventRegistrationRequest(event.id, user))
        return problem_of(error.value).status

    assert await refused(learner("r1"), manual, None) == 403
    assert await refused(learner("r2"), public, "learner-r1") == 403  # someone else
    assert await refused(OTHER_MANAGER, manual, "learner-r1") == 403
    assert await refused(MANAGER, auto, "learner-r1") == 409  # auto: follows the session
    assert await refused(learner("r2"), public, None) == 409  # no confirmed registration
    assert await refused(MANAGER, manual, "learner-nobody") == 409
    with pytest.raises(NotFound):
        await events.register(MANAGER, EventRegistrationRequest(uuid.uuid4(), "learner-r1"))
    own = await events.register(learner("r1"), EventRegistrationRequest(public.id))
    assert own.status == "registered"
    by_manager = await events.register(MANAGER, EventRegistrationRequest(manual.id, "learner-r1"))
    with pytest.raises(Forbidden):
        await events.cancel(learner("r1"), by_manager.id, None)  # manual: staff only
    with pytest.raises(Forbidden):
        await events.cancel(learner("r2"), own.id, None)
    with pytest.raises(Forbidden):
        await events.event_registration(learner("r2"), own.id)
    assert (await events.event_registration(TUTOR, own.id)).id == own.id
    assert (await events.cancel(learner("r1"), own.id, None)).status == "cancelled"
    seen, total = await events.event_registrations(learner("r2"), {}, Listing())
    assert (seen, total) == ([], 0)
    seen, _ = await events.event_registrations(OTHER_MANAGER, {"event_id": manual.id}, Listing())
    assert seen == []
    seen, _ = await events.event_registrations(MANAGER, {"event_id": manual.id}, Listing())
    assert [r.id for r in seen] == [by_manager.id]


async def test_the_event_replica_is_ordered_and_deleted_events_stay_deleted(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations)
    await confirmed(registrations, session, "d1")
    created_id = str(uuid.uuid4())
    event = event_data(session)
    await events.replicate_event(created_id, "catalog.event.created", event)
    await events.replicate_event(created_id, "catalog.event.created", event)  # redelivered
    [joined] = (await events.event_registrations(ADMIN, {"event_id": event.id}, Listing()))[0]
    # a stale update changes nothing
    await change_event(events, event.model_copy(update={"version": 5}), max_users=1)
    await change_event(events, event.model_copy(update={"version": 2}), registration_mode="manual")
    async with engine.connect() as conn:
        row = (await conn.execute(select(store.events).where(store.events.c.id == event.id))).one()
    assert (row.version, row.max_users, row.registration_mode) == (6, 1, "auto")
    deleted = await change_event(events, event.model_copy(update={"version": 6}), "deleted")
    cancelled = (await outbox_of(engine, joined.id))[-1]
    assert cancelled["routing_key"] == "event_registration.cancelled"
    assert cancelled["payload"]["data"]["reason"] == "event_deleted"
    # an update or a re-creation arriving late does not bring it back
    await change_event(events, deleted, "updated")
    await change_event(events, deleted.model_copy(update={"version": 20}), "created")
    with pytest.raises(NotFound):
        await events.register(MANAGER, EventRegistrationRequest(event.id, "learner-d1"))
    # never heard of before its deletion: a tombstone all the same
    ghost = event_data(session)
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.deleted", ghost)
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.created", ghost)
    assert await of_event(events, ghost.id) == {}


async def test_one_active_event_registration_per_user_in_the_database(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> None:
    session = await new_session(registrations)
    registration = await confirmed(registrations, session, "u1")
    event = await new_event(events, session)
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                store.event_registrations.insert().values(
                    id=uuid.uuid4(),
                    event_id=event.id,
                    session_id=session.id,
                    registration_id=registration.id,
                    user_id="learner-u1",
                    user={},
                    status="registered",
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )


def curriculum(parent: uuid.UUID | None, *trainings: uuid.UUID, **fields: Any) -> CurriculumData:
    now = datetime.now(UTC)
    return CurriculumData.model_validate(
        {
            "id": uuid.uuid4(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "code": uuid.uuid4().hex[:8],
            "title": "Cursus",
            "parent_id": parent,
            "training_ids": list(trainings),
            **fields,
        }
    )


async def test_a_curriculum_skips_closed_windows_and_required_questions_for_a_learner(
    registrations: Registrations, curricula: Curricula
) -> None:
    """A curriculum request carries no answers and a learner is bound by each window: those
    sessions are skipped with their reason (nothing else of the call fails); a manager is bound
    by neither."""
    now = datetime.now(UTC)
    question = {"id": "diet", "label": "Diet", "kind": "text", "required": True}
    later = await new_session(
        registrations, default_session=True, registration_opens_at=now + timedelta(days=3)
    )
    asks = await new_session(registrations, default_session=True, questions=[question])
    open_ = await new_session(registrations, default_session=True)
    root = curriculum(None, later.training_id, asks.training_id, open_.training_id)
    await curricula.replicate_curriculum(str(uuid.uuid4()), "catalog.curriculum.created", root)

    mine = await curricula.register(learner("w1"), root.id, None)
    assert [r.session_id for r in mine.registrations] == [open_.id]
    assert [(s.session_id, s.reason) for s in mine.skipped] == [
        (later.id, "registration_closed"),
        (asks.id, "answers_required"),
    ]
    by_manager = await curricula.register(MANAGER, root.id, someone("w2"))
    assert [r.session_id for r in by_manager.registrations] == [later.id, asks.id, open_.id]


async def test_a_curriculum_registers_to_default_sessions_and_says_what_it_skipped(
    registrations: Registrations, curricula: Curricula
) -> None:
    open_ = await new_session(registrations, default_session=True)
    closed = await new_session(registrations, default_session=True, public_registration=False)
    elsewhere = await new_session(registrations, default_session=True, organizations=["org-z"])
    below_blocking = await new_session(registrations, default_session=True)
    not_default = await new_session(registrations)
    root = curriculum(None, open_.training_id, closed.training_id)
    child = curriculum(root.id, not_default.training_id, elsewhere.training_id)
    blocking = curriculum(root.id, below_blocking.training_id, blocking=True)
    for node in (root, child, blocking):
        await curricula.replicate_curriculum(str(uuid.uuid4()), "catalog.curriculum.created", node)
    await registrations.register(learner("c0"), RegistrationRequest(open_.id))

    mine = await curricula.register(learner("c1"), root.id, None)
    assert [r.session_id for r in mine.registrations] == [open_.id, elsewhere.id]
    assert [(s.session_id, s.training_id, s.reason) for s in mine.skipped] == [
        (closed.id, closed.training_id, "not_public"),
        (None, not_default.training_id, "no_default_session"),
    ]
    again = await curricula.register(learner("c1"), root.id, None)
    assert [s.reason for s in again.skipped] == [
        "already_registered",
        "not_public",
        "no_default_session",
        "already_registered",
    ]
    assert again.registrations == []

    by_manager = await curricula.register(MANAGER, root.id, someone("c2"))
    assert [r.session_id for r in by_manager.registrations] == [open_.id, closed.id]
    assert [s.reason for s in by_manager.skipped] == ["no_default_session", "forbidden"]
    # registering to a blocking node itself is allowed
    blocked = await curricula.register(learner("c3"), blocking.id, None)
    assert [r.session_id for r in blocked.registrations] == [below_blocking.id]

    with pytest.raises(Forbidden):
        await curricula.register(learner("c4"), root.id, someone("c5"))
    with pytest.raises(NotFound):
        await curricula.register(learner("c4"), uuid.uuid4(), None)
    deleted = child.model_copy(update={"version": 2})
    await curricula.replicate_curriculum(str(uuid.uuid4()), "catalog.curriculum.deleted", deleted)
    await curricula.replicate_curriculum(
        str(uuid.uuid4()), "catalog.curriculum.updated", child.model_copy(update={"version": 3})
    )
    with pytest.raises(NotFound):
        await curricula.register(learner("c4"), child.id, None)
    after = await curricula.register(learner("c6"), root.id, None)
    assert [r.session_id for r in after.registrations] == [open_.id]


async def test_concurrent_registrations_never_overfill_an_event(
    registrations: Registrations, events: EventRegistrations
) -> None:
    session = await new_session(registrations)
    for n in range(20):
        await confirmed(registrations, session, f"race-{n}")
    event = await new_event(events, session, registration_mode="manual", max_users=5)
    made = await asyncio.gather(
        *(
            events.register(MANAGER, EventRegistrationRequest(event.id, f"learner-race-{n}"))
            for n in range(20)
        )
    )
    assert sum(r.status == "registered" for r in made) == 5
    line = sorted(r.waitlist_position or 0 for r in made if r.status == "waitlisted")
    assert line == list(range(1, 16))
    seated = [r for r in made if r.status == "registered"]
    await asyncio.gather(*(events.cancel(MANAGER, r.id, None) for r in seated[:3]))
    now = await of_event(events, event.id)
    assert sum(status == "registered" for status, _ in now.values()) == 5
    assert sorted(p for status, p in now.values() if status == "waitlisted") == list(range(1, 13))


async def test_the_migrations_build_the_tables_the_code_uses(engine: AsyncEngine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with engine.connect() as conn:
        differences = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), store.metadata)
        )
    assert differences == []
