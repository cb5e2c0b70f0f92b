"""Peak enrollment: M learners register for one session of S seats at once, through N replicas,
with the whole stack of `make run` around them (or the parts `--parts` names).

In one run, on the local PostgreSQL and RabbitMQ (databases and a vhost of its own, removed
afterwards):
1. the database's own limit: pgbench, 8 clients, one row, `UPDATE ... SET taken = taken + 1`;
2. the processes of `make run` with its environment (devstack's `StackConfig`, each service its
   own RabbitMQ user where the broker can be administered): catalog, N registration processes,
   notification (SMTP_URL unset: emails captured in its deliveries log, as `make run` does), and
   the nginx gateway in front of them (one `server` per replica, rate limits lifted); no console;
3. the load generators' own ceilings: HTTP against a path the gateway answers itself, AMQP
   publishing and consuming M messages through a queue no one else reads;
4. (a) M `registration.register` commands (with `reply_to`) for one session, (b) M
   `POST /api/registrations` through the gateway for another, each from a distinct learner
   with a pre-minted token (the command's in its `authorization` header); the sessions are
   created through catalog's API when catalog runs (else announced on the bus as catalog would);
5. for each path: decisions/s (M / first sent to last answered), latency p50/p95/p99, the
   ratio to pgbench's TPS, the CPU account from /proc (bench/cpu.py: ms of CPU per decision of
   each part, during the burst and until notification has told every fact), how long after the
   last decision notification has told every fact, and the checks: every request answered 201,
   exactly S seats, the line 1..M-S without a gap (answers and database), one
   `registration.requested` per registration on `training.events`, and one inbox message and one
   email per learner of the kind of their decision (nothing lost, nothing twice).
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import make_url

from bench.cpu import CLK_TCK, Row, Sample, postgres_rows, snapshot, table, tree_delta
from bench.load import Answer, fire, post
from devstack.broker_users import BrokerAdminError, ServiceUsers
from devstack.config import StackConfig, load_environment
from devstack.defaults import GATEWAY_RATE_DEFAULTS, SERVICES
from devstack.gateway import Gateway
from devstack.processes import Child
from devstack.stack import python_module_command
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
TOLD = ("captured", "sent")  # a delivery's status once the sender is done with it
TOLD_WITHIN_S = 600.0


@dataclass
class PathResult:
    name: str
    answers: list[tuple[float, float, int, dict[str, Any]]]  # sent, answered, status, body
    started: Sample | None = None  # /proc when the first request went out
    answered: Sample | None = None  # /proc when the last answer came
    generator_workers_s: float = 0.0  # the HTTP generator's worker processes, their CPU

    @property
    def seconds(self) -> float:
        return max(a[1] for a in self.answers) - min(a[0] for a in self.answers)

    @property
    def last_answer(self) -> float:
        return max(a[1] for a in self.answers)

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


@dataclass
class Processes:
    """Who is who in /proc: the roots of each part's process tree, and PostgreSQL's backends."""

    services: dict[str, list[int]]
    gateway: int
    postmaster: int
    databases: dict[str, str]  # database name -> its row's name
    bench_backends: set[int] = field(default_factory=set)
    backends: dict[int, str] = field(default_factory=dict)  # pid -> database ("" background)


class Sampler:
    """/proc every `interval` seconds (and when asked), PostgreSQL's pid → database alongside."""

    def __init__(self, conn: asyncpg.Connection, processes: Processes, interval: float) -> None:
        self.conn = conn
        self.processes = processes
        self.interval = interval
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self._query = asyncio.Lock()  # one query at a time on the connection

    def take(self) -> Sample:
        """Now (from any thread)."""
        sample = snapshot(time.monotonic())
        with self._lock:
            self.samples.append(sample)
        return sample

    async def backends(self) -> None:
        async with self._query:
            rows = await self.conn.fetch("SELECT pid, datname FROM pg_stat_activity")
        for row in rows:
            pid = row["pid"]
            if pid in self.processes.bench_backends:
                self.processes.backends[pid] = "(bench)"
            else:
                self.processes.backends.setdefault(pid, row["datname"] or "")

    async def _run(self) -> None:
        while True:
            await self.backends()
            self.take()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.backends()

    def between(self, first: Sample, last: Sample) -> list[Sample]:
        with self._lock:
            inside = [s for s in self.samples if first.at < s.at < last.at]
        return [first, *sorted(inside, key=lambda s: s.at), last]


