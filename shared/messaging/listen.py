"""A PostgreSQL LISTEN on a dedicated connection that comes back after the connection is lost."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

log = logging.getLogger(__name__)


class Listener:
    """Calls `on_notify` for each NOTIFY on `channel`, and once after every (re)connection
    because notifications sent while it was away are gone."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        on_notify: Callable[[], None],
        *,
        application_name: str,
        reconnect_interval: float = 1.0,
        keepalive_interval: float = 15.0,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._on_notify = on_notify
        self._application_name = application_name
        self._reconnect_interval = reconnect_interval
        self._keepalive_interval = keepalive_interval
        self.backend_pid: int | None = None

    @property
    def listening(self) -> bool:
        return self.backend_pid is not None

    async def run(self) -> None:
        """Listen until cancelled."""
        while True:
            try:
                await self._listen_once()
            except Exception as error:
                # Polling covers for it meanwhile; keep trying whatever went wrong.
                log.warning("LISTEN %s lost (%r), reconnecting", self._channel, error)
            finally:
                self.backend_pid = None
            await asyncio.sleep(self._reconnect_interval)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(
            self._dsn,
            timeout=10,
            server_settings={"application_name": self._application_name},
        )
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(self._channel, self._notified)
            self.backend_pid = connection.get_server_pid()
            self._on_notify()
            while True:
                try:
                    await asyncio.wait_for(lost.wait(), self._keepalive_interval)
                except TimeoutError:
                    # A silently dropped TCP connection only shows when used.
                    await connection.fetchval("SELECT 1", timeout=self._keepalive_interval)
                else:
                    raise ConnectionError("connection closed")
        finally:
            connection.terminate()

    def _notified(self, *_args: Any) -> None:
        self._on_notify()
