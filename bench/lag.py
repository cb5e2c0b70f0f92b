"""Catalog → registration lag: how long after a session is created (201 from catalog) does
registration know it (`GET /api/seats` lists it)? The usual delay a platform sees between
creating a session and registering to it: outbox commit → relay → RabbitMQ → replica.

Starts the whole system as `make run` does (three services and the gateway) on a database and
vhost of its own, creates K sessions one after the other, and polls every 5 ms.
"""

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Sequence

import httpx

from devstack.stack import Stack
from testsupport.infra import Servers, create_vhost, delete_vhost, drop_databases, unique_name
from testsupport.system import SERVICES, free_port
from testsupport.waiting import eventually


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench lag")
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args(argv)

    servers = Servers("postgresql://postgres@127.0.0.1:5432", "amqp://guest:guest@127.0.0.1:5672/")
    run = unique_name("bench_lag")
    env = {
        "GATEWAY_PORT": str(free_port()),
        "AMQP_URL": create_vhost(servers, run),
        "JWT_SECRET": f"bench-lag-secret-{run}",
        "LOG_LEVEL": "WARNING",
        **{f"{s.upper()}_PORT": str(free_port()) for s in SERVICES},
        **{f"{s.upper()}_DATABASE_URL": servers.database_url(f"{run}_{s}") for s in SERVICES},
    }
    stack = Stack(env, console=False, inherit_environment=False)  # the API's lag only
    try:
        async with stack, httpx.AsyncClient(base_url=stack.gateway_url, timeout=10) as http:
            manager = {
                "Authorization": "Bearer "
                + stack.token("bench", roles=["training_manager"], organizations=["org-bench"])
            }
            training = await http.post(
                "/api/trainings",
                json={
                    "code": f"LAG-{uuid.uuid4().hex[:8]}",
                    "title": "Lag",
                    "organizations": ["org-bench"],
                },
                headers=manager,
            )
            training.raise_for_status()
            lags: list[float] = []
            for n in range(args.sessions):
                created = await http.post(
                    f"/api/trainings/{training.json()['id']}/sessions",
                    json={"title": f"S{n}", "start_date": "2027-01-10", "end_date": "2027-01-11"},
                    headers=manager,
                )
                created.raise_for_status()
                at = time.perf_counter()
                session_id = created.json()["id"]

                async def known(session_id: str = session_id) -> bool:
                    seats = await http.get(f"/api/seats?session_id={session_id}", headers=manager)
                    return bool(seats.json()["items"])

                await eventually(
                    known, within=30, interval=0.005, what=f"session {n} in registration"
                )
                lags.append((time.perf_counter() - at) * 1000)
        lags.sort()
        print(
            json.dumps(
                {
                    "sessions": len(lags),
                    "lag_ms_p50": round(statistics.median(lags), 1),
                    "lag_ms_p95": round(lags[int(0.95 * (len(lags) - 1))], 1),
                    "lag_ms_max": round(lags[-1], 1),
                }
            )
        )
    finally:
        await drop_databases(servers, run)
        delete_vhost(servers, run)