class Profiles:
    """py-spy attached to the services for a path's burst (none without a binary)."""

    def __init__(self, py_spy: str | None, directory: Path) -> None:
        self.py_spy = py_spy
        self.directory = directory
        self.running: dict[tuple[str, str], asyncio.subprocess.Process] = {}

    async def start(self, path: str, services: dict[str, list[int]]) -> None:
        if not self.py_spy:
            return
        for name, pids in services.items():
            out = self.directory / f"peak-{path}-{name}.txt"
            self.running[path, name] = await asyncio.create_subprocess_exec(
                self.py_spy,
                "record",
                "--pid",
                str(pids[0]),
                "--rate",
                "100",
                "--nonblocking",
                "--format",
                "raw",
                "-o",
                str(out),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            print(f"{path}: py-spy recording {name} (pid {pids[0]}) into {out}", flush=True)
        await asyncio.sleep(1.0)  # attached before the first request

    async def stop(self, path: str, name: str | None) -> None:
        """Stop one recording of `path` (all of it for None, every path's for path "")."""
        for (p, n), process in list(self.running.items()):
            if (p == path or not path) and (name is None or n == name):
                del self.running[p, n]
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                await process.wait()


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench peak")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--seats", type=int, default=500)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--connections", type=int, default=256, help="HTTP, in all")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--paths", default="command,http")
    parser.add_argument(
        "--parts",
        default=",".join(SERVICES),
        help="the services that run (default all of make run's: catalog,registration,"
        "notification; 'registration' alone is the light run of before issue 18)",
    )
    parser.add_argument("--sample-interval", type=float, default=0.5, help="/proc, seconds")
    parser.add_argument(
        "--py-spy",
        metavar="BINARY",
        help="record each path with py-spy (raw collapsed stacks, 100 Hz, non-blocking): "
        "registration (its first replica) during the burst, the other services until every "
        "fact is told",
    )
    parser.add_argument("--profile-dir", type=Path, default=Path("/tmp"), help="for --py-spy")
    parser.add_argument(
        "--quick", action="store_true", help="a sanity run: 500 learners, 50 seats, pgbench 3 s"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.learners, args.seats, args.pgbench_seconds = 500, 50, 3
    paths = args.paths.split(",")
    parts = [s for s in SERVICES if s in args.parts.split(",")]
    if "registration" not in parts or set(args.parts.split(",")) - set(SERVICES):
        raise SystemExit(f"--parts: registration and any of {', '.join(SERVICES)}")

    servers = Servers(
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432"),
        os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    run = unique_name("bench_peak")
    load_average_start = _loadavg()
    print(
        f"machine: {os.cpu_count()} cores; {_cpu_model()}; run {run}; parts {','.join(parts)}; "
        f"load average at start {load_average_start}",
        flush=True,
    )
    db_tps = await _pgbench(servers, run, args.pgbench_seconds)
    print(f"pgbench (8 clients, one row, {args.pgbench_seconds} s): {db_tps:.0f} TPS", flush=True)

    amqp_url = create_vhost(servers, run)
    secret = f"bench-secret-{run}-{uuid.uuid4().hex}"
    gateway_port = free_port()
    # make run's configuration (devstack), on the run's own databases, vhost, ports and secret
    config = StackConfig.from_env(
        load_environment(
            ROOT,
            {
                "GATEWAY_PORT": str(gateway_port),
                "AMQP_URL": amqp_url,
                "JWT_SECRET": secret,
                **{f"{s.upper()}_PORT": str(free_port()) for s in SERVICES},
                **{
                    f"{s.upper()}_DATABASE_URL": servers.database_url(f"{run}_{s}")
                    for s in SERVICES
                },
                **UNLIMITED,
            },
            inherit=False,
        )
    )
    output: deque[str] = deque(maxlen=200)

    def sink(name: str, line: str) -> None:
        output.append(f"{name}: {line}")

    for name in parts:  # before the replicas, which would race to create it
        await create_database(servers, f"{run}_{name}")
    users = ServiceUsers.for_run(config.amqp_url, parts, run=str(gateway_port))
    await users.set_up(ROOT, lambda line: print(f"devstack: {line}", flush=True))
    children: dict[str, list[Child]] = {}
    ports: dict[str, list[int]] = {}
    for name in parts:
        count = args.replicas if name == "registration" else 1
        ports[name] = [config.service_ports[name]] + [free_port() for _ in range(count - 1)]
        env = config.service_env(name, users.amqp_urls.get(name))
        children[name] = [
            Child(
                f"{name}-{i}" if count > 1 else name,
                python_module_command(name),
                env={**env, f"{name.upper()}_PORT": str(port)},
                cwd=ROOT,
                sink=sink,
            )
            for i, port in enumerate(ports[name])
        ]
    unused = f"127.0.0.1:{free_port()}"
    variables = {
        **config.gateway_variables(),
        # the template's `server ${REGISTRATION_UPSTREAM};`, one server per replica
        "REGISTRATION_UPSTREAM": "; server ".join(f"127.0.0.1:{p}" for p in ports["registration"]),
        "CONSOLE_UPSTREAM": unused,
        **{f"{s.upper()}_UPSTREAM": unused for s in SERVICES if s not in parts},
    }
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as prefix:
        gateway = Gateway(ROOT, Path(prefix), variables, sink=lambda name, line: None)
        try:
            for name in parts:  # in make run's order: catalog first
                for child in children[name]:
                    await child.start()
            await _healthy(
                [p for name in parts for p in ports[name]],
                output,
                [c for cs in children.values() for c in cs],
            )
            # the load generator's own HTTP ceiling needs the gateway only
            await gateway.start()
            processes = Processes(
                services={n: [c.pid for c in cs if c.pid] for n, cs in children.items()},
                gateway=gateway.child.pid or 0,
                postmaster=0,
                databases={f"{run}_{s}": f"PostgreSQL, {s}'s database" for s in parts},
            )
            results = await _measure(args, paths, parts, config, processes, secret, db_tps)
        finally:
            await gateway.stop()
            await asyncio.gather(*(c.stop(30) for cs in children.values() for c in cs))
            with contextlib.suppress(BrokerAdminError):
                await users.remove()
            await drop_databases(servers, run)
            delete_vhost(servers, run)
    results["load_average"] = {
        "start": load_average_start,
        "before_the_bursts": results.pop("load_average_before_the_bursts"),
        "end": _loadavg(),
    }
    print(json.dumps(results, indent=2), flush=True)
    print(f"load average at end {_loadavg()}", flush=True)
    if not all(check["ok"] for check in results["checks"].values()):
        raise SystemExit("peak: a correctness check failed")


async def _measure(
    args: argparse.Namespace,
    paths: list[str],
    parts: list[str],
    config: StackConfig,
    processes: Processes,
    secret: str,
    db_tps: float,
) -> dict[str, Any]:
    load_average = _loadavg()
    m, seats = args.learners, args.seats
    gateway_port = config.gateway_port
    registration_db = config.database_urls["registration"]
    notification_db = config.database_urls["notification"] if "notification" in parts else None
    connection = await aio_pika.connect_robust(config.amqp_url)
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

    # the bench's own connections to PostgreSQL: their backends are the bench's, not a service's
    watch = await asyncpg.connect(
        make_url(registration_db).set(database="postgres").render_as_string(hide_password=False)
    )
    told = await asyncpg.connect(notification_db) if notification_db else None
    processes.bench_backends = {await watch.fetchval("SELECT pg_backend_pid()")}
    if told is not None:
        processes.bench_backends.add(await told.fetchval("SELECT pg_backend_pid()"))
    processes.postmaster = await _postmaster(watch)
    sampler = Sampler(watch, processes, args.sample_interval)
    profiles = Profiles(args.py_spy, args.profile_dir)

    ceilings = {
        "http_noop_per_s": round(
            await asyncio.to_thread(_http_ceiling, args, gateway_port, secret)
        ),
        "amqp_roundtrip_per_s": round(await _amqp_ceiling(channel, m)),
    }
    print(f"load generators' ceilings: {ceilings}", flush=True)

    sessions: dict[str, uuid.UUID] = {}
    summaries = []
    accounts: dict[str, Any] = {}
    checks: dict[str, dict[str, Any]] = {}
    sampler.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}") as http:
            for path in paths:
                session_id = await _new_session(channel, http, secret, seats, parts, told)
                sessions[path] = session_id
                learners = [f"{path}-learner-{n}" for n in range(m)]
                tokens = [_token(secret, sub) for sub in learners]
                await sampler.backends()
                await profiles.start(path, processes.services)
                if path == "command":
                    result = await _commands(channel, session_id, tokens, sampler)
                else:
                    result = await asyncio.to_thread(
                        _http_burst, args, gateway_port, session_id, tokens, sampler
                    )
                await profiles.stop(path, "registration")
                summary = result.summary(db_tps)
                print(f"{path}: {summary}", flush=True)
                checks[path] = _check_answers(result, m, seats)
                lag = None
                told_sample = None
                if told is not None:
                    lag, told_sample = await _until_told(told, path, m, result, sampler)
                    summary["notification_told_every_fact_after_s"] = (
                        round(lag, 2) if lag is not None else None
                    )
                    said = (
                        f"told every fact {lag:.2f} s after the last decision"
                        if lag is not None
                        else f"had not told every fact {TOLD_WITHIN_S:g} s after it"
                    )
                    print(f"{path}: notification {said}", flush=True)
                await profiles.stop(path, None)
                await sampler.backends()
                accounts[path] = _account(path, result, told_sample, sampler, processes, m)
                summaries.append(summary)
    finally:
        await profiles.stop("", None)
        await sampler.stop()

    ids = {path: await _registration_ids(registration_db, s) for path, s in sessions.items()}
    every = [reg_id for path_ids in ids.values() for reg_id in path_ids]

    async def all_on_bus() -> bool:
        return all(str(reg_id) in requested for reg_id in every)

    started = time.monotonic()
    with contextlib.suppress(AssertionError):
        await eventually(all_on_bus, within=300, interval=0.2, what="every event on the bus")
    drained = time.monotonic() - started
    for path, session_id in sessions.items():
        checks[path].update(await _check_database(registration_db, session_id, m, seats))
        on_bus = [requested.get(str(reg_id), 0) for reg_id in ids[path]]
        checks[path]["one_requested_per_registration"] = on_bus == [1] * len(ids[path])
        checks[path]["requested_on_bus"] = sum(on_bus)
        if told is not None:
            checks[path].update(await _check_told(told, registration_db, session_id, path))
        checks[path]["ok"] = all(v for k, v in checks[path].items() if isinstance(v, bool))
    await connection.close()
    await watch.close()
    if told is not None:
        await told.close()
    return {
        "machine": {"cores": os.cpu_count(), "cpu": _cpu_model()},
        "load_average_before_the_bursts": load_average,
        "parts": parts,
        "replicas": args.replicas,
        "learners": m,
        "seats": seats,
        "pgbench_tps": round(db_tps),
        "load_generator_ceilings": ceilings,
        "paths": summaries,
        "cpu_ms_per_decision": accounts,
        "outbox_drained_after_s": round(drained, 1),
        "checks": checks,
    }


# --- the CPU account and notification's lag ----------------------------------------------------


def _account(
    path: str,
    result: PathResult,
    told: Sample | None,
    sampler: Sampler,
    processes: Processes,
    decisions: int,
) -> dict[str, Any]:
    """Print the account of the burst (first sent → last answered) and, with notification, of
    the burst and the telling (first sent → every fact told); return both as numbers."""
    assert result.started is not None
    assert result.answered is not None
    windows = {"burst": result.answered}
    if told is not None:
        windows["until told"] = told
    out: dict[str, Any] = {}
    for window, last in windows.items():
        samples = sampler.between(result.started, last)
        rows = _rows(samples, processes, result.generator_workers_s if window == "burst" else None)
        seconds = last.at - result.started.at
        print(
            f"\n{path}: CPU per decision, {window} ({seconds:.2f} s, {len(samples)} samples of "
            f"/proc, {decisions} decisions):\n{table(rows, decisions, seconds)}\n",
            flush=True,
        )
        out[window] = {
            "seconds": round(seconds, 2),
            **{row.part: round(row.ms_per(decisions), 3) for row in rows},
        }
    return out


def _rows(samples: list[Sample], p: Processes, workers_s: float | None) -> list[Row]:
    first, last = samples[0], samples[-1]
    rows = [
        Row(
            f"{name} (service{', sum of replicas' if len(roots) > 1 else ''})",
            tree_delta(first, last, roots),
        )
        for name, roots in sorted(p.services.items(), key=lambda kv: kv[0] != "registration")
    ]
    rabbit = last.roots("beam.smp")
    rows.append(
        Row("RabbitMQ (beam.smp, shared with others' tests)", tree_delta(first, last, rabbit))
    )
    labels = {**p.databases, "(bench)": "PostgreSQL, the bench's own queries"}
    pg = postgres_rows(samples, p.postmaster, p.backends, labels)
    rows += pg
    rows.append(Row("nginx (master and workers)", tree_delta(first, last, [p.gateway])))
    me = os.getpid()
    generator = last.stats[me].own - first.stats[me].own
    if workers_s is not None:
        generator += round(workers_s * CLK_TCK)
    rows.append(Row("load generator (the bench process and its HTTP workers)", generator))
    others = {"PostgreSQL, all", "PostgreSQL, other databases"}
    mine = sum(r.ticks for r in rows if r.part not in others)
    rows.append(Row("all (every row above but other databases)", mine))
    rows.append(
        Row(
            "machine (/proc/stat: every process, others' work included)",
            last.machine - first.machine,
        )
    )
    return rows


async def _until_told(
    conn: asyncpg.Connection, path: str, m: int, result: PathResult, sampler: Sampler
) -> tuple[float | None, Sample | None]:
    """Seconds from the last answer until notification's database holds an inbox message and a
    sent (or captured) email for each of the path's m learners; the /proc sample then."""
    pattern = f"{path}-learner-%"
    deadline = time.monotonic() + TOLD_WITHIN_S
    while time.monotonic() < deadline:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM inbox_messages WHERE user_id LIKE $1) AS inbox, "
            "(SELECT count(*) FROM deliveries WHERE user_id LIKE $1 AND status = ANY($2)) "
            "AS emails",
            pattern,
            list(TOLD),
        )
        if row["inbox"] >= m and row["emails"] >= m:
            sample = sampler.take()
            return sample.at - result.last_answer, sample
        await asyncio.sleep(0.1)
    return None, None


