"""Proof under concurrency: two registration processes on one database and one broker take
hundreds of simultaneous self-registrations for one session without overselling, keep the line
gap-free, then hand freed seats to exactly the head of the line."""

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
import pytest

from devstack.processes import Child
from shared.auth import mint_token
from shared.events import new_event
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)
from testsupport.system import free_port
from testsupport.waiting import eventually

from .conftest import session_data

pytestmark = pytest.mark.integration

REGISTRATIONS = 500
SEATS = 50
CANCELLATIONS = 10
ROOT = Path(__file__).resolve().parents[3]


class Replicas:
    def __init__(
        self, ports: list[int], database_url: str, amqp_url: str, secret: str, output: list[str]
    ) -> None:
        self.output = output
        self.ports = ports
        self.database_url = database_url
        self.amqp_url = amqp_url
        self.secret = secret

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports[n % len(self.ports)]}"

    def auth(self, sub: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.secret, sub=sub, **claims)}"}


@pytest.fixture(scope="module")
async def replicas(servers: Servers) -> AsyncIterator[Replicas]:
    run = unique_name("regrepl")
    database_url = await create_database(servers, run)
    amqp_url = create_vhost(servers, run)
    secret = "replica-secret-" + run
    ports = [free_port(), free_port()]
    output: list[str] = []
    children = [
        Child(
            f"registration-{i}",
            [sys.executable, "-m", "registration"],
            env={
                "PATH": os.environ.get("PATH", ""),
                "HOME": os.environ.get("HOME", ""),
                "REGISTRATION_PORT": str(port),
                "REGISTRATION_DATABASE_URL": database_url,
                "AMQP_URL": amqp_url,
                "JWT_SECRET": secret,
                "LOG_LEVEL": "WARNING",
            },
            cwd=ROOT,
            sink=lambda name, line: output.append(f"{name}: {line}"),
        )
        for i, port in enumerate(ports)
    ]
    try:
        for child in children:
            await child.start()

        async def healthy() -> bool:
            async with httpx.AsyncClient() as http:
                for port in ports:
                    try:
                        answer = await http.get(f"http://127.0.0.1:{port}/health")
                    except httpx.HTTPError:
                        return False
                    if answer.status_code != 200:
                        return False
            return True

        try:
            await eventually(healthy, within=90, interval=0.25, what="both replicas healthy")
        except AssertionError:
            raise AssertionError("\n".join(output[-40:])) from None
        yield Replicas(ports, database_url, amqp_url, secret, output)
    finally:
        await asyncio.gather(*(child.stop(10) for child in children))
        await drop_databases(servers, run)
        delete_vhost(servers, run)


async def publish_session(amqp_url: str, **fields: object) -> uuid.UUID:
    """What the catalog would announce: a new session."""
    session = session_data(**fields)
    event = new_event("catalog", "catalog.session.created", session, subject=str(session.id))
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange("training.events")
        await exchange.publish(
            aio_pika.Message(
                json.dumps(event.to_message()).encode(),
                content_type="application/cloudevents+json",
                message_id=event.id,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.type,
        )
    return session.id


async def test_two_replicas_never_oversell_and_promote_the_head_of_the_line(
    replicas: Replicas,
) -> None:
    session_id = await publish_session(
        replicas.amqp_url, max_users=SEATS, public_registration=True, organizations=["org-r"]
    )
    # An idle connection is dropped by the client well before uvicorn closes it (5 s): with the
    # two equal, a request sent on a connection the server is closing fails with ReadError.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200, keepalive_expiry=2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:

        async def known() -> bool:
            answer = await http.get(
                f"{replicas.url(0)}/api/seats",
                params={"session_id": str(session_id)},
                headers=replicas.auth("probe"),
            )
            return bool(answer.json()["items"])

        await eventually(known, within=20, what="the session in the replica")

        async def register(n: int) -> httpx.Response:
            return await http.post(
                f"{replicas.url(n)}/api/registrations",
                json={"session_id": str(session_id)},
                headers=replicas.auth(f"learner-{n}", email=f"l{n}@example.org"),
            )

        try:
            answers = await asyncio.gather(*(register(n) for n in range(REGISTRATIONS)))
        except httpx.HTTPError as error:
            log = "\n".join(replicas.output[-60:])
            raise AssertionError(f"{error!r}; the replicas said:\n{log}") from error
        assert sorted({a.status_code for a in answers}) == [201], [
            a.text for a in answers if a.status_code != 201
        ][:3]
        registrations = [a.json() for a in answers]
        assert len({r["id"] for r in registrations}) == REGISTRATIONS
        seated = [r for r in registrations if r["status"] == "confirmed"]
        waiting = sorted(
            (r for r in registrations if r["status"] == "waitlisted"),
            key=lambda r: r["waitlist_position"],
        )
        assert len(seated) == SEATS
        assert [r["waitlist_position"] for r in waiting] == list(
            range(1, REGISTRATIONS - SEATS + 1)
        )
        await assert_database(replicas, session_id, SEATS, REGISTRATIONS - SEATS)

        manager = replicas.auth("manager", roles=["training_manager"], organizations=["org-r"])

        async def cancel(n: int, registration: dict[str, object]) -> httpx.Response:
            return await http.post(
                f"{replicas.url(n)}/api/registrations/{registration['id']}/cancel",
                json={"reason": "concurrency"},
                headers=manager,
            )

        cancelled = await asyncio.gather(
            *(cancel(n, r) for n, r in enumerate(seated[:CANCELLATIONS]))
        )
        assert [c.status_code for c in cancelled] == [200] * CANCELLATIONS

        head, rest = waiting[:CANCELLATIONS], waiting[CANCELLATIONS:]
        now = await current(replicas, http, [r["id"] for r in waiting])
        assert [now[r["id"]]["status"] for r in head] == ["confirmed"] * CANCELLATIONS
        assert [now[r["id"]]["waitlist_position"] for r in rest] == list(range(1, len(rest) + 1))
        await assert_database(replicas, session_id, SEATS, len(rest))


async def current(
    replicas: Replicas, http: httpx.AsyncClient, ids: list[str]
) -> dict[str, dict[str, object]]:
    admin = replicas.auth("admin", roles=["platform_admin"])
    found = {}
    for n, reg_id in enumerate(ids):
        answer = await http.get(f"{replicas.url(n)}/api/registrations/{reg_id}", headers=admin)
        found[reg_id] = answer.json()
    return found


async def assert_database(
    replicas: Replicas, session_id: uuid.UUID, taken: int, waitlisted: int
) -> None:
    conn = await asyncpg.connect(replicas.database_url)
    try:
        seats = await conn.fetchrow(
            "SELECT taken, waitlisted FROM sessions WHERE id = $1", session_id
        )
        counted = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status IN ('pending', 'confirmed')) AS taken, "
            "count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted, "
            "array_agg(waitlist_position ORDER BY waitlist_position) "
            "FILTER (WHERE status = 'waitlisted') AS line "
            "FROM registrations WHERE session_id = $1",
            session_id,
        )
    finally:
        await conn.close()
    assert (seats["taken"], seats["waitlisted"]) == (taken, waitlisted)
    assert (counted["taken"], counted["waitlisted"]) == (taken, waitlisted)
    assert list(counted["line"] or []) == list(range(1, waitlisted + 1))
