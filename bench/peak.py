"""Peak enrollment: M learners register for one session of S seats at once, through N replicas.

In one run, on the local PostgreSQL and RabbitMQ (a database and vhost of its own, removed
afterwards):
1. the database's own limit: pgbench, 8 clients, one row, `UPDATE ... SET taken = taken + 1`;
2. N registration processes and the nginx gateway in front of them (rate limits lifted);
3. the load generators' own ceilings: HTTP against a path the gateway answers itself, AMQP
   publishing and consuming M messages through a queue no one else reads;
4. (a) M `registration.register` commands (with `reply_to`) for one session, (b) M
   `POST /api/registrations` through the gateway for another, each from a distinct learner
   with a pre-minted token (the command's in its `authorization` header);
5. for each path: decisions/s (M / first sent to last answered), latency p50/p95/p99, the
   ratio to pgbench's TPS, and the checks: every request answered 201, exactly S seats, the
   line 1..M-S without a gap (answers and database), one `registration.requested` per
   registration on `training.events`.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import make_url

from bench.load import Answer, fire, post
from devstack.defaults import GATEWAY_RATE_DEFAULTS
from devstack.gateway import Gateway
from devstack.processes import Child
from shared.auth import mint_token
from shared.events import REGISTER, RegisterCommand, SessionData, new_event
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

ROOT = Path(__file__).resolve().parents[1]
# every gateway limit, lifted (one client address sends all the load)
UNLIMITED = {
    name: "1000000r/s" if name.endswith("_RATE") else "1000000" for name in GATEWAY_RATE_DEFAULTS
}
PGBENCH_SCRIPT = "UPDATE seats SET taken = taken + 1 WHERE id = 1 AND taken < cap;\n"


@dataclass
class PathResult:
    name: str
    answers: list[tuple[float, float, int, dict[str, Any]]]  # sent, answered, status, body

    @property
    def seconds(self) -> float:
        return max(a[1] for a in self.answers) - min(a[0] for a in self.answers)

    def summary(self, db_tps: float) -> dict[str, Any]:
        latencies = sorted((a[1] - a[0]) * 1000 for a in self.answers)
        rate = len(self.answers) / self.seconds
        return {
            "path": self.name,
            "decisions": len(self.answers),
            "seconds": round(self.seconds, 2),
            "decisions_per_s": round(rate),
            "p50_ms": round(_pct(latencies, 50), 1),
            "p95_ms": round(_pct(latencies, 95), 1),
            "p99_ms": round(_pct(latencies, 99), 1),
            "ratio_to_pgbench": round(rate / db_tps, 2),
        }


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench peak")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--connections", type=int, default=256, help="HTTP, in all")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--paths", default="command,http")
    args = parser.parse_args(argv)
    paths = args.paths.split(",")

    servers = Servers(
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432"),
        os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    run = unique_name("bench_peak")
    print(f"machine: {os.cpu_count()} cores; {_cpu_model()}; run {run}", flush=True)
    db_tps = await _pgbench(servers, run, args.pgbench_seconds)
    print(f"pgbench (8 clients, one row, {args.pgbench_seconds} s): {db_tps:.0f} TPS", flush=True)

    database_url = await create_database(servers, run)
    amqp_url = create_vhost(servers, run)
    secret = f"bench-secret-{run}-{uuid.uuid4().hex}"
    ports = [free_port() for _ in range(args.replicas)]
    output: list[str] = []
    replicas = [
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
    gateway_port = free_port()
    unused = f"127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as prefix:
        gateway = Gateway(
            ROOT,
            Path(prefix),
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{gateway_port}",
                # the template's `server ${REGISTRATION_UPSTREAM};`, one server per replica
                "REGISTRATION_UPSTREAM": "; server ".join(f"127.0.0.1:{p}" for p in ports),
                "CATALOG_UPSTREAM": unused,
                "NOTIFICATION_UPSTREAM": unused,
                "CONSOLE_UPSTREAM": unused,
                **UNLIMITED,
            },
            sink=lambda name, line: None,  # one access-log line per request
        )
        try:
            for replica in replicas:
                await replica.start()
            await _healthy(ports, output)
            # the load generator's own HTTP ceiling needs the gateway only
            await gateway.start()
            results = await _measure(
                args, paths, amqp_url, database_url, secret, gateway_port, db_tps
            )
        finally:
            await gateway.stop()
            await asyncio.gather(*(replica.stop(30) for replica in replicas))
            await drop_databases(servers, run)
            delete_vhost(servers, run)
    print(json.dumps(results, indent=2), flush=True)
    if not all(check["ok"] for check in results["checks"].values()):
        raise SystemExit("peak: a correctness check failed")


async def _measure(
    args: argparse.Namespace,
    paths: list[str],
    amqp_url: str,
    database_url: str,
    secret: str,
    gateway_port: int,
    db_tps: float,
) -> dict[str, Any]:
    m, seats = args.learners, args.seats
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel(publisher_confirms=False)
    await channel.set_qos(prefetch_count=2000)
    events = await channel.get_exchange("training.events")
    bus = await channel.declare_queue(f"bench.requested.{uuid.uuid4()}", exclusive=True)
    await bus.bind(events, "registration.requested")
    requested: Counter[str] = Counter()

    async def on_requested(message: AbstractIncomingMessage) -> None:
        requested[json.loads(message.body)["subject"]] += 1
        await message.ack()

    await bus.consume(on_requested)

    ceilings = {
        "http_noop_per_s": round(
            await asyncio.to_thread(_http_ceiling, args, gateway_port, secret)
        ),
        "amqp_roundtrip_per_s": round(await _amqp_ceiling(channel, m)),
    }
    print(f"load generators' ceilings: {ceilings}", flush=True)

    sessions: dict[str, uuid.UUID] = {}
    summaries = []
    checks: dict[str, dict[str, Any]] = {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}") as http:
        for path in paths:
            session_id = await _new_session(channel, http, secret, seats)
            sessions[path] = session_id
            learners = [f"{path}-learner-{n}" for n in range(m)]
            tokens = [_token(secret, sub) for sub in learners]
            if path == "command":
                result = await _commands(channel, session_id, tokens)
            else:
                body = json.dumps({"session_id": str(session_id)}).encode()
                requests = [post("127.0.0.1", "/api/registrations", t, body) for t in tokens]
                answers = await asyncio.to_thread(
                    fire,
                    "127.0.0.1",
                    gateway_port,
                    requests,
                    processes=args.client_processes,
                    connections=args.connections // args.client_processes,
                )
                result = PathResult("http", [_http_answer(a) for a in answers])
            summary = result.summary(db_tps)
            print(f"{path}: {summary}", flush=True)
            summaries.append(summary)
            checks[path] = _check_answers(result, m, seats)

    ids = {path: await _registration_ids(database_url, s) for path, s in sessions.items()}
    every = [reg_id for path_ids in ids.values() for reg_id in path_ids]

    async def all_on_bus() -> bool:
        return all(str(reg_id) in requested for reg_id in every)

    started = time.monotonic()
    with contextlib.suppress(AssertionError):
        await eventually(all_on_bus, within=300, interval=0.2, what="every event on the bus")
    drained = time.monotonic() - started
    for path, session_id in sessions.items():
        checks[path].update(await _check_database(database_url, session_id, m, seats))
        on_bus = [requested.get(str(reg_id), 0) for reg_id in ids[path]]
        checks[path]["one_requested_per_registration"] = on_bus == [1] * len(ids[path])
        checks[path]["requested_on_bus"] = sum(on_bus)
        checks[path]["ok"] = all(v for k, v in checks[path].items() if isinstance(v, bool))
    await connection.close()
    return {
        "machine": {"cores": os.cpu_count(), "cpu": _cpu_model()},
        "replicas": args.replicas,
        "learners": m,
        "seats": seats,
        "pgbench_tps": round(db_tps),
        "load_generator_ceilings": ceilings,
        "paths": summaries,
        "outbox_drained_after_s": round(drained, 1),
        "checks": checks,
    }


# --- the two paths -----------------------------------------------------------------------------


async def _commands(
    channel: aio_pika.abc.AbstractChannel, session_id: uuid.UUID, tokens: list[str]
) -> PathResult:
    replies = await channel.declare_queue(f"bench.replies.{uuid.uuid4()}", exclusive=True)
    commands = await channel.get_exchange("training.commands")
    answered: dict[str, tuple[float, int, dict[str, Any]]] = {}
    done = asyncio.Event()

    async def on_reply(message: AbstractIncomingMessage) -> None:
        answer = json.loads(message.body)
        answered[str(message.correlation_id)] = (time.monotonic(), answer["status"], answer["body"])
        await message.ack()
        if len(answered) == len(tokens):
            done.set()

    await replies.consume(on_reply)
    bodies = []
    for token in tokens:
        event = new_event("bench", REGISTER, RegisterCommand(session_id=session_id))
        bodies.append((event.id, json.dumps(event.to_message()).encode(), f"Bearer {token}"))
    sent: dict[str, float] = {}
    for event_id, body, authorization in bodies:
        sent[event_id] = time.monotonic()
        await commands.publish(
            aio_pika.Message(
                body,
                headers={"authorization": authorization},
                content_type="application/cloudevents+json",
                message_id=event_id,
                correlation_id=event_id,
                reply_to=replies.name,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=REGISTER,
        )
    await asyncio.wait_for(done.wait(), 600)
    return PathResult("command", [(sent[i], *answered[i]) for i in sent])


def _http_answer(answer: Answer) -> tuple[float, float, int, dict[str, Any]]:
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = {"raw": answer.body[:200].decode("latin-1")}
    return answer.sent, answer.answered, answer.status, body


def _http_ceiling(args: argparse.Namespace, gateway_port: int, secret: str) -> float:
    """The generator against a path nginx answers itself (404): its ceiling with the gateway."""
    body = b'{"session_id": "00000000-0000-0000-0000-000000000000"}'
    requests = [
        post("127.0.0.1", "/bench/noop", _token(secret, f"noop-{n}"), body)
        for n in range(args.learners)
    ]
    answers = fire(
        "127.0.0.1",
        gateway_port,
        requests,
        processes=args.client_processes,
        connections=args.connections // args.client_processes,
    )
    seconds = max(a.answered for a in answers) - min(a.sent for a in answers)
    assert {a.status for a in answers} == {404}, Counter(a.status for a in answers)
    return len(answers) / seconds


async def _amqp_ceiling(channel: aio_pika.abc.AbstractChannel, m: int) -> float:
    """Publishing m commands' worth of messages and consuming them back, nothing else."""
    sink = await channel.declare_queue(f"bench.noop.{uuid.uuid4()}", exclusive=True)
    got = 0
    done = asyncio.Event()

    async def on_message(message: AbstractIncomingMessage) -> None:
        nonlocal got
        got += 1
        await message.ack()
        if got == m:
            done.set()

    await sink.consume(on_message)
    body = b"x" * 600
    started = time.monotonic()
    for n in range(m):
        await channel.default_exchange.publish(
            aio_pika.Message(body, correlation_id=str(n), reply_to=sink.name),
            routing_key=sink.name,
        )
    await asyncio.wait_for(done.wait(), 120)
    return m / (time.monotonic() - started)


