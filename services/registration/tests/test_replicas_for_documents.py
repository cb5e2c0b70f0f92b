"""What the reports and documents print, as the replicas keep it from catalog: the session's
title, dates and place, the event's title and place, and the trainings replica (by version,
deduplicated through the inbox, deleted trainings kept as tombstones)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from registration import store
from registration.use_cases.event_registrations import EventRegistrations
from registration.use_cases.registrations import Registrations
from registration.use_cases.trainings import Trainings
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_sessionmaker
from shared.events import EventData, TrainingData

from .conftest import session_data

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def trainings(engine: AsyncEngine) -> Trainings:
    return Trainings(make_sessionmaker(engine))


@pytest.fixture(scope="module")
def events(engine: AsyncEngine) -> EventRegistrations:
    return EventRegistrations(make_sessionmaker(engine))


def training_data(**fields: Any) -> TrainingData:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "code": "SEC-101",
        "title": "Sécurité au travail",
        "organizations": ["org-a"],
        **fields,
    }
    return TrainingData.model_validate(values)


async def row_of(engine: AsyncEngine, table: Any, ident: uuid.UUID) -> Any:
    async with engine.connect() as conn:
        return (await conn.execute(select(table).where(table.c.id == ident))).one()


async def test_the_session_replica_keeps_title_dates_and_place(
    registrations: Registrations, engine: AsyncEngine
) -> None:
    session = session_data(
        title="Session de janvier",
        start_date=date(2027, 1, 12),
        end_date=date(2027, 1, 14),
        location="Lyon",
    )
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    row = await row_of(engine, store.sessions, session.id)
    assert (row.title, row.start_date, row.end_date, row.location) == (
        "Session de janvier",
        date(2027, 1, 12),
        date(2027, 1, 14),
        "Lyon",
    )
    moved = session.model_copy(
        update={"version": 2, "title": "Session de février", "location": None}
    )
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.updated", moved)
    stale = session.model_copy(update={"title": "Stale"})
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.updated", stale)
    row = await row_of(engine, store.sessions, session.id)
    assert (row.title, row.location) == ("Session de février", None)


async def test_the_event_replica_keeps_title_and_place(
    registrations: Registrations, events: EventRegistrations, engine: AsyncEngine
) -> None:
    session = session_data()
    await registrations.replicate_session(str(uuid.uuid4()), "catalog.session.created", session)
    now = datetime.now(UTC)
    event = EventData.model_validate(
        {
            "id": uuid.uuid4(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "session_id": session.id,
            "training_id": session.training_id,
            "title": "Gestes & postures",
            "start": now + timedelta(days=1),
            "end": now + timedelta(days=1, hours=3),
            "location": "Salle Émile-Zola",
            "organizations": session.organizations,
        }
    )
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.created", event)
    row = await row_of(engine, store.events, event.id)
    assert (row.title, row.location) == ("Gestes & postures", "Salle Émile-Zola")
    renamed = event.model_copy(update={"version": 2, "title": "Incendie", "location": "Salle B"})
    await events.replicate_event(str(uuid.uuid4()), "catalog.event.updated", renamed)
    row = await row_of(engine, store.events, event.id)
    assert (row.title, row.location) == ("Incendie", "Salle B")


async def test_the_training_replica_is_ordered_deduplicated_and_keeps_its_tombstones(
    trainings: Trainings, engine: AsyncEngine
) -> None:
    training = training_data()
    created_id = str(uuid.uuid4())
    await trainings.replicate_training(created_id, "catalog.training.created", training)
    row = await row_of(engine, store.trainings, training.id)
    assert (row.version, row.code, row.title, row.status) == (
        1,
        "SEC-101",
        "Sécurité au travail",
        "active",
    )
    assert row.organizations == ["org-a"]
    renamed = training.model_copy(update={"version": 3, "title": "Sécurité", "code": "SEC-1"})
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.updated", renamed)
    # a stale version, and the first event redelivered with another version, change nothing
    stale = training.model_copy(update={"version": 2, "title": "Stale"})
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.updated", stale)
    again = training.model_copy(update={"version": 9, "title": "Redelivered"})
    await trainings.replicate_training(created_id, "catalog.training.created", again)
    row = await row_of(engine, store.trainings, training.id)
    assert (row.version, row.code, row.title) == (3, "SEC-1", "Sécurité")
    deleted = renamed.model_copy(update={"version": 4})
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.deleted", deleted)
    late = renamed.model_copy(update={"version": 5, "title": "Back"})
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.updated", late)
    row = await row_of(engine, store.trainings, training.id)
    assert (row.version, row.title, row.status) == (4, "Sécurité", "deleted")
    # never heard of before its deletion: a tombstone all the same
    ghost = training_data()
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.deleted", ghost)
    await trainings.replicate_training(str(uuid.uuid4()), "catalog.training.created", ghost)
    assert (await row_of(engine, store.trainings, ghost.id)).status == "deleted"
