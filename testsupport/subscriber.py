"""A subscribing system, as docs/subscribing.md describes one: its own queue bound to
`training.events`."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from testsupport.waiting import eventually


@dataclass
class Received:
    envelope: dict[str, Any]
    message: AbstractIncomingMessage


@dataclass
class Subscriber:
    received: list[Received] = field(default_factory=list)

    async def wait_for(
        self, match: Callable[[dict[str, Any]], bool], *, within: float = 20, what: str = "event"
    ) -> Received:
        async def found() -> Received | None:
            return next((r for r in self.received if match(r.envelope)), None)

        return await eventually(found, within=within, what=what)

    def matching(self, match: Callable[[dict[str, Any]], bool]) -> list[Received]:
        return [r for r in self.received if match(r.envelope)]


@asynccontextmanager
async def subscribed(amqp_url: str, patterns: Sequence[str]) -> AsyncIterator[Subscriber]:

    subscriber = Subscriber()
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            "training.events", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for pattern in patterns:
            await queue.bind(exchange, pattern)

        async def collect(message: AbstractIncomingMessage) -> None:
            async with message.process():
                subscriber.received.append(Received(json.loads(message.body), message))

        tag = await queue.consume(collect)
        yield subscriber
        await queue.cancel(tag)
    finally:
        await asyncio.shield(connection.close())
