"""A publisher-confirm channel on a connection of its own, below FastStream.

For the hot paths (the outbox relay, a batch consumer's replies): many messages sent at once
in order, their confirms awaited together, without FastStream's per-message publish path.

Below aio-pika's and aiormq's per-message publish too (docs/performance.md, issue 18, "The
relay's publishing"): `basic_publish` costs a task, a lock, a timeout, a drain and a socket
write per message. Here a batch's frames are marshalled as `basic_publish` marshals them and
handed to the connection's writer in one piece, with one confirmation per message registered
on the channel as `basic_publish` registers it: aiormq's reader resolves them, a `multiple`
ack several at once, a return or a closed channel as for any publish.
"""

import asyncio
from collections.abc import Sequence
from contextlib import suppress
from random import getrandbits
from typing import NamedTuple

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aiormq.abc import ChannelFrame
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.frame import marshal
from pamqp.header import ContentHeader

MAX_SHORTSTR = 255


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
        each message None when RabbitMQ confirmed it, else why not.

        A message without a message_id gets a random one, as aiormq gives it (a return is
        matched to its message by it)."""
        if not messages:
            return []
        async with asyncio.timeout(self._confirm_timeout):
            channel = await self._underlay()
        frames, outcomes = _frames(channel, messages)
        sendable = [m for m, outcome in zip(messages, outcomes, strict=True) if outcome is None]
        if not sendable:
            return outcomes
        confirmed = iter(await self._confirmed(channel, frames, sendable))
        return [next(confirmed) if outcome is None else outcome for outcome in outcomes]

    async def _confirmed(
        self, channel: aiormq.Channel, frames: bytes, messages: Sequence[Outgoing]
    ) -> list[Exception | None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._confirm_timeout
        try:
            async with asyncio.timeout_at(deadline):
                first, confirmations = await _send(channel, frames, messages)
        except Exception as error:  # the channel closed, or the writer's queue stayed full
            return [error] * len(messages)
        try:
            await asyncio.wait(confirmations, timeout=max(0.0, deadline - loop.time()))
            return [_outcome(confirmation) for confirmation in confirmations]
        finally:
            _forget(channel, first, confirmations, messages)

    async def _underlay(self) -> aiormq.Channel:
        if self._connection is None:
            self._connection = await aio_pika.connect_robust(
                self._url, client_properties={"connection_name": self._name}
            )
        if self._channel is None or self._channel.is_closed:
            self._channel = await self._connection.channel(
                publisher_confirms=True, on_return_raises=True
            )
        underlay = await self._channel.get_underlay_channel()
        if not isinstance(underlay, aiormq.Channel):  # its writer and confirmations are used
            raise TypeError(f"not an aiormq channel: {underlay!r}")
        return underlay

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            with suppress(Exception):
                await connection.close()


def _frames(
    channel: aiormq.Channel, messages: Sequence[Outgoing]
) -> tuple[bytes, list[Exception | None]]:
    """The frames of every message (Basic.Publish, its content header, its body in frames of
    the size negotiated), as basic_publish marshals one; each destination's method frame
    once. A message that cannot be marshalled is not sent: its outcome says why."""
    number, max_content = channel.number, channel.max_content_size
    methods: dict[tuple[str, str, bool], bytes] = {}
    frames: list[bytes] = []
    outcomes: list[Exception | None] = []
    for message in messages:
        properties, mark = message.properties, len(frames)
        if not properties.message_id:
            properties.message_id = f"{getrandbits(128):032x}"
        try:
            destination = (message.exchange, message.routing_key, message.mandatory)
            if (method := methods.get(destination)) is None:
                if len(message.routing_key) > MAX_SHORTSTR:
                    raise ValueError("Routing key too long (max 255 bytes)")
                publish = Basic.Publish(
                    exchange=message.exchange,
                    routing_key=message.routing_key,
                    mandatory=message.mandatory,
                )
                method = methods[destination] = marshal(publish, number)
            frames.append(method)
            frames.append(
                marshal(ContentHeader(body_size=len(message.body), properties=properties), number)
            )
            for start in range(0, len(message.body), max_content):
                piece = message.body[start : start + max_content]
                frames.append(marshal(ContentBody(piece), number))
        except Exception as error:
            del frames[mark:]
            outcomes.append(error)
            continue
        outcomes.append(None)
    return b"".join(frames), outcomes


async def _send(
    channel: aiormq.Channel, frames: bytes, messages: Sequence[Outgoing]
) -> tuple[int, list[asyncio.Future[object]]]:
    """Number the messages in order and register a confirmation for each as basic_publish
    does, then hand all their frames to the connection's writer at once: one socket write.
    Returns the first delivery tag and the confirmations."""
    async with channel.lock:
        first = channel.delivery_tag + 1
        confirmations: list[asyncio.Future[object]] = []
        for tag, message in enumerate(messages, first):
            confirmation = channel.create_future()
            channel.confirmations[tag] = confirmation
            channel.message_id_delivery_tag[_message_id(message)] = tag
            confirmations.append(confirmation)
        channel.delivery_tag = first + len(messages) - 1
        try:
            await channel.write_queue.put(ChannelFrame(payload=frames, should_close=False))
        except BaseException:
            # RabbitMQ has not seen them: their numbers are free again, as basic_publish frees one
            channel.delivery_tag = first - 1
            for tag in range(first, first + len(messages)):
                channel.confirmations.pop(tag, None)
            _forget(channel, first, confirmations, messages)
            raise
    return first, confirmations


def _forget(
    channel: aiormq.Channel,
    first: int,
    confirmations: Sequence[asyncio.Future[object]],
    messages: Sequence[Outgoing],
) -> None:
    """Stop waiting: a confirm that comes later is ignored, a later return no longer matched
    (as when basic_publish's timeout cancels its confirmation)."""
    for tag, (confirmation, message) in enumerate(zip(confirmations, messages, strict=True), first):
        confirmation.cancel()
        message_id = _message_id(message)
        if channel.message_id_delivery_tag.get(message_id) == tag:
            del channel.message_id_delivery_tag[message_id]


def _message_id(message: Outgoing) -> str:
    message_id = message.properties.message_id
    assert message_id is not None  # given by _frames
    return message_id


def _outcome(confirmation: asyncio.Future[object]) -> Exception | None:
    if not confirmation.done():
        return TimeoutError("not confirmed in time")
    if confirmation.cancelled():
        return NotConfirmed("not confirmed: cancelled")
    error = confirmation.exception()
    return _failure(error if error is not None else confirmation.result())


def _failure(outcome: object) -> Exception | None:
    if isinstance(outcome, aiormq.spec.Basic.Ack):
        return None
    if isinstance(outcome, aiormq.exceptions.PublishError):
        return NotConfirmed("returned: no queue is bound for it")
    if isinstance(outcome, Exception):
        return outcome
    return NotConfirmed(f"not confirmed: {outcome!r}")