# --- set-up ------------------------------------------------------------------------------------


async def _pgbench(servers: Servers, run: str, seconds: int) -> float:
    url = make_url(await create_database(servers, f"{run}_pgbench"))
    try:
        conn = await asyncpg.connect(servers.database_url(f"{run}_pgbench"))
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
        await drop_databases(servers, f"{run}_pgbench")
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        raise RuntimeError(f"pgbench said:\n{done.stdout}\n{done.stderr}")
    return float(found.group(1))


async def _healthy(ports: list[int], output: list[str]) -> None:
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
        raise RuntimeError("\n".join(output[-40:])) from None


async def _new_session(
    channel: aio_pika.abc.AbstractChannel, http: httpx.AsyncClient, secret: str, seats: int
) -> uuid.UUID:
    """What the catalog would announce; returns once the replicas know it."""
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
    token = _token(secret, "probe")

    async def known() -> bool:
        answer = await http.get(
            "/api/seats",
            params={"session_id": str(session_id)},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code == 200 and bool(answer.json()["items"])

    await eventually(known, within=30, interval=0.1, what="the session in the replicas")
    return session_id


def _token(secret: str, sub: str) -> str:
    return mint_token(secret, sub=sub, ttl_seconds=3600, email=f"{sub}@example.org", name=sub)


# --- checks ------------------------------------------------------------------------------------


def _check_answers(result: PathResult, m: int, seats: int) -> dict[str, Any]:
    statuses = Counter(a[2] for a in result.answers)
    bodies = [a[3] for a in result.answers if a[2] == 201]
    confirmed = sum(b["status"] == "confirmed" for b in bodies)
    line = sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted")
    return {
        "statuses": {str(k): v for k, v in statuses.items()},
        "every_request_answered_201": len(result.answers) == m and statuses == {201: m},
        "answers_seated_exactly": confirmed == seats,
        "answers_line_without_gap": line == list(range(1, m - seats + 1)),
    }


async def _check_database(
    database_url: str, session_id: uuid.UUID, m: int, seats: int
) -> dict[str, Any]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT taken, waitlisted FROM sessions WHERE id = $1", session_id
        )
        counted = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status IN ('pending', 'confirmed')) AS taken, "
            "array_agg(waitlist_position ORDER BY waitlist_position) "
            "FILTER (WHERE status = 'waitlisted') AS line "
            "FROM registrations WHERE session_id = $1",
            session_id,
        )
    finally:
        await conn.close()
    return {
        "database_seats_row": [row["taken"], row["waitlisted"]],
        "database_seated_exactly": row["taken"] == seats and counted["taken"] == seats,
        "database_line_without_gap": list(counted["line"] or []) == list(range(1, m - seats + 1)),
    }


async def _registration_ids(database_url: str, session_id: uuid.UUID) -> list[uuid.UUID]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT id FROM registrations WHERE session_id = $1", session_id)
    finally:
        await conn.close()
    return [row["id"] for row in rows]


def _pct(sorted_values: list[float], p: float) -> float:
    if len(sorted_values) < 2:
        return sorted_values[0] if sorted_values else 0.0
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(p) - 1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"
