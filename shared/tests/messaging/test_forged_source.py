"""An event whose `source` is not the owner of its type never reaches the handler of `subscribe`:
it is in the DLQ after its first attempt, the reason in `x-last-error`, with a WARNING naming it.
The same event from its owner is handled."""

import logging
from typing import Any

import pytest
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from faststream.rabbit.message import RabbitMessage

from shared.messaging import (
    ATTEMPT_HEADER,
    EVENTS_EXCHANGE,
    LAST_ERROR_HEADER,
    make_broker,
    publish_event,
    service_queue,
    subscribe,
)
from testsupport.waiting import eventually

from .test_messaging import an_event, drain, started, unique

pytestmark = pytest.mark.integration

# Long enough that a retry would not reach the DLQ before the assertions.
DELAYS = (30.0,)
Event = dict[str, Any]


async def test_an_event_from_another_source_is_dead_lettered_unhandled(
    amqp_url: str, amqp: AbstractRobustConnection, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    # a queue of its own, bound with a key of its own, beside the real family's type
    key = unique("catalog.session.forged")
    forged = {**an_event(key), "source": "training/registration"}
    genuine = {**an_event(key), "source": "training/catalog"}
    handled, dead = await _published_under(amqp_url, amqp, key, forged, genuine)

    reason = f"source 'training/registration' does not own {key}: training/catalog does"
    assert handled == [genuine["id"]]
    assert [(d.message_id, d.headers[LAST_ERROR_HEADER]) for d in dead] == [(forged["id"], reason)]
    assert dead[0].headers[ATTEMPT_HEADER] == 1
    assert any(
        r.levelno == logging.WARNING and forged["id"] in r.getMessage() and reason in r.getMessage()
        for r in caplog.records
    )


async def test_an_event_under_another_routing_key_than_its_type_is_dead_lettered(
    amqp_url: str, amqp: AbstractRobustConnection
) -> None:
    """A user may publish `registration.*`: not a `catalog.*` body under such a key, even with
    the catalog's source written in it."""
    key = unique("registration.smuggled")
    smuggled = {**an_event(unique("catalog.session.updated")), "source": "training/catalog"}
    genuine = {**an_event(key), "source": "training/registration"}
    handled, dead = await _published_under(amqp_url, amqp, key, smuggled, genuine)

    assert handled == [genuine["id"]]
    assert [d.message_id for d in dead] == [smuggled["id"]]
    assert "published as" in str(dead[0].headers[LAST_ERROR_HEADER])


async def _published_under(
    amqp_url: str, amqp: AbstractRobustConnection, key: str, refused: Event, genuine: Event
) -> tuple[list[str], list[AbstractIncomingMessage]]:
    """Publish both under `key` to a queue of their own: the ids handled, the dead letters."""
    queue = service_queue("test", unique("forged"), binding_keys=[key], retry_delays=DELAYS)
    handled: list[str] = []

    async def handle(envelope: Event, _: RabbitMessage) -> None:
        handled.append(envelope["id"])

    broker = make_broker(amqp_url)
    subscribe(broker, queue, handle)
    async with started(broker):
        for event in (refused, genuine):
            await publish_event(broker, event, EVENTS_EXCHANGE, key)
        await eventually(lambda: handled, what="the genuine event handled", within=10)
        dead = await _dead_letters(amqp, queue.dead_letter_name)
    return handled, dead


async def _dead_letters(
    amqp: AbstractRobustConnection, dlq_name: str
) -> list[AbstractIncomingMessage]:
    channel = await amqp.channel()
    dlq = await channel.declare_queue(dlq_name, passive=True)
    parked: list[AbstractIncomingMessage] = []

    async def arrived() -> bool:
        parked.extend(await drain(dlq))
        return bool(parked)

    await eventually(arrived, what="the forged event dead-lettered", within=10)
    await channel.close()
    return parked
