"""The catalog's use cases on the real PostgreSQL, migrated by its own alembic scripts: the schema
matches the tables, changes and their outbox rows commit together, and races stay correct."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Unpack

import catalog
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from catalog import store
from catalog.fields import QuestionFields, SessionChanges, TrainingChanges
from catalog.use_cases import Database, curricula, sessions, trainings
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import Principal
from shared.db import make_engine, make_sessionmaker
from shared.events import TrainingData
from shared.migrations import upgrade_to_head
from shared.problems import problem_of
from shared.refusals import Conflict, Invalid, Refusal
from testsupport.infra import Servers, create_database, drop_databases, unique_name

pytestmark = pytest.mark.integration

MIGRATIONS = Path(catalog.__file__).parent / "migrations"
MANAGER = Principal(sub="m", name="Marie", roles=("training_manager",), organizations=("o1",))


@pytest.fixture(scope="module")
async def engine(servers: Servers) -> AsyncIterator[AsyncEngine]:
    name = unique_name("catalog_it")
    url = await create_database(servers, name)
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        engine = make_engine(url, pool_size=12)
        yield engine
        await engine.dispose()
    finally:
        await drop_databases(servers, name)


@pytest.fixture
def database(engine: AsyncEngine) -> Database:
    return make_sessionmaker(engine)


async def outbox_rows(engine: AsyncEngine, routing_key: str, subject: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(store.outbox.c.payload).where(store.outbox.c.routing_key == routing_key)
        )
        return [p for (p,) in rows if p["subject"] == subject]


async def training(database: Database, **fields: Unpack[TrainingChanges]) -> TrainingData:
    return await trainings.create(
        database,
        MANAGER,
        {
            "code": unique_name("T"),
            "title": "Formation",
            "organizations": ["o1"],
            "validators": [],
            "public_registration": False,
            "public_unregistration": False,
            "event_registration_mode": "auto",
            "max_users": None,
            "user_validation": False,
            "organization_validation": False,
            "registration_validation": False,
            "confirmation_hours": 72.0,
            **fields,
        },
    )


def session_fields(**fields: Unpack[SessionChanges]) -> SessionChanges:
    return {
        "title": "Session",
        "start_date": date(2027, 3, 1),
        "end_date": date(2027, 3, 2),
        "default_session": False,
        "tutors": [],
        **fields,
    }


async def test_the_migrations_build_the_schema_the_store_describes(engine: AsyncEngine) -> None:
    def differences(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, store.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []


async def test_a_change_and_its_event_commit_together(
    database: Database, engine: AsyncEngine
) -> None:
    created = await training(database)
    assert len(await outbox_rows(engine, "catalog.training.created", str(created.id))) == 1
    with pytest.raises(Invalid):
        await sessions.create(
            database,
            MANAGER,
            created.id,
            session_fields(start_date=date(2027, 3, 2), end_date=date(2027, 3, 1)),
        )
    async with engine.connect() as conn:
        count = select(func.count()).where(store.sessions.c.training_id == created.id)
        assert (await conn.execute(count.select_from(store.sessions))).scalar_one() == 0

    session = await sessions.create(database, MANAGER, created.id, session_fields())
    with pytest.raises(Invalid):
        await sessions.update(
            database, MANAGER, session.id, {"title": "x", "end_date": date(2020, 1, 1)}
        )
    assert (await sessions.get(database, session.id)).version == 1
    assert await outbox_rows(engine, "catalog.session.updated", str(session.id)) == []


async def test_concurrent_default_sessions_leave_exactly_one(
    database: Database, engine: AsyncEngine
) -> None:
    created = await training(database)
    made = await asyncio.gather(
        *(
            sessions.create(
                database, MANAGER, created.id, session_fields(title=f"S{i}", default_session=True)
            )
            for i in range(6)
        )
    )
    defaults = [s for s in [await sessions.get(database, s.id) for s in made] if s.default_session]
    assert len(defaults) == 1
    # every cleared session announced its new version, once
    for s in made:
        current = await sessions.get(database, s.id)
        updates = await outbox_rows(engine, "catalog.session.updated", str(s.id))
        assert [u["data"]["version"] for u in updates] == list(range(2, current.version + 1))


async def test_concurrent_codes_give_one_training_and_conflicts_naming_it(
    database: Database,
) -> None:
    code = unique_name("RACE")
    results = await asyncio.gather(
        *(training(database, code=code if i % 2 else code.upper()) for i in range(6)),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1
    assert len(refused) == 5
    assert {r.extra["id"] for r in refused} == {str(made[0].id)}


async def test_concurrent_moves_cannot_make_a_cycle(database: Database) -> None:
    admin = Principal(sub="a", roles=("platform_admin",))
    root = await curricula.create(
        database,
        admin,
        {"code": unique_name("R"), "title": "r", "training_ids": [], "blocking": False},
    )
    a, b = [
        await curricula.create(
            database,
            admin,
            {
                "code": unique_name(n),
                "title": n,
                "parent_id": root.id,
                "training_ids": [],
                "blocking": False,
            },
        )
        for n in ("A", "B")
    ]
    results = await asyncio.gather(
        curricula.update(database, admin, a.id, {"parent_id": b.id}),
        curricula.update(database, admin, b.id, {"parent_id": a.id}),
        return_exceptions=True,
    )
    assert sorted("Refusal" if isinstance(r, Refusal) else type(r).__name__ for r in results) == [
        "CurriculumData",
        "Refusal",
    ]
    a_now, b_now = await curricula.get(database, a.id), await curricula.get(database, b.id)
    assert not (a_now.parent_id == b.id and b_now.parent_id == a.id)


async def test_a_session_cannot_be_added_to_a_training_being_deleted(
    database: Database,
) -> None:
    created = await training(database)
    results = await asyncio.gather(
        trainings.delete(database, MANAGER, created.id),
        sessions.create(database, MANAGER, created.id, session_fields()),
        return_exceptions=True,
    )
    outcomes = [
        str(problem_of(r).status) if isinstance(r, Refusal) else type(r).__name__ for r in results
    ]
    # either the delete won (the session finds no training) or the session did (delete 409)
    assert outcomes in (["NoneType", "404"], ["409", "SessionData"])


async def test_a_curriculum_patch_naming_what_it_has_changes_nothing(
    database: Database, engine: AsyncEngine
) -> None:
    listed = await training(database)
    node = await curricula.create(
        database,
        MANAGER,
        {
            "code": unique_name("C"),
            "title": "c",
            "parent_id": (
                await curricula.create(
                    database,
                    Principal(sub="a", roles=("platform_admin",)),
                    {"code": unique_name("R"), "title": "r", "training_ids": [], "blocking": False},
                )
            ).id,
            "training_ids": [listed.id],
            "blocking": False,
        },
    )
    same = await curricula.update(
        database, MANAGER, node.id, {"title": "c", "training_ids": [listed.id, listed.id]}
    )
    assert same.version == 1
    assert same.training_ids == [listed.id]
    assert await outbox_rows(engine, "catalog.curriculum.updated", str(node.id)) == []

    moved = await trainings.update(database, MANAGER, listed.id, {"organizations": ["o1", "o2"]})
    assert moved.organizations == ["o1", "o2"]
    refreshed = await curricula.get(database, node.id)
    assert (refreshed.version, refreshed.organizations) == (2, ["o1", "o2"])


async def test_a_session_announces_its_window_and_copied_rules(
    database: Database, engine: AsyncEngine
) -> None:
    question: QuestionFields = {
        "id": "diet",
        "label": "Diet",
        "kind": "text",
        "required": True,
        "choices": None,
    }
    created = await training(database, waitlist_offer_hours=6.0, questions=[question])
    opens, closes = datetime(2027, 2, 1, 8, tzinfo=UTC), datetime(2027, 2, 20, 17, tzinfo=UTC)
    session = await sessions.create(
        database,
        MANAGER,
        created.id,
        session_fields(registration_opens_at=opens, registration_closes_at=closes),
    )
    (announced,) = await outbox_rows(engine, "catalog.session.created", str(session.id))
    assert announced["data"]["registration_opens_at"] == "2027-02-01T08:00:00Z"
    assert announced["data"]["registration_closes_at"] == "2027-02-20T17:00:00Z"
    assert announced["data"]["waitlist_offer_hours"] == 6.0
    assert announced["data"]["questions"] == [question]

    await sessions.update(database, MANAGER, session.id, {"registration_opens_at": None})
    (updated,) = await outbox_rows(engine, "catalog.session.updated", str(session.id))
    assert updated["data"]["registration_opens_at"] is None
    assert updated["data"]["version"] == 2


async def test_a_session_announces_its_completion_rate_and_reminders(
    database: Database, engine: AsyncEngine
) -> None:
    created = await training(database, completion_rate=75, reminder_hours=[48.0, 2.0])
    session = await sessions.create(database, MANAGER, created.id, session_fields())
    (announced,) = await outbox_rows(engine, "catalog.session.created", str(session.id))
    assert announced["data"]["completion_rate"] == 75
    assert announced["data"]["reminder_hours"] == [48.0, 2.0]

    await sessions.update(
        database, MANAGER, session.id, {"reminder_hours": [], "completion_rate": None}
    )
    (updated,) = await outbox_rows(engine, "catalog.session.updated", str(session.id))
    assert (updated["data"]["reminder_hours"], updated["data"]["completion_rate"]) == ([], None)
