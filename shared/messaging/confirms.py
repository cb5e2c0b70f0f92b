"""A publisher-confirm channel on a connection of its own, below FastStream.

For the hot paths (the outbox relay, a batch consumer's replies): many messages sent at once
in order, their confirms awaited together, without FastStream's per-message publish path.
"""

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from typing import NamedTuple

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection


class Outgoing(NamedTuple):
    body: bytes
    exchange: str
    routing_key: str
    properties: aiormq.spec.Basic.Properties
    mandatory: bool = False


class NotConfirmed(RuntimeError):
    """RabbitMQ nacked the message, or returned it (mandatory, no queue bound)."""


class ConfirmChannel:
    """A robust connection and a publisher-confirm channel, opened on first use.

    Opening fails fast while RabbitMQ is unreachable (the caller backs off and tries again);
    once open, the connection reconnects by itself and a publish waits for it up to the
    confirm timeout.
    """

    def __init__(self, url: str, *, name: str, confirm_timeout: float) -> None:
        self._url = url
        self._name = name
        self._confirm_timeout = confirm_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None

    async def publish_all(self, messages: Sequence[Outgoing]) -> list[Exception | None]:
        """Send every message at once, in order, and wait for all the confirms together; for
        each message None when RabbitMQ confirmed it, else why not."""
        if not messages:
            return []
        async with asyncio.timeout(self._confirm_timeout):
            channel = await self._underlay()
        outcomes = await asyncio.gather(
            *(
                channel.basic_publish(
                    message.body,
                    exchange=message.exchange,
                    routing_key=message.routing_key,
                    properties=message.properties,
                    mandatory=message.mandatory,
                    timeout=self._confirm_timeout,
                )
                for message in messages
            ),
            return_exceptions=True,
        )
        return [_failure(outcome) for outcome in outcomes]

    async def _underlay(self) -> aiormq.abc.AbstractChannel:
        if self._connection is None:
            self._connection = await aio_pika.connect_robust(
                self._url, client_properties={"connection_name": self._name}
            )
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
        return await self._channel.get_underlay_channel()

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with suppress(Exception):
                await connection.close()


def _failure(outcome: object) -> Exception | None:
    if isinstance(outcome, aiormq.spec.Basic.Ack):
        return None
    if isinstance(outcome, aiormq.exceptions.PublishError):
        return NotConfirmed("returned: no queue is bound for it")
    if isinstance(outcome, Exception):
        return outcome
    return NotConfirmed(f"not confirmed: {outcome!r}")
