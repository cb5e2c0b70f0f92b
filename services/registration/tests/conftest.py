"""Registration's integration fixtures: a database of its own, migrated to head, per run."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from registration.app import create_app
from registration.settings import RegistrationSettings
from registration.use_cases.registrations import Registrations
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine, make_sessionmaker
from shared.events import SessionData
from shared.migrations import upgrade_to_head
from testsupport.infra import Servers, create_database, drop_databases, unique_name

MIGRATIONS = Path(__file__).parents[1] / "registration" / "migrations"


@pytest.fixture(scope="session")
async def registration_database(servers: Servers) -> AsyncIterator[str]:
    name = unique_name("regtest")
    url = await create_database(servers, name)
    try:
        await asyncio.to_thread(upgrade_to_head, MIGRATIONS, url)
        yield url
    finally:
        await drop_databases(servers, name)


@pytest.fixture(scope="session")
async def engine(registration_database: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(registration_database, pool_size=5, max_overflow=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def registrations(engine: AsyncEngine) -> Registrations:
    return Registrations(make_sessionmaker(engine))


def session_data(**fields: Any) -> SessionData:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "training_id": uuid.uuid4(),
        "title": "Session",
        "start_date": date(2027, 3, 1),
        "end_date": date(2027, 3, 2),
        "organizations": ["org-a"],
        "public_registration": True,
        **fields,
    }
    return SessionData.model_validate(values)


@asynccontextmanager
async def serving(settings: RegistrationSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The registration app in this process, started as its process starts it (lifespan), and a
    client that calls it without a socket."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r") as http,
    ):
        yield http


def app_state(http: httpx.AsyncClient, name: str) -> Any:
    """What the app served by `serving` keeps in its state (its use cases, by name)."""
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return getattr(transport.app.state, name)  # type: ignore[attr-defined]