async def _check_told(
    conn: asyncpg.Connection, registration_db: str, session_id: uuid.UUID, path: str
) -> dict[str, Any]:
    """One inbox message and one email (captured or sent) per learner, of their decision's kind
    (registration.confirmed with a seat, registration.waitlisted in line), to no one else."""
    reg = await asyncpg.connect(registration_db)
    try:
        rows = await reg.fetch(
            "SELECT user_id, status FROM registrations WHERE session_id = $1", session_id
        )
    finally:
        await reg.close()
    expected = Counter((r["user_id"], f"registration.{r['status']}") for r in rows)
    pattern = f"{path}-learner-%"
    inbox = Counter(
        {
            (r["user_id"], r["kind"]): r["n"]
            for r in await conn.fetch(
                "SELECT user_id, kind, count(*) AS n FROM inbox_messages WHERE user_id LIKE $1 "
                "GROUP BY 1, 2",
                pattern,
            )
        }
    )
    emails = Counter(
        {
            (r["user_id"], r["kind"]): r["n"]
            for r in await conn.fetch(
                "SELECT user_id, kind, count(*) AS n FROM deliveries WHERE user_id LIKE $1 "
                "AND status = ANY($2) GROUP BY 1, 2",
                pattern,
                list(TOLD),
            )
        }
    )
    statuses = dict(
        await conn.fetch(
            "SELECT status, count(*) FROM deliveries WHERE user_id LIKE $1 GROUP BY 1", pattern
        )
    )
    return {
        "told_inbox_messages": sum(inbox.values()),
        "told_emails": sum(emails.values()),
        "email_statuses": {str(k): v for k, v in statuses.items()},
        "notification_told_each_learner_once": inbox == expected and emails == expected,
    }


