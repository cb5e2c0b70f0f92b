"""A database and a RabbitMQ vhost of its own for each test run, and a TCP proxy to cut."""

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="session")
def run_id() -> str:
    return f"msgtest_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def amqp_url(run_id: str) -> Iterator[str]:
    """A fresh vhost on the test RabbitMQ; deleted afterwards."""
    base = urlsplit(os.environ.get("TEST_AMQP_URL", DEFAULT_AMQP_URL))
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is needed to create the test vhost (set up RabbitMQ locally)")
    user = base.username or "guest"
    _rabbitmqctl("add_vhost", run_id)
    try:
        _rabbitmqctl("set_permissions", "-p", run_id, user, ".*", ".*", ".*")
        yield urlunsplit(base._replace(path="/" + quote(run_id, safe="")))
    finally:
        _rabbitmqctl("delete_vhost", run_id)


@pytest.fixture(scope="session")
async def database_url(run_id: str) -> AsyncIterator[str]:
    """A fresh database on the test PostgreSQL (asyncpg DSN); dropped afterwards."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_DATABASE_URL)).set(
        drivername="postgresql"
    )
    try:
        admin = await asyncpg.connect(server.render_as_string(hide_password=False))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(f"PostgreSQL unreachable at {server!r} (set TEST_DATABASE_URL): {error!r}")
    try:
        await admin.execute(f'CREATE DATABASE "{run_id}"')
        yield server.set(database=run_id).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{run_id}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(make_url(database_url).set(drivername="postgresql+asyncpg"))
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def amqp(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    """A plain connection for the tests' own probes, beside the code under test."""
    connection = await aio_pika.connect_robust(amqp_url)
    yield connection
    await connection.close()


class TcpProxy:
    """Forwards a local port to RabbitMQ until cut: then every connection drops and new
    ones are refused, as when the broker is unreachable."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._transports: set[asyncio.WriteTransport] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self._server = None
        for transport in self._transports:
            transport.abort()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        self._transports.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        if self._server is not None:
            await self.cut()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._transports.update((writer.transport, upstream_writer.transport))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            sink.transport.abort()


@pytest.fixture
async def amqp_proxy(amqp_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A cuttable proxy in front of RabbitMQ and the AMQP URL (same vhost) through it."""
    target = urlsplit(amqp_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    netloc = f"{target.username}:{target.password}@127.0.0.1:{proxy.port}"
    yield proxy, urlunsplit(target._replace(netloc=netloc))
    await proxy.close()


def _rabbitmqctl(*args: str) -> None:
    done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.fail(f"rabbitmqctl {' '.join(args)} failed (is RabbitMQ running?): {done.stderr}")
