"""The two paths of a peak run (commands over AMQP, POST through the gateway) and the load
generators' own ceilings."""

import argparse
import asyncio
import json
import time
import uuid
from collections import Counter
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench.load import Answer, fire, post
from bench.peak_account import PathResult, Sampler
from shared.auth import mint_token
from shared.events import REGISTER, RegisterCommand, new_event


def bench_token(secret: str, sub: str) -> str:
    return mint_token(secret, sub=sub, ttl_seconds=3600, email=f"{sub}@example.org", name=sub)


async def command_burst(
    channel: aio_pika.abc.AbstractChannel,
    session_id: uuid.UUID,
    tokens: list[str],
    sampler: Sampler,
) -> PathResult:
    replies = await channel.declare_queue(f"bench.replies.{uuid.uuid4()}", exclusive=True)
    commands = await channel.get_exchange("training.commands")
    answered: dict[str, tuple[float, int, dict[str, Any]]] = {}
    done = asyncio.Event()
    result = PathResult("command", [])

    async def on_reply(message: AbstractIncomingMessage) -> None:
        answer = json.loads(message.body)
        answered[str(message.correlation_id)] = (time.monotonic(), answer["status"], answer["body"])
        await message.ack()
        if len(answered) == len(tokens):
            result.answered = sampler.take()
            done.set()

    await replies.consume(on_reply)
    bodies = []
    for token in tokens:
        event = new_event("bench", REGISTER, RegisterCommand(session_id=session_id))
        bodies.append((event.id, json.dumps(event.to_message()).encode(), f"Bearer {token}"))
    sent: dict[str, float] = {}
    result.started = sampler.take()
    for event_id, body, authorization in bodies:
        sent[event_id] = time.monotonic()
        await commands.publish(
            aio_pika.Message(
                body,
                headers={"authorization": authorization},
                content_type="application/cloudevents+json",
                message_id=event_id,
                correlation_id=event_id,
                reply_to=replies.name,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=REGISTER,
        )
    await asyncio.wait_for(done.wait(), 600)
    result.answers = [(sent[i], *answered[i]) for i in sent]
    return result


def http_burst(
    args: argparse.Namespace,
    gateway_port: int,
    session_id: uuid.UUID,
    tokens: list[str],
    sampler: Sampler,
) -> PathResult:
    """M POST /api/registrations through the gateway (in a thread: the generator's workers are
    processes of their own); /proc sampled as they start and once the last has its answer."""
    body = json.dumps({"session_id": str(session_id)}).encode()
    requests = [post("127.0.0.1", "/api/registrations", t, body) for t in tokens]
    result = PathResult("http", [])
    cpu: list[float] = []

    def on_go() -> None:
        result.started = sampler.take()

    def on_answered() -> None:
        result.answered = sampler.take()

    answers = fire(
        "127.0.0.1",
        gateway_port,
        requests,
        processes=args.client_processes,
        connections=args.connections // args.client_processes,
        on_go=on_go,
        on_answered=on_answered,
        cpu=cpu,
    )
    result.answers = [http_answer(a) for a in answers]
    result.generator_workers_s = sum(cpu)
    return result


def http_answer(answer: Answer) -> tuple[float, float, int, dict[str, Any]]:
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = {"raw": answer.body[:200].decode("latin-1")}
    return answer.sent, answer.answered, answer.status, body


def http_ceiling(args: argparse.Namespace, gateway_port: int, secret: str) -> float:
    """The generator against a path nginx answers itself (404): its ceiling with the gateway."""
    body = b'{"session_id": "00000000-0000-0000-0000-000000000000"}'
    requests = [
        post("127.0.0.1", "/api/bench-noop", bench_token(secret, f"noop-{n}"), body)
        for n in range(args.learners)
    ]
    answers = fire(
        "127.0.0.1",
        gateway_port,
        requests,
        processes=args.client_processes,
        connections=args.connections // args.client_processes,
    )
    seconds = max(a.answered for a in answers) - min(a.sent for a in answers)
    assert {a.status for a in answers} == {404}, Counter(a.status for a in answers)
    return len(answers) / seconds


async def amqp_ceiling(channel: aio_pika.abc.AbstractChannel, m: int) -> float:
    """Publishing m commands' worth of messages and consuming them back, nothing else."""
    sink = await channel.declare_queue(f"bench.noop.{uuid.uuid4()}", exclusive=True)
    got = 0
    done = asyncio.Event()

    async def on_message(message: AbstractIncomingMessage) -> None:
        nonlocal got
        got += 1
        await message.ack()
        if got == m:
            done.set()

    await sink.consume(on_message)
    body = b"x" * 600
    started = time.monotonic()
    for n in range(m):
        await channel.default_exchange.publish(
            aio_pika.Message(body, correlation_id=str(n), reply_to=sink.name),
            routing_key=sink.name,
        )
    await asyncio.wait_for(done.wait(), 120)
    return m / (time.monotonic() - started)