async def _postmaster(conn: asyncpg.Connection) -> int:
    """The server's postmaster: the parent of this connection's backend."""
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    stat = snapshot(time.monotonic()).stats.get(backend)
    if stat is None:
        raise RuntimeError("PostgreSQL's processes are not in this machine's /proc")
    return stat.ppid


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the two paths -----------------------------------------------------------------------------


async def _commands(
    channel: aio_pika.abc.AbstractChannel,
    session_id: uuid.UUID,
    tokens: list[str],
    sampler: Sampler,
) -> PathResult:
    replies = await channel.declare_queue(f"bench.replies.{uuid.uuid4()}", exclusive=True)
    commands = await channel.get_exchange("training.commands")
    answered: dict[str, tuple[float, int, dict[str, Any]]] = {}
    done = asyncio.Event()
    result = PathResult("command", [])

    async def on_reply(message: AbstractIncomingMessage) -> None:
        answer = json.loads(message.body)
        answered[str(message.correlation_id)] = (time.monotonic(), answer["status"], answer["body"])
        await message.ack()
        if len(answered) == len(tokens):
            result.answered = sampler.take()
            done.set()

    await replies.consume(on_reply)
    bodies = []
    for token in tokens:
        event = new_event("bench", REGISTER, RegisterCommand(session_id=session_id))
        bodies.append((event.id, json.dumps(event.to_message()).encode(), f"Bearer {token}"))
    sent: dict[str, float] = {}
    result.started = sampler.take()
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
    result.answers = [(sent[i], *answered[i]) for i in sent]
    return result


