"""A batch consumer through a broker outage: the batch's effect is committed, its acks are lost
with the connection, the broker delivers the batch again once it is back, and the inbox makes
the redelivery change nothing (every effect once, nothing lost). Also: a forged event in a
batch goes to the DLQ on its own, as with `subscribe`."""

import json
from collections import Counter
from collections.abc import Sequence

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messaging import (
    EVENTS_EXCHANGE,
    LAST_ERROR_HEADER,
    first_deliveries,
    inbox_table,
    make_broker,
    publish_event,
    service_queue,
)
from shared.messaging.batches import Delivery, subscribe_batches
from testsupport.proxy import TcpProxy as Proxy
from testsupport.waiting import eventually

from .test_messaging import an_event, create_tables, depth, drain, started, unique

pytestmark = pytest.mark.integration


async def test_a_batch_whose_acks_are_lost_with_the_broker_is_told_once_when_it_is_back(
    amqp_url: str,
    amqp: AbstractRobustConnection,
    amqp_proxy: tuple[Proxy, str],
    engine: AsyncEngine,
) -> None:
    proxy, proxied_url = amqp_proxy
    metadata = MetaData()
    inbox = inbox_table(metadata, unique("inbox_batches"))
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.told"
    queue = service_queue("test", unique("outage"), binding_keys=[routing_key])
    events = [an_event(routing_key, n=n) for n in range(40)]
    delivered: Counter[str] = Counter()
    effects: Counter[str] = Counter()
    cut = False

    async def handle(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        nonlocal cut
        ids = [envelope["id"] for envelope, _ in deliveries]
        delivered.update(ids)
        async with engine.begin() as conn:
            effects.update(await first_deliveries(conn, inbox, "test", ids))
        if not cut:  # committed; the acks that follow go nowhere
            cut = True
            await proxy.cut()
        return [None] * len(deliveries)

    broker = make_broker(proxied_url, reconnect_interval=0.1)
    consumer = subscribe_batches(broker, queue, handle, prefetch=100)
    publisher = make_broker(amqp_url)
    async with started(broker), started(publisher), consumer:
        await eventually(consumer.consuming.is_set, what="the batch consumer consumes", within=10)
        for event in events:
            await publish_event(publisher, event, EVENTS_EXCHANGE, routing_key)
        await eventually(lambda: cut, what="a first batch handled", within=10)
        await proxy.restore()

        async def every_delivery_settled() -> bool:
            channel = await amqp.channel()
            try:
                main = await channel.declare_queue(queue.name, passive=True)
                return len(effects) == len(events) and await depth(main) == 0
            finally:
                await channel.close()

        await eventually(every_delivery_settled, what="every event told, none left", within=40)

    assert effects == Counter(event["id"] for event in events)  # each once, none lost
    assert max(delivered.values()) >= 2, "the batch cut off was delivered again"


async def test_a_forged_event_in_a_batch_is_parked_and_the_others_handled(
    amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    routing_key = f"{unique('test')}.told"
    queue = service_queue("test", unique("forged"), binding_keys=[f"{routing_key}.#", "catalog.#"])
    genuine = [an_event(routing_key, n=n) for n in range(5)]
    # a registration fact from someone who does not own the type, riding a key it may use
    forged = {**an_event("registration.confirmed"), "source": "catalog"}
    handled: list[str] = []

    async def handle(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        handled.extend(envelope["id"] for envelope, _ in deliveries)
        return [None] * len(deliveries)

    broker = make_broker(amqp_url)
    consumer = subscribe_batches(broker, queue, handle, prefetch=100)
    async with started(broker), consumer:
        await eventually(consumer.consuming.is_set, what="the batch consumer consumes", within=10)
        channel = await amqp.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE.name)
        for envelope, key in [*((e, routing_key) for e in genuine), (forged, "catalog.x")]:
            await exchange.publish(aio_pika.Message(json.dumps(envelope).encode()), key)
        dlq = await channel.declare_queue(queue.dead_letter_name, passive=True)
        await eventually(lambda: depth(dlq), what="the forged one parked", within=10)
        await eventually(lambda: len(handled) == len(genuine), what="the rest handled", within=10)
        (parked,) = await drain(dlq)
        await channel.close()

    assert json.loads(parked.body)["id"] == forged["id"]
    assert "catalog" in str(parked.headers[LAST_ERROR_HEADER])
    assert forged["id"] not in handled
