"""Outbox relay throughput: committed rows → published with confirms → consumed.

Writes N outbox rows in one transaction on a fresh database, starts the relay, and measures how
long until a consumer of a bound queue has received them all (then checks the outbox is empty:
every row was confirmed and deleted). Uses the local servers (TEST_DATABASE_URL and
TEST_AMQP_URL, as `make test` sets them) and removes its database and vhost afterwards.
"""

import argparse
import json
import os
import time
import uuid
from collections.abc import Sequence

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import MetaData, func, select

from shared.db import make_engine
from shared.messaging import EVENTS_EXCHANGE, OutboxRelay, add_to_outbox, make_broker, outbox_table
from testsupport.infra import (
    Servers,
    create_database,
    create_vhost,
    delete_vhost,
    drop_databases,
    unique_name,
)
from testsupport.waiting import eventually


async def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench outbox")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)

    servers = Servers(
        os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432"),
        os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    run = unique_name("bench_outbox")
    amqp_url = create_vhost(servers, run)
    engine = make_engine(await create_database(servers, run))
    metadata = MetaData()
    outbox = outbox_table(metadata)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for n in range(args.events):
                envelope = {"id": str(uuid.uuid4()), "type": "bench.event", "data": {"n": n}}
                await add_to_outbox(
                    conn, outbox, envelope, exchange=EVENTS_EXCHANGE, routing_key="bench.event"
                )
        connection = await aio_pika.connect_robust(amqp_url)
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(f"{run}.sink", durable=True)
        await queue.bind(exchange, "bench.#")
        received: set[str] = set()

        async def consume(message: AbstractIncomingMessage) -> None:
            received.add(str(message.message_id))
            await message.ack()

        await channel.set_qos(prefetch_count=500)
        await queue.consume(consume)

        broker = make_broker(amqp_url)
        await broker.start()
        relay = OutboxRelay(engine, outbox, broker, batch_size=args.batch_size)
        started = time.perf_counter()
        async with relay:
            await eventually(
                lambda: len(received) == args.events,
                within=600,
                interval=0.005,
                what="every event consumed",
            )
            consumed_s = time.perf_counter() - started
        async with engine.connect() as conn:
            left = (await conn.execute(select(func.count()).select_from(outbox))).scalar()
        assert left == 0, f"{left} rows left in the outbox"
        await broker.stop()
        await connection.close()
        print(
            json.dumps(
                {
                    "events": args.events,
                    "batch_size": args.batch_size,
                    "seconds": round(consumed_s, 3),
                    "events_per_second": round(args.events / consumed_s),
                }
            )
        )
    finally:
        await engine.dispose()
        await drop_databases(servers, run)
        delete_vhost(servers, run)