def _http_burst(
    args: argparse.Namespace,
    gateway_port: int,
    session_id: uuid.UUID,
    tokens: list[str],
    sampler: Sampler,
) -> PathResult:
    """M POST /api/registrations through the gateway (in a thread: the generator's workers are
    processes of their own); /proc sampled as they start and once the last has its answer."""
    body = json.dumps({"session_id": str(session_id)}).encode()
    requests = [post("127.0.0.1", "/api/registrations", t, body) for t in tokens]
    result = PathResult("http", [])
    cpu: list[float] = []

    def on_go() -> None:
        result.started = sampler.take()

    def on_answered() -> None:
        result.answered = sampler.take()

    answers = fire(
        "127.0.0.1",
        gateway_port,
        requests,
        processes=args.client_processes,
        connections=args.connections // args.client_processes,
        on_go=on_go,
        on_answered=on_answered,
        cpu=cpu,
    )
    result.answers = [_http_answer(a) for a in answers]
    result.generator_workers_s = sum(cpu)
    return result


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
        post("127.0.0.1", "/api/bench-noop", _token(secret, f"noop-{n}"), body)
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


async def _healthy(ports: list[int], output: deque[str], children: list[Child]) -> None:
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


async def _new_session(
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
        session_id = await _catalog_session(http, secret, seats)
    else:
        session_id = await _announced_session(channel, seats)
    token = _token(secret, "probe")

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


async def _catalog_session(http: httpx.AsyncClient, secret: str, seats: int) -> uuid.UUID:
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


async def _announced_session(channel: aio_pika.abc.AbstractChannel, seats: int) -> uuid.UUID:
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
