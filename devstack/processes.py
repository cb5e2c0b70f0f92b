"""Child processes: each in its own process group, its output streamed line by line with a prefix.

A child is stopped with a polite signal to its whole group, then SIGKILL after a grace period. On
Linux each child also gets SIGTERM if the launcher dies without cleaning up (PR_SET_PDEATHSIG).
"""

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

LogSink = Callable[[str, str], None]
"""Receives (child name, one line of its output)."""

_TAIL_LINES = 60
_PR_SET_PDEATHSIG = 1


def print_sink(name: str, line: str) -> None:
    print(f"{name:<12} | {line}", flush=True)


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _libc_prctl()


def _die_with(parent: int) -> Callable[[], None] | None:
    """A preexec hook: the child gets SIGTERM when `parent` (this process) dies."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


class Child:
    """One process of the stack."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        sink: LogSink = print_sink,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.sink = sink
        self.stop_signal = stop_signal
        self.tail: deque[str] = deque(maxlen=_TAIL_LINES)
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        if self._process is not None:
            raise RuntimeError(f"{self.name} was already started")
        self._process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            process_group=0,
            preexec_fn=_die_with(os.getpid()),
            limit=1 << 20,
        )
        self._pump = asyncio.create_task(self._stream(), name=f"{self.name}-log")

    async def _stream(self) -> None:
        stdout = self._process.stdout if self._process else None
        if stdout is None:
            return
        while True:
            try:
                raw = await stdout.readline()
            except ValueError:  # a line longer than the buffer: take what is there
                raw = await stdout.read(1 << 20)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.tail.append(line)
            self.sink(self.name, line)

    async def wait(self) -> int:
        """Until the process has exited and its output is drained."""
        if self._process is None:
            raise RuntimeError(f"{self.name} was never started")
        code = await self._process.wait()
        if self._pump is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                # a grandchild that kept the pipe open must not hold us up
                await asyncio.wait_for(asyncio.shield(self._pump), 2.0)
        return code

    def _signal_group(self, sig: int) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)

    async def stop(self, grace: float) -> int | None:
        """Signal the group, SIGKILL it after `grace` seconds; the exit code (None if never run)."""
        if self._process is None:
            return None
        if self._process.returncode is None:
            self._signal_group(self.stop_signal)
            try:
                await asyncio.wait_for(self._process.wait(), grace)
            except TimeoutError:
                self.sink(self.name, f"[devstack] still running after {grace:g}s: SIGKILL")
                self._signal_group(signal.SIGKILL)
        # whatever the leader left behind in its group goes too
        self._signal_group(signal.SIGKILL)
        code = await self.wait()
        if self._pump is not None and not self._pump.done():
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        return code

    def describe_exit(self) -> str:
        code = self.returncode
        if code is None:
            return f"{self.name} is running"
        how = f"signal {-code}" if code < 0 else f"status {code}"
        lines = "\n".join(f"    {line}" for line in self.tail)
        return f"{self.name} exited with {how}; its last lines:\n{lines}"
