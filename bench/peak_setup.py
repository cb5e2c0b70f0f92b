"""A peak run's set-up: pgbench's one-row limit, the replicas healthy, the session to register
to."""

import asyncio
import json
import re
import subprocess
import tempfile
import uuid
from collections import deque
from datetime import UTC, date, datetime

import aio_pika
import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.peak_paths import bench_token
from devstack.processes import Child
from shared.auth import mint_token
from shared.events import SessionData, new_event
from testsupport.infra import (
    Servers,
    create_database,
    drop_databases,
)
from testsupport.waiting import eventually

PGBENCH_SCRIPT = "UPDATE seats SET taken = taken + 1 WHERE id = 1 AND taken < cap;\n"


async def pgbench(servers: Servers, run: str, seconds: int) -> float:
    url = make_url(await create_database(servers, f"{run}pgbench"))
    try:
        conn = await asyncpg.connect(servers.database_url(f"{run}pgbench"))
        try:
            await conn.execute(
                "CREATE TABLE seats (id int PRIMARY KEY, taken int NOT NULL, cap int NOT NULL);"
                "INSERT INTO seats VALUES (1, 0, 2147483647)"
            )
        finally:
            await conn.close()
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(PGBENCH_SCRIPT)
            script.flush()
            done = await asyncio.to_thread(
                subprocess.run,
                [
                    "pgbench",
                    "-n",
                    "-c",
                    "8",
                    "-j",
                    "2",
                    "-T",
                    str(seconds),
                    "-f",
                    script.name,
                    "-h",
                    url.host or "127.0.0.1",
                    "-p",
                    str(url.port or 5432),
                    "-U",
                    url.username or "postgres",
                    str(url.database),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
    finally:
        await drop_databases(servers, f"{run}pgbench")
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"pgbench said:\n{done.stdout}\n{done.stderr}")
    return float(found.group(1))


async def wait_healthy(ports: list[int], output: deque[str], children: list[Child]) -> None:
    async def healthy() -> bool:
        async with httpx.AsyncClient() as http:
            for port in ports:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
        return True

    try:
        await eventually(healthy, within=120, interval=0.25, what="every replica healthy")
    except AssertionError:
        dead = [c.describe_exit() for c in children if c.returncode is not None]
        raise RuntimeError("\n".join(dead or list(output)[-40:])) from None


async def new_session(
    channel: aio_pika.abc.AbstractChannel,
    http: httpx.AsyncClient,
    secret: str,
    seats: int,
    parts: list[str],
    told: asyncpg.Connection | None,
) -> uuid.UUID:
    """A public session of `seats` seats: created through catalog's API when catalog runs, else
    announced on the bus as catalog would; returns once registration (and notification) know it."""
    if "catalog" in parts:
        session_id = await catalog_session(http, secret, seats)
    else:
        session_id = await announced_session(channel, seats)
    token = bench_token(secret, "probe")

    async def known() -> bool:
        answer = await http.get(
            "/api/seats",
            params={"session_id": str(session_id)},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code == 200 and bool(answer.json()["items"])

    await eventually(known, within=30, interval=0.1, what="the session in the replicas")
    if told is not None:

        async def replicated() -> bool:
            found = await told.fetchval("SELECT 1 FROM sessions WHERE id = $1", session_id)
            return found is not None

        await eventually(replicated, within=30, interval=0.1, what="the session in notification")
    return session_id


async def catalog_session(http: httpx.AsyncClient, secret: str, seats: int) -> uuid.UUID:
    manager = {
        "Authorization": "Bearer "
        + mint_token(
            secret,
            sub="bench-manager",
            ttl_seconds=3600,
            roles=["training_manager"],
            organizations=["org-bench"],
        )
    }
    training = await http.post(
        "/api/trainings",
        json={
            "code": f"PEAK-{uuid.uuid4().hex[:8]}",
            "title": "Peak",
            "organizations": ["org-bench"],
            "public_registration": True,
        },
        headers=manager,
    )
    training.raise_for_status()
    session = await http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={
            "title": "Peak session",
            "start_date": date(2030, 1, 1).isoformat(),
            "end_date": date(2030, 1, 2).isoformat(),
            "max_users": seats,
        },
        headers=manager,
    )
    session.raise_for_status()
    return uuid.UUID(session.json()["id"])


async def announced_session(channel: aio_pika.abc.AbstractChannel, seats: int) -> uuid.UUID:
    now = datetime.now(UTC).isoformat()
    session_id = uuid.uuid4()
    data = {
        "id": str(session_id),
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "training_id": str(uuid.uuid4()),
        "title": "Peak session",
        "start_date": date(2030, 1, 1).isoformat(),
        "end_date": date(2030, 1, 2).isoformat(),
        "organizations": ["org-bench"],
        "public_registration": True,
        "max_users": seats,
    }
    session = SessionData.model_validate(data)
    event = new_event("catalog", "catalog.session.created", session, subject=str(session_id))
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
    return session_id
