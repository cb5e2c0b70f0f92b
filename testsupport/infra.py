"""Real PostgreSQL and RabbitMQ for a test run: its own databases and its own vhost.

URLs come from `TEST_DATABASE_URL` (a server URL; the database part is ignored) and `TEST_AMQP_URL`
(`make test` and `.ci/run` set both to the local servers). Where they are unset and Docker answers,
testcontainers starts the servers; otherwise the run stops with a message saying what is missing.
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg


@dataclass
class Servers:
    postgres_url: str  # postgresql://user@host:port (no database)
    amqp_url: str  # amqp://user:pass@host:port/ (default vhost)
    broker_is_ours: bool = False  # started by testcontainers for this run

    def database_url(self, name: str) -> str:
        return f"{self.postgres_url.rstrip('/')}/{name}"

    def amqp_vhost_url(self, vhost: str) -> str:
        parts = urlsplit(self.amqp_url)
        return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextmanager
def servers() -> Iterator[Servers]:
    pg = os.environ.get("TEST_DATABASE_URL")
    amqp = os.environ.get("TEST_AMQP_URL")
    if pg and amqp:
        yield Servers(_server_only(pg), amqp)
        return
    if not _docker_answers():
        missing = [
            name
            for name, value in (("TEST_DATABASE_URL", pg), ("TEST_AMQP_URL", amqp))
            if not value
        ]
        raise RuntimeError(
            f"{' and '.join(missing)} unset and no Docker engine for testcontainers: run the tests "
            "with `make test` (it points them at the local PostgreSQL and RabbitMQ) or set them"
        )
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with ExitStack() as stack:
        if not pg:
            container = stack.enter_context(PostgresContainer("postgres:16-alpine"))
            pg = container.get_connection_url(driver=None)
        ours = not amqp
        if not amqp:
            rabbit = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management-alpine"))
            amqp = (
                f"amqp://guest:guest@{rabbit.get_container_host_ip()}:"
                f"{rabbit.get_exposed_port(5672)}/"
            )
        yield Servers(_server_only(pg), amqp, broker_is_ours=ours)


def _server_only(url: str) -> str:
    parts = urlsplit(url.replace("postgresql+psycopg2", "postgresql"))
    return urlunsplit(parts._replace(path="", query=""))


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


async def create_database(servers: Servers, name: str) -> str:
    conn = await asyncpg.connect(servers.database_url("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return servers.database_url(name)


async def drop_databases(servers: Servers, prefix: str) -> None:
    conn = await asyncpg.connect(servers.database_url("postgres"))
    try:
        names = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%"
        )
        for row in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


def create_vhost(servers: Servers, vhost: str) -> str:
    """The run's own vhost; a broker started for this run alone is already isolated."""
    if servers.broker_is_ours:
        return servers.amqp_url
    _rabbitmqctl("add_vhost", vhost)
    user = urlsplit(servers.amqp_url).username or "guest"
    _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    return servers.amqp_vhost_url(vhost)


def delete_vhost(servers: Servers, vhost: str) -> None:
    if not servers.broker_is_ours:
        _rabbitmqctl("delete_vhost", vhost)


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)
