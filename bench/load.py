"""A closed-loop HTTP/1.1 load generator cheap enough not to be the bottleneck.

Each worker process runs uvloop with keep-alive connections and sends pre-built request bytes
(no HTTP library on the hot path), each request exactly once; it records when each was sent
and answered, the status and the body. Timestamps are `time.monotonic()` (one clock for every
process on the machine).
"""

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any


@dataclass(frozen=True)
class Answer:
    index: int
    sent: float
    answered: float
    status: int
    body: bytes


def post(host: str, path: str, token: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def fire(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    processes: int,
    connections: int,
    on_go: Callable[[], None] | None = None,
    on_answered: Callable[[], None] | None = None,
    cpu: list[float] | None = None,
) -> list[Answer]:
    """Send every request once over `processes` x `connections` keep-alive connections.

    `on_go` is called once every worker is connected, just before they start; `on_answered`
    once every worker has its answers (before they are gathered); `cpu` receives each worker's
    CPU seconds (user+system) from the start to its last answer."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results: Any = context.Queue()
    shares = [list(range(p, len(requests), processes)) for p in range(processes)]
    workers = [
        context.Process(
            target=_worker,
            args=(host, port, [(i, requests[i]) for i in share], connections, go, results),
        )
        for share in shares
    ]
    for worker in workers:
        worker.start()
    for _ in workers:  # each says it is connected
        results.get()
    if on_go is not None:
        on_go()
    go.set()
    # each worker says ("cpu", seconds) once it has its last answer, then ("answers", [...])
    seconds: list[float] = []
    answers: list[Answer] = []
    for _ in range(2 * len(workers)):
        kind, value = results.get()
        if kind == "cpu":
            seconds.append(value)
            if len(seconds) == len(workers) and on_answered is not None:
                on_answered()
        else:
            answers += value
    if cpu is not None:
        cpu += seconds
    for worker in workers:
        worker.join()
    return sorted(answers, key=lambda a: a.index)


def _worker(
    host: str,
    port: int,
    requests: list[tuple[int, bytes]],
    connections: int,
    go: Event,
    results: Any,
) -> None:
    import uvloop

    results.put(("answers", uvloop.run(_run(host, port, requests, connections, go, results))))


async def _run(
    host: str,
    port: int,
    requests: list[tuple[int, bytes]],
    connections: int,
    go: Event,
    results: Any,
) -> list[Answer]:
    streams = [
        await asyncio.open_connection(host, port) for _ in range(min(connections, len(requests)))
    ]
    results.put("connected")
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    started = os.times()
    todo = iter(requests)
    answers: list[Answer] = []

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index, request in todo:
            sent = time.monotonic()
            writer.write(request)
            status, body = await _response(reader)
            answers.append(Answer(index, sent, time.monotonic(), status, body))
        writer.close()

    await asyncio.gather(*(connection(r, w) for r, w in streams))
    done = os.times()
    results.put(("cpu", done.user + done.system - started.user - started.system))
    return answers


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return status, await reader.readexactly(length or 0)
    body = b""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]
