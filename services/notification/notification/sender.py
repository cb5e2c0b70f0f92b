"""The sender loop: sends the pending emails the consumers wrote, with bounded retries.

It wakes on NOTIFY (a delivery was committed) or when the next retry is due, and polls besides.
Each email is claimed with `FOR UPDATE SKIP LOCKED` in a transaction of its own, so replicas share
the work and never send the same row at once; the row's lock is held until its outcome is written.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import store
from notification.domain import RetryPolicy
from notification.mailer import Transport, email_of
from shared.db import transaction
from shared.messaging.listen import Listener

log = logging.getLogger(__name__)


class DeliverySender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        policy: RetryPolicy,
        *,
        sender_address: str,
        listen_dsn: str | None = None,
        batch_size: int = 20,
        poll_interval: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._policy = policy
        self._sender_address = sender_address
        self._listen_dsn = listen_dsn
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def send_due(self) -> int:
        """One round: send what is due, write each outcome; how many rows were handled.

        One transaction per email: its outcome is committed as soon as it is known, so a crash
        can send at most that one email twice, and a row is locked for one SMTP exchange only."""
        handled = 0
        while handled < self._batch_size:
            async with transaction(self._sessions) as db:
                due = await store.claim_due_deliveries(db, 1)
                if not due:
                    break
                await self._attempt(db, due[0])
            handled += 1
        return handled

    async def _attempt(self, db: AsyncSession, delivery: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        try:
            outcome = await self._transport.send(email_of(delivery, sender=self._sender_address))
        except Exception as error:
            attempts = int(delivery["attempts"]) + 1
            status = self._policy.after_failure(attempts)
            retry_at = now + timedelta(seconds=self._policy.delay(attempts))
            log.warning(
                "email %s to %s failed (attempt %d, now %s): %r",
                delivery["id"],
                delivery["recipient"],
                attempts,
                status,
                error,
            )
            await store.record_attempt(
                db,
                delivery["id"],
                {
                    "status": status,
                    "last_error": f"{type(error).__name__}: {error}"[:2000],
                    "next_attempt_at": retry_at,
                },
            )
            return
        await store.record_attempt(
            db,
            delivery["id"],
            {"status": outcome, "sent_at": now, "last_error": None},
        )

    async def run(self) -> None:
        while True:
            self._wake.clear()
            handled = 0
            wait = self._poll_interval
            try:
                handled = await self.send_due()
                async with self._sessions() as db:
                    due_in = await store.next_due_in(db)
                if due_in is not None:
                    wait = min(wait, due_in)
            except Exception:
                log.exception("sender round failed; trying again shortly")
            if handled >= self._batch_size:
                continue
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    @asynccontextmanager
    async def running(self) -> AsyncIterator["DeliverySender"]:
        tasks = [asyncio.create_task(self.run(), name="delivery-sender")]
        if self._listen_dsn is not None:
            listener = Listener(
                self._listen_dsn,
                store.DELIVERIES_CHANNEL,
                self.wake,
                application_name="notification-sender",
            )
            tasks.append(asyncio.create_task(listener.run(), name="delivery-listener"))
        try:
            yield self
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await task
