"""The messaging plumbing's promises, on the real RabbitMQ and PostgreSQL."""

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from faststream.rabbit.message import RabbitMessage
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.messaging import (
    ATTEMPT_HEADER,
    CLOUDEVENTS_CONTENT_TYPE,
    COMMANDS_EXCHANGE,
    EVENTS_EXCHANGE,
    LAST_ERROR_HEADER,
    OutboxRelay,
    PublishNotConfirmed,
    ServiceBroker,
    add_to_outbox,
    attempt_of,
    broker_ready,
    first_delivery,
    inbox_table,
    make_broker,
    outbox_table,
    pruning_deliveries,
    publish_event,
    running_broker,
    service_queue,
    subscribe,
)
from shared.messaging.batches import Delivery, subscribe_batches
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration


class Proxy(Protocol):
    async def cut(self) -> None: ...
    async def restore(self) -> None: ...


def an_event(event_type: str, **data: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "training/test",
        "type": event_type,
        "subject": str(uuid.uuid4()),
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {"version": 1, **data},
    }


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


async def create_tables(engine: AsyncEngine, metadata: MetaData) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def outbox_size(engine: AsyncEngine, outbox: Table) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(outbox))).scalar_one())


async def probe_queue(amqp: AbstractRobustConnection, binding_key: str) -> AbstractQueue:
    """A queue without consumer bound to `training.events`: its depth counts what arrived."""
    channel = await amqp.channel()
    queue = await channel.declare_queue(
        unique("probe"), durable=True, arguments={"x-queue-type": "quorum"}
    )
    exchange = await channel.declare_exchange(
        EVENTS_EXCHANGE.name, aio_pika.ExchangeType.TOPIC, durable=True
    )
    await queue.bind(exchange, routing_key=binding_key)
    return queue


async def depth(queue: AbstractQueue) -> int:
    channel = await queue.channel.get_underlay_channel()
    declared = await channel.queue_declare(queue.name, passive=True)
    return int(declared.message_count or 0)


async def has_messages(queue: AbstractQueue) -> bool:
    return await depth(queue) > 0


async def drain(queue: AbstractQueue) -> list[AbstractIncomingMessage]:
    messages = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        messages.append(message)
    return messages


@asynccontextmanager
async def started(broker: ServiceBroker) -> AsyncIterator[ServiceBroker]:
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


async def test_event_committed_while_rabbitmq_is_unreachable_is_published_once_it_is_back(
    engine: AsyncEngine,
    amqp: AbstractRobustConnection,
    amqp_proxy: tuple[Proxy, str],
) -> None:
    proxy, proxied_url = amqp_proxy
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_a")
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.created"
    probe = await probe_queue(amqp, routing_key)
    event = an_event(routing_key)

    broker = make_broker(proxied_url, reconnect_interval=0.1)
    relay = OutboxRelay(
        engine, outbox, broker, poll_interval=0.2, max_backoff=0.2, publish_timeout=1.0
    )
    async with started(broker), relay:
        await proxy.cut()
        async with engine.begin() as conn:
            await add_to_outbox(
                conn, outbox, event, exchange=EVENTS_EXCHANGE, routing_key=routing_key
            )
        await eventually(
            lambda: relay.failures >= 2, what="the relay has failed to publish twice", within=10
        )
        assert await outbox_size(engine, outbox) == 1
        assert await depth(probe) == 0

        await proxy.restore()
        await eventually(
            lambda: relay.published == 1,
            what="the relay has published once RabbitMQ is back",
            within=10,
        )
        assert await outbox_size(engine, outbox) == 0

    # Every publish was confirmed before its row went, so the probe holds all there will be.
    (message,) = await drain(probe)
    assert json.loads(message.body) == event
    assert message.message_id == event["id"]
    assert message.content_type == CLOUDEVENTS_CONTENT_TYPE
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.routing_key == routing_key


