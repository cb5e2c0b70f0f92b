"""ConfirmChannel.publish_all on the real RabbitMQ: every message confirmed or said why not."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiormq
import pytest
from aio_pika.abc import AbstractQueue, AbstractRobustConnection

from shared.messaging.confirms import ConfirmChannel, NotConfirmed, Outgoing
from testsupport.proxy import TcpProxy
from testsupport.waiting import eventually

pytestmark = pytest.mark.integration


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def persistent(
    message_id: str | None,
    *,
    correlation_id: str | None = None,
    headers: dict[str, Any] | None = None,
) -> aiormq.spec.Basic.Properties:
    return aiormq.spec.Basic.Properties(
        content_type="application/json",
        delivery_mode=2,
        message_id=message_id,
        correlation_id=correlation_id,
        headers=headers,
    )


@pytest.fixture
async def confirms(amqp_url: str) -> AsyncIterator[ConfirmChannel]:
    channel = ConfirmChannel(amqp_url, name="test-confirms", confirm_timeout=10)
    yield channel
    await channel.close()


@pytest.fixture
async def sink(amqp: AbstractRobustConnection) -> AsyncIterator[AbstractQueue]:
    channel = await amqp.channel()
    queue = await channel.declare_queue(unique("sink"), exclusive=True)
    yield queue
    await channel.close()


async def drain(queue: AbstractQueue) -> list[aio_pika.abc.AbstractIncomingMessage]:
    messages = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        messages.append(message)
    return messages


async def bookkeeping_is_clean(confirms: ConfirmChannel) -> bool:
    """No confirmation left waiting, no message id left to match a return to."""
    underlay = await confirms._underlay()
    return not underlay.confirmations and not underlay.message_id_delivery_tag


async def test_a_batch_is_confirmed_in_order_with_bodies_and_properties_intact(
    confirms: ConfirmChannel, sink: AbstractQueue
) -> None:
    big = bytes(range(256)) * 1200  # 307 KB: more than one frame of the size RabbitMQ tunes
    batch = [
        Outgoing(
            f"message {n}".encode(),
            "",
            sink.name,
            persistent(f"m-{n}", correlation_id=f"c-{n}", headers={"n": str(n)}),
        )
        for n in range(300)
    ]
    batch.append(Outgoing(big, "", sink.name, persistent("big")))
    batch.append(Outgoing(b"", "", sink.name, persistent(None)))  # aiormq would give it an id
    assert await confirms.publish_all(batch) == [None] * len(batch)
    assert await bookkeeping_is_clean(confirms)
    received = await drain(sink)
    assert [m.body for m in received] == [m.body for m in batch]
    assert [m.message_id for m in received[:300]] == [f"m-{n}" for n in range(300)]
    assert [m.correlation_id for m in received[:300]] == [f"c-{n}" for n in range(300)]
    assert [m.headers for m in received[:300]] == [{"n": str(n)} for n in range(300)]
    assert {m.delivery_mode for m in received} == {aio_pika.DeliveryMode.PERSISTENT}
    assert received[-1].message_id


async def test_a_returned_or_unmarshallable_message_fails_alone(
    confirms: ConfirmChannel, sink: AbstractQueue
) -> None:
    nowhere = unique("nowhere")
    batch = [
        Outgoing(b"first", "", sink.name, persistent("1")),
        Outgoing(b"returned", "", nowhere, persistent("2"), mandatory=True),
        Outgoing(b"bad header", "", sink.name, persistent("3", headers={"s": {1, 2}})),
        Outgoing(b"too long a key", "", "k" * 256, persistent("4")),
        Outgoing(b"unrouted but not mandatory", "", nowhere, persistent("5")),
        Outgoing(b"last", "", sink.name, persistent("6")),
    ]
    first, returned, bad, long_key, unrouted, last = await confirms.publish_all(batch)
    assert (first, unrouted, last) == (None, None, None)
    assert isinstance(returned, NotConfirmed)
    assert "returned" in str(returned)
    assert isinstance(bad, TypeError)
    assert isinstance(long_key, ValueError)
    assert await bookkeeping_is_clean(confirms)
    assert [m.body for m in await drain(sink)] == [b"first", b"last"]


async def test_batches_published_together_are_each_confirmed(
    confirms: ConfirmChannel, sink: AbstractQueue
) -> None:
    batches = [
        [Outgoing(f"{b}.{n}".encode(), "", sink.name, persistent(f"{b}.{n}")) for n in range(50)]
        for b in range(8)
    ]
    outcomes = await asyncio.gather(*(confirms.publish_all(batch) for batch in batches))
    assert outcomes == [[None] * 50] * 8
    assert await bookkeeping_is_clean(confirms)
    received = [m.body.decode() for m in await drain(sink)]
    assert sorted(received) == sorted(f"{b}.{n}" for b in range(8) for n in range(50))
    for b in range(8):  # each batch's messages in its order
        assert [r for r in received if r.startswith(f"{b}.")] == [f"{b}.{n}" for n in range(50)]


async def test_a_batch_that_closes_the_channel_fails_and_the_next_one_goes_out(
    confirms: ConfirmChannel, sink: AbstractQueue
) -> None:
    # RabbitMQ closes a channel that publishes to an exchange it does not have
    batch = [
        Outgoing(b"to a missing exchange", unique("no-such-exchange"), "x", persistent("1")),
        Outgoing(b"behind it", "", sink.name, persistent("2")),
    ]
    outcomes = await confirms.publish_all(batch)
    assert all(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert await confirms.publish_all([Outgoing(b"after", "", sink.name, persistent("3"))]) == [
        None
    ]
    assert [m.body for m in await drain(sink)][-1:] == [b"after"]


async def test_a_connection_lost_with_confirms_in_flight_confirms_only_what_arrived(
    amqp_proxy: tuple[TcpProxy, str], sink: AbstractQueue
) -> None:
    proxy, url = amqp_proxy
    confirms = ConfirmChannel(url, name="test-confirms-outage", confirm_timeout=2)
    try:
        before = [Outgoing(b"before", "", sink.name, persistent("before"))]
        assert await confirms.publish_all(before) == [None]
        underlay = await confirms._underlay()
        batch = [
            Outgoing(b"x" * 2000, "", sink.name, persistent(f"in-flight-{n}")) for n in range(3000)
        ]
        publishing = asyncio.create_task(confirms.publish_all(batch))
        await eventually(lambda: underlay.confirmations, interval=0.001, what="frames sent")
        await proxy.cut()
        try:
            outcomes = await publishing
        except Exception:  # waiting for the connection to come back timed out
            outcomes = [Exception("not confirmed")] * len(batch)
        assert any(isinstance(outcome, Exception) for outcome in outcomes)
        await proxy.restore()

        async def goes_out() -> bool:
            after = [Outgoing(b"after", "", sink.name, persistent("after"))]
            try:
                return await confirms.publish_all(after) == [None]
            except Exception:  # the robust connection is still on its way back
                return False

        await eventually(goes_out, what="a publish confirmed once RabbitMQ is back", within=20)
    finally:
        await confirms.close()
    received = {m.message_id for m in await drain(sink)}
    confirmed = {m.properties.message_id for m, o in zip(batch, outcomes, strict=True) if o is None}
    assert confirmed <= received  # a confirm is never given for a message RabbitMQ does not have
    assert {"before", "after"} <= received
