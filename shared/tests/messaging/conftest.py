"""A database and a RabbitMQ vhost of the run's own, and a cuttable proxy in front of RabbitMQ."""

from collections.abc import AsyncIterator, Iterator

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import make_engine
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)
from testsupport.proxy import TcpProxy, proxy_to, through


@pytest.fixture(scope="session")
def run_id() -> str:
    return unique_name("msgtest")


@pytest.fixture(scope="session")
def amqp_url(servers: Servers, run_id: str) -> Iterator[str]:
    """A fresh vhost on the test RabbitMQ; deleted afterwards."""
    yield create_vhost(servers, run_id)
    delete_vhost(servers, run_id)


@pytest.fixture(scope="session")
async def database_url(servers: Servers, run_id: str) -> AsyncIterator[str]:
    """A fresh database on the test PostgreSQL; dropped afterwards."""
    yield await create_database(servers, run_id)
    await drop_databases(servers, run_id)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def amqp(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    """A plain connection for the tests' own probes, beside the code under test."""
    connection = await aio_pika.connect_robust(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
async def amqp_proxy(amqp_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A cuttable proxy in front of RabbitMQ and the AMQP URL (same vhost) through it."""
    proxy = await proxy_to(amqp_url, 5672)
    yield proxy, through(proxy, amqp_url)
    await proxy.close()
