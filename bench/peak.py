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
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
import httpx
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.engine import make_url

from bench.peak_account import Processes, Profiles, Sampler, account, cpu_model, loadavg, postmaster
from bench.peak_checks import (
    TOLD_WITHIN_S,
    check_answers,
    check_database,
    check_told,
    registration_ids,
    until_told,
)
from bench.peak_paths import (
    amqp_ceiling,
    bench_token,
    command_burst,
    http_burst,
    http_ceiling,
)
from bench.peak_setup import new_session, pgbench, wait_healthy
from devstack.broker_users import BrokerAdminError, ServiceUsers
from devstack.config import StackConfig, load_environment
from devstack.defaults import GATEWAY_RATE_DEFAULTS, SERVICES
from devstack.gateway import Gateway
from devstack.processes import Child
from devstack.stack import python_module_command
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


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench peak")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="registration processes (1, as `make run` starts it; 2 to see it scale out)",
    )
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
    load_average_start = loadavg()
    print(
        f"machine: {os.cpu_count()} cores; {cpu_model()}; run {run}; parts {','.join(parts)}; "
        f"load average at start {load_average_start}",
        flush=True,
    )
    db_tps = await pgbench(servers, run, args.pgbench_seconds)
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
            await wait_healthy(
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
        "end": loadavg(),
    }
    print(json.dumps(results, indent=2), flush=True)
    print(f"load average at end {loadavg()}", flush=True)
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
    load_average = loadavg()
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
    processes.postmaster = await postmaster(watch)
    sampler = Sampler(watch, processes, args.sample_interval)
    profiles = Profiles(args.py_spy, args.profile_dir)

    ceilings = {
        "http_noop_per_s": round(await asyncio.to_thread(http_ceiling, args, gateway_port, secret)),
        "amqp_roundtrip_per_s": round(await amqp_ceiling(channel, m)),
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
                session_id = await new_session(channel, http, secret, seats, parts, told)
                sessions[path] = session_id
                learners = [f"{path}-learner-{n}" for n in range(m)]
                tokens = [bench_token(secret, sub) for sub in learners]
                await sampler.backends()
                await profiles.start(path, processes.services)
                if path == "command":
                    result = await command_burst(channel, session_id, tokens, sampler)
                else:
                    result = await asyncio.to_thread(
                        http_burst, args, gateway_port, session_id, tokens, sampler
                    )
                await profiles.stop(path, "registration")
                summary = result.summary(db_tps)
                print(f"{path}: {summary}", flush=True)
                checks[path] = check_answers(result, m, seats)
                lag = None
                told_sample = None
                if told is not None:
                    lag, told_sample = await until_told(told, path, m, result, sampler)
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
                accounts[path] = account(path, result, told_sample, sampler, processes, m)
                summaries.append(summary)
    finally:
        await profiles.stop("", None)
        await sampler.stop()

    ids = {path: await registration_ids(registration_db, s) for path, s in sessions.items()}
    every = [reg_id for path_ids in ids.values() for reg_id in path_ids]

    async def all_on_bus() -> bool:
        return all(str(reg_id) in requested for reg_id in every)

    started = time.monotonic()
    with contextlib.suppress(AssertionError):
        await eventually(all_on_bus, within=300, interval=0.2, what="every event on the bus")
    drained = time.monotonic() - started
    for path, session_id in sessions.items():
        checks[path].update(await check_database(registration_db, session_id, m, seats))
        on_bus = [requested.get(str(reg_id), 0) for reg_id in ids[path]]
        checks[path]["one_requested_per_registration"] = on_bus == [1] * len(ids[path])
        checks[path]["requested_on_bus"] = sum(on_bus)
        if told is not None:
            checks[path].update(await check_told(told, registration_db, session_id, path))
        checks[path]["ok"] = all(v for k, v in checks[path].items() if isinstance(v, bool))
    await connection.close()
    await watch.close()
    if told is not None:
        await told.close()
    return {
        "machine": {"cores": os.cpu_count(), "cpu": cpu_model()},
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
