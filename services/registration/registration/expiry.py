"""The background round that ends unconfirmed requests within seconds of their deadline."""

import asyncio
import logging
from contextlib import suppress
from typing import Self

from registration.use_cases.expiry import EXPIRY_BATCH
from registration.use_cases.registrations import Registrations

log = logging.getLogger(__name__)


class ExpiryRounds:
    """Every `interval` seconds, expire what is due; several replicas share the work. A round
    that ended a whole batch or more goes on at once: with many sessions due together, each
    still ends within seconds of its deadline."""

    def __init__(self, registrations: Registrations, *, interval: float = 1.0) -> None:
        self._registrations = registrations
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self.expired = 0

    async def __aenter__(self) -> Self:
        self._task = asyncio.create_task(self._run(), name="registration-expiry")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            ended = 0
            try:
                ended = await self._registrations.expire_due()
                self.expired += ended
            except Exception:
                log.exception("expiry round failed; retrying")
            if ended < EXPIRY_BATCH:
                await asyncio.sleep(self._interval)