async def test_a_message_delivered_twice_has_its_effect_once(
    engine: AsyncEngine, amqp_url: str
) -> None:
    metadata = MetaData()
    inbox = inbox_table(metadata, "inbox_b")
    effects = Table(
        "effects_b",
        metadata,
        Column("n", Integer, primary_key=True, autoincrement=True),
        Column("event_id", Text, nullable=False),
    )
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.requested"
    handled: list[str] = []

    async def on_requested(envelope: dict[str, Any], _message: RabbitMessage) -> None:
        async with engine.begin() as conn:
            if await first_delivery(conn, inbox, "test.b", envelope["id"]):
                await conn.execute(effects.insert().values(event_id=envelope["id"]))
        handled.append(envelope["id"])

    broker = make_broker(amqp_url)
    subscribe(broker, service_queue("test", unique("b"), binding_keys=[routing_key]), on_requested)
    event = an_event(routing_key)
    async with started(broker):
        for _ in range(2):
            await publish_event(broker, event, EVENTS_EXCHANGE, routing_key)
        await eventually(
            lambda: handled.count(event["id"]) == 2, what="both deliveries are handled", within=10
        )

    async with engine.connect() as conn:
        rows = (await conn.execute(select(effects.c.event_id))).scalars().all()
    assert rows == [event["id"]]


async def test_a_failing_message_ends_in_its_dlq_after_backed_off_retries_without_blocking(
    amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    delays = (0.2, 0.4, 0.8)
    queue = service_queue("test", unique("c"), binding_keys=["test.c.#"], retry_delays=delays)
    poison, good = an_event("test.c.poison"), an_event("test.c.good")
    poison_attempts: list[tuple[float, int]] = []
    good_handled_at: list[float] = []

    async def handle(envelope: dict[str, Any], message: RabbitMessage) -> None:
        if envelope["id"] == poison["id"]:
            poison_attempts.append((time.monotonic(), attempt_of(message)))
            raise RuntimeError("always fails")
        good_handled_at.append(time.monotonic())

    broker = make_broker(amqp_url)
    subscribe(broker, queue, handle)
    dead_lettered: list[tuple[float, AbstractIncomingMessage]] = []

    async def on_dead_letter(message: AbstractIncomingMessage) -> None:
        dead_lettered.append((time.monotonic(), message))
        await message.ack()

    async with started(broker):
        channel = await amqp.channel()
        dlq = await channel.declare_queue(queue.dead_letter_name, passive=True)
        await dlq.consume(on_dead_letter)
        await publish_event(broker, poison, EVENTS_EXCHANGE, "test.c.poison")
        await publish_event(broker, good, EVENTS_EXCHANGE, "test.c.good")
        await eventually(
            lambda: bool(dead_lettered), what="the poison message is dead-lettered", within=10
        )
        queue_depths = [
            await depth(await channel.declare_queue(name, passive=True))
            for name in [queue.name, *(q.name for q in queue.retry_queues)]
        ]
        await channel.close()

    assert [attempt for _, attempt in poison_attempts] == [1, 2, 3, 4]
    times = [at for at, _ in poison_attempts]
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(wait >= delay * 0.9 for wait, delay in zip(waits, delays, strict=True)), waits
    assert waits[0] < waits[1] < waits[2], waits

    (good_at,) = good_handled_at
    assert good_at < times[1], "the good message waited for the poison one"
    ((dead_at, dead),) = dead_lettered
    assert good_at < dead_at
    assert dead.message_id == poison["id"]
    assert json.loads(dead.body) == poison
    assert dead.headers[ATTEMPT_HEADER] == 4
    assert "always fails" in str(dead.headers[LAST_ERROR_HEADER])
    assert dead.headers["x-original-routing-key"] == "test.c.poison"
    assert queue_depths == [0, 0, 0, 0]


async def test_a_body_that_is_not_json_goes_straight_to_the_dlq(
    amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    queue = service_queue("test", unique("json"), binding_keys=["test.json.#"])
    calls: list[dict[str, Any]] = []

    async def handle(envelope: dict[str, Any], _message: RabbitMessage) -> None:
        calls.append(envelope)

    broker = make_broker(amqp_url)
    subscribe(broker, queue, handle)
    async with started(broker):
        channel = await amqp.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE.name)
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="test.json.x")
        dlq = await channel.declare_queue(queue.dead_letter_name, passive=True)
        await eventually(lambda: has_messages(dlq), what="the message is dead-lettered", within=10)
        (dead,) = await drain(dlq)
        await channel.close()
    assert calls == []
    assert dead.body == b"not json"
    assert dead.headers[ATTEMPT_HEADER] == 1


