"""What a peak run measures: who is who in /proc, the samples taken, py-spy, each path's result
and the CPU account."""

import asyncio
import contextlib
import os
import signal
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.cpu import CLK_TCK, Row, Sample, postgres_rows, snapshot, table, tree_delta


@dataclass
class PathResult:
    name: str
    answers: list[tuple[float, float, int, dict[str, Any]]]  # sent, answered, status, body
    started: Sample | None = None  # /proc when the first request went out
    answered: Sample | None = None  # /proc when the last answer came
    generator_workers_s: float = 0.0  # the HTTP generator's worker processes, their CPU

    @property
    def seconds(self) -> float:
        return max(a[1] for a in self.answers) - min(a[0] for a in self.answers)

    @property
    def last_answer(self) -> float:
        return max(a[1] for a in self.answers)

    def summary(self, db_tps: float) -> dict[str, Any]:
        latencies = sorted((a[1] - a[0]) * 1000 for a in self.answers)
        rate = len(self.answers) / self.seconds
        return {
            "path": self.name,
            "decisions": len(self.answers),
            "seconds": round(self.seconds, 2),
            "decisions_per_s": round(rate),
            "p50_ms": round(pct(latencies, 50), 1),
            "p95_ms": round(pct(latencies, 95), 1),
            "p99_ms": round(pct(latencies, 99), 1),
            "ratio_to_pgbench": round(rate / db_tps, 2),
        }


@dataclass
class Processes:
    """Who is who in /proc: the roots of each part's process tree, and PostgreSQL's backends."""

    services: dict[str, list[int]]
    gateway: int
    postmaster: int
    databases: dict[str, str]  # database name -> its row's name
    bench_backends: set[int] = field(default_factory=set)
    backends: dict[int, str] = field(default_factory=dict)  # pid -> database ("" background)


class Sampler:
    """/proc every `interval` seconds (and when asked), PostgreSQL's pid → database alongside."""

    def __init__(self, conn: asyncpg.Connection, processes: Processes, interval: float) -> None:
        self.conn = conn
        self.processes = processes
        self.interval = interval
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None
        self._query = asyncio.Lock()  # one query at a time on the connection

    def take(self) -> Sample:
        """Now (from any thread)."""
        sample = snapshot(time.monotonic())
        with self._lock:
            self.samples.append(sample)
        return sample

    async def backends(self) -> None:
        async with self._query:
            rows = await self.conn.fetch("SELECT pid, datname FROM pg_stat_activity")
        for row in rows:
            pid = row["pid"]
            if pid in self.processes.bench_backends:
                self.processes.backends[pid] = "(bench)"
            else:
                self.processes.backends.setdefault(pid, row["datname"] or "")

    async def _run(self) -> None:
        while True:
            await self.backends()
            self.take()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.backends()

    def between(self, first: Sample, last: Sample) -> list[Sample]:
        with self._lock:
            inside = [s for s in self.samples if first.at < s.at < last.at]
        return [first, *sorted(inside, key=lambda s: s.at), last]


class Profiles:
    """py-spy attached to the services for a path's burst (none without a binary)."""

    def __init__(self, py_spy: str | None, directory: Path) -> None:
        self.py_spy = py_spy
        self.directory = directory
        self.running: dict[tuple[str, str], asyncio.subprocess.Process] = {}

    async def start(self, path: str, services: dict[str, list[int]]) -> None:
        if not self.py_spy:
            return
        for name, pids in services.items():
            out = self.directory / f"peak-{path}-{name}.txt"
            self.running[path, name] = await asyncio.create_subprocess_exec(
                self.py_spy,
                "record",
                "--pid",
                str(pids[0]),
                "--rate",
                "100",
                "--nonblocking",
                "--format",
                "raw",
                "-o",
                str(out),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            print(f"{path}: py-spy recording {name} (pid {pids[0]}) into {out}", flush=True)
        await asyncio.sleep(1.0)  # attached before the first request

    async def stop(self, path: str, name: str | None) -> None:
        """Stop one recording of `path` (all of it for None, every path's for path "")."""
        for (p, n), process in list(self.running.items()):
            if (p == path or not path) and (name is None or n == name):
                del self.running[p, n]
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                await process.wait()


def account(
    path: str,
    result: PathResult,
    told: Sample | None,
    sampler: Sampler,
    processes: Processes,
    decisions: int,
) -> dict[str, Any]:
    """Print the account of the burst (first sent → last answered) and, with notification, of
    the burst and the telling (first sent → every fact told); return both as numbers."""
    assert result.started is not None
    assert result.answered is not None
    windows = {"burst": result.answered}
    if told is not None:
        windows["until told"] = told
    out: dict[str, Any] = {}
    for window, last in windows.items():
        samples = sampler.between(result.started, last)
        rows = account_rows(
            samples, processes, result.generator_workers_s if window == "burst" else None
        )
        seconds = last.at - result.started.at
        print(
            f"\n{path}: CPU per decision, {window} ({seconds:.2f} s, {len(samples)} samples of "
            f"/proc, {decisions} decisions):\n{table(rows, decisions, seconds)}\n",
            flush=True,
        )
        out[window] = {
            "seconds": round(seconds, 2),
            **{row.part: round(row.ms_per(decisions), 3) for row in rows},
        }
    return out


def account_rows(samples: list[Sample], p: Processes, workers_s: float | None) -> list[Row]:
    first, last = samples[0], samples[-1]
    rows = [
        Row(
            f"{name} (service{', sum of replicas' if len(roots) > 1 else ''})",
            tree_delta(first, last, roots),
        )
        for name, roots in sorted(p.services.items(), key=lambda kv: kv[0] != "registration")
    ]
    rabbit = last.roots("beam.smp")
    rows.append(
        Row("RabbitMQ (beam.smp, shared with others' tests)", tree_delta(first, last, rabbit))
    )
    labels = {**p.databases, "(bench)": "PostgreSQL, the bench's own queries"}
    pg = postgres_rows(samples, p.postmaster, p.backends, labels)
    rows += pg
    rows.append(Row("nginx (master and workers)", tree_delta(first, last, [p.gateway])))
    me = os.getpid()
    generator = last.stats[me].own - first.stats[me].own
    if workers_s is not None:
        generator += round(workers_s * CLK_TCK)
    rows.append(Row("load generator (the bench process and its HTTP workers)", generator))
    others = {"PostgreSQL, all", "PostgreSQL, other databases"}
    mine = sum(r.ticks for r in rows if r.part not in others)
    rows.append(Row("all (every row above but other databases)", mine))
    rows.append(
        Row(
            "machine (/proc/stat: every process, others' work included)",
            last.machine - first.machine,
        )
    )
    return rows


async def postmaster(conn: asyncpg.Connection) -> int:
    """The server's postmaster: the parent of this connection's backend."""
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    stat = snapshot(time.monotonic()).stats.get(backend)
    if stat is None:
        raise RuntimeError("PostgreSQL's processes are not in this machine's /proc")
    return stat.ppid


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"


def pct(sorted_values: list[float], p: float) -> float:
    if len(sorted_values) < 2:
        return sorted_values[0] if sorted_values else 0.0
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(p) - 1]