async def test_two_relays_on_one_database_publish_every_row_once(
    engine: AsyncEngine, amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_d")
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.updated"
    probe = await probe_queue(amqp, routing_key)
    events = [an_event(routing_key, n=n) for n in range(200)]
    for start in range(0, len(events), 20):
        async with engine.begin() as conn:
            for event in events[start : start + 20]:
                await add_to_outbox(
                    conn, outbox, event, exchange="training.events", routing_key=routing_key
                )

    brokers = [make_broker(amqp_url), make_broker(amqp_url)]
    relays = [OutboxRelay(engine, outbox, b, batch_size=10, poll_interval=0.2) for b in brokers]
    async with started(brokers[0]), started(brokers[1]):
        await asyncio.gather(*(relay.start() for relay in relays))
        try:
            await eventually(
                lambda: sum(relay.published for relay in relays) >= 200,
                what="200 rows are published",
                within=10,
            )
        finally:
            await asyncio.gather(*(relay.stop() for relay in relays))

    assert await outbox_size(engine, outbox) == 0
    assert sum(relay.published for relay in relays) == 200
    assert all(relay.published > 0 for relay in relays), [r.published for r in relays]
    ids = [message.message_id for message in await drain(probe)]
    assert len(ids) == 200
    assert set(ids) == {event["id"] for event in events}


async def test_the_relay_listens_again_after_losing_its_connection(
    engine: AsyncEngine, amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_e")
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.created"
    probe = await probe_queue(amqp, routing_key)
    broker = make_broker(amqp_url)
    # Polling alone would take a minute: publishing sooner proves the wake-up works.
    relay = OutboxRelay(engine, outbox, broker, poll_interval=60)
    async with started(broker), relay:
        await eventually(lambda: relay.listener.listening, what="the relay listens", within=10)
        first_pid = relay.listener.backend_pid
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        await eventually(
            lambda: relay.listener.listening and relay.listener.backend_pid != first_pid,
            what="the relay listens on a new connection",
            within=10,
        )
        async with engine.begin() as conn:
            event = an_event(routing_key)
            await add_to_outbox(
                conn, outbox, event, exchange=EVENTS_EXCHANGE, routing_key=routing_key
            )
        await eventually(lambda: has_messages(probe), what="the event is published", within=5)


async def test_the_app_comes_up_without_rabbitmq_and_consumes_whenever_it_is_reachable(
    amqp_url: str, amqp_proxy: tuple[Proxy, str]
) -> None:
    proxy, proxied_url = amqp_proxy
    await proxy.cut()
    routing_key = f"{unique('test')}.created"
    received: list[str] = []

    async def handle(envelope: dict[str, Any], _message: RabbitMessage) -> None:
        received.append(envelope["id"])

    broker = make_broker(proxied_url, reconnect_interval=0.1)
    subscribe(broker, service_queue("test", unique("f"), binding_keys=[routing_key]), handle)
    publisher = make_broker(amqp_url)
    first, second = an_event(routing_key), an_event(routing_key)
    async with running_broker(broker, retry_interval=0.1), started(publisher):
        assert not await broker_ready(broker)
        await proxy.restore()
        await eventually(lambda: broker_ready(broker), what="the broker is started", within=10)
        await publish_event(publisher, first, EVENTS_EXCHANGE, routing_key)
        await eventually(
            lambda: received == [first["id"]], what="the first event is consumed", within=10
        )

        await proxy.cut()
        await publish_event(publisher, second, EVENTS_EXCHANGE, routing_key)
        await proxy.restore()
        await eventually(
            lambda: received == [first["id"], second["id"]],
            what="the event sent while the consumer was cut off is consumed after reconnection",
            within=10,
        )


async def test_publishing_refuses_what_rabbitmq_did_not_take(amqp_url: str) -> None:
    broker = make_broker(amqp_url)
    async with started(broker):
        with pytest.raises(PublishNotConfirmed, match="returned"):
            await publish_event(broker, an_event("nobody.listens"), COMMANDS_EXCHANGE, "nobody")
        with pytest.raises(PublishNotConfirmed, match="unknown exchange"):
            await publish_event(broker, an_event("x"), unique("no-such-exchange"), "x")
        await publish_event(broker, an_event("still.works"), EVENTS_EXCHANGE, "still.works")


async def test_a_row_rabbitmq_refuses_does_not_hold_back_the_rows_behind_it(
    engine: AsyncEngine, amqp: AbstractRobustConnection, amqp_url: str
) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_refused")
    await create_tables(engine, metadata)
    routing_key = f"{unique('test')}.created"
    probe = await probe_queue(amqp, routing_key)
    broker = make_broker(amqp_url)
    # a relay-wide back-off of 30 s would show: every event below must go out well before it
    relay = OutboxRelay(engine, outbox, broker, poll_interval=0.1, min_backoff=30, max_backoff=30)
    async with started(broker), relay:
        async with engine.begin() as conn:
            # a command no queue is bound for: RabbitMQ returns it, the row must stay
            await add_to_outbox(
                conn,
                outbox,
                an_event("nobody.listens"),
                exchange=COMMANDS_EXCHANGE,
                routing_key=unique("nobody"),
            )
            await add_to_outbox(
                conn,
                outbox,
                an_event(routing_key),
                exchange=EVENTS_EXCHANGE,
                routing_key=routing_key,
            )
        await eventually(
            lambda: relay.published == 1, what="the event beside the refused command", within=10
        )
        for _ in range(3):  # rows committed later are not held behind the refused one either
            async with engine.begin() as conn:
                await add_to_outbox(
                    conn,
                    outbox,
                    an_event(routing_key),
                    exchange=EVENTS_EXCHANGE,
                    routing_key=routing_key,
                )
        await eventually(lambda: relay.published == 4, what="the later events", within=5)
        assert await outbox_size(engine, outbox) == 1
    assert len(await drain(probe)) == 4


async def test_old_deliveries_are_forgotten_in_the_background(engine: AsyncEngine) -> None:
    metadata = MetaData()
    inbox = inbox_table(metadata, "inbox_pruned")
    await create_tables(engine, metadata)
    async with engine.begin() as conn:
        await conn.execute(
            inbox.insert(),
            [
                {
                    "consumer": "c",
                    "event_id": "old",
                    "received_at": datetime.now(UTC) - timedelta(days=30),
                },
                {"consumer": "c", "event_id": "new", "received_at": datetime.now(UTC)},
            ],
        )

    async def only_the_new() -> bool:
        async with engine.connect() as conn:
            kept = sorted((await conn.execute(select(inbox.c.event_id))).scalars())
        return kept == ["new"]

    async with pruning_deliveries(engine, inbox, keep=timedelta(days=14)):
        await eventually(only_the_new, what="the old delivery forgotten", within=10)


async def test_the_relay_publishes_each_row_with_its_properties_and_headers(
    engine: AsyncEngine, amqp: AbstractRobustConnection, amqp_url: str
) -> None:
    metadata = MetaData()
    outbox = outbox_table(metadata, "outbox_properties")
    await create_tables(engine, metadata)
    command_key = unique("test.command")
    channel = await amqp.channel()
    commands = await channel.declare_exchange(
        COMMANDS_EXCHANGE.name, aio_pika.ExchangeType.DIRECT, durable=True
    )
    taken = await channel.declare_queue(unique("commands"), exclusive=True)
    await taken.bind(commands, routing_key=command_key)
    command = an_event(command_key, text="é ✓")
    broker = make_broker(amqp_url, app_id="tester")
    relay = OutboxRelay(engine, outbox, broker, poll_interval=0.1)
    async with relay:
        async with engine.begin() as conn:
            await add_to_outbox(
                conn,
                outbox,
                command,
                exchange=COMMANDS_EXCHANGE,
                routing_key=command_key,
                headers={"x-tenant": "t-1"},
            )
        await eventually(lambda: has_messages(taken), what="the command is published", within=10)
    (message,) = await drain(taken)
    await channel.close()
    assert json.loads(message.body) == command
    assert message.message_id == command["id"]
    assert message.correlation_id == command["id"]
    assert message.type == command_key
    assert message.app_id == "tester"
    assert message.content_type == CLOUDEVENTS_CONTENT_TYPE
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.headers == {"x-tenant": "t-1"}
    assert await outbox_size(engine, outbox) == 0


async def test_a_batch_consumer_gets_deliveries_together_and_parks_only_the_failing_one(
    amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    delays = (0.2,)
    queue = service_queue(
        "test", unique("batch"), binding_keys=["test.batch.#"], retry_delays=delays
    )
    events = [an_event("test.batch.good", n=n) for n in range(50)]
    poison = an_event("test.batch.poison")
    batches: list[list[str]] = []

    async def handle(deliveries: Sequence[Delivery]) -> list[Exception | None]:
        batches.append([envelope["id"] for envelope, _ in deliveries])
        return [
            RuntimeError("refused") if envelope["id"] == poison["id"] else None
            for envelope, _ in deliveries
        ]

    broker = make_broker(amqp_url)
    consumer = subscribe_batches(broker, queue, handle, prefetch=100)
    publisher = make_broker(amqp_url)
    async with started(broker), started(publisher), consumer:
        await eventually(consumer.consuming.is_set, what="the batch consumer consumes", within=10)
        await asyncio.gather(
            *(
                publish_event(publisher, event, EVENTS_EXCHANGE, event["type"])
                for event in [*events[:25], poison, *events[25:]]
            )
        )
        channel = await amqp.channel()
        exchange = await channel.get_exchange(EVENTS_EXCHANGE.name)
        await exchange.publish(aio_pika.Message(b"not json"), routing_key="test.batch.x")
        dlq = await channel.declare_queue(queue.dead_letter_name, passive=True)
        await eventually(
            lambda: _depth_is(dlq, 2), what="the poison and the undecodable are parked", within=10
        )
        main = await channel.declare_queue(queue.name, passive=True)
        assert await depth(main) == 0  # every other delivery was acked
        parked = await drain(dlq)
        await channel.close()

    handled = [event_id for batch in batches for event_id in batch]
    assert {event["id"] for event in events} <= set(handled)
    assert handled.count(poison["id"]) == 2  # first attempt, then its one retry
    assert any(len(batch) > 1 for batch in batches), batches
    by_body = {m.body: m for m in parked}
    assert by_body[b"not json"].headers[ATTEMPT_HEADER] == 1
    (dead,) = [m for m in parked if m.body != b"not json"]
    assert json.loads(dead.body) == poison
    assert dead.headers[ATTEMPT_HEADER] == 2
    assert "refused" in str(dead.headers[LAST_ERROR_HEADER])


async def _depth_is(queue: AbstractQueue, count: int) -> bool:
    return await depth(queue) == count
