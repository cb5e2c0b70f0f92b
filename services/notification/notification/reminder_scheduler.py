"""The reminder scheduler: a loop in each replica that sends the reminders falling due.

A round claims the due pending reminders (`FOR UPDATE SKIP LOCKED`, oldest first) and, in that
same transaction, writes each one's notice (inbox message and pending email, which the sender
loop sends) and marks it sent, or drops it if it is no longer wanted. Replicas skip each other's
claimed rows; a scheduler that dies mid-round rolls back and its rows are due again at once for
the next round, here or elsewhere; the delivery keys would keep a second writing of the same
reminder out anyway. The schedule is in the database, so a reminder due while every replica
was down goes out at the first round after, if its event has not started.

It sleeps until the next reminder is due, at most `poll_interval` (a reminder planned meanwhile
may be due sooner), so one goes out at most that late plus a round.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import reminder_store
from notification.use_cases import reminders
from notification.use_cases.notices import Letterhead
from shared.db import transaction
from shared.metrics import notification_reminders_due, notification_reminders_late
from shared.problems import unavailable_dependency

log = logging.getLogger(__name__)


class ReminderScheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        letterhead: Letterhead,
        *,
        poll_interval: float = 5.0,
        batch_size: int = 50,
    ) -> None:
        self._sessions = sessions
        self._letterhead = letterhead
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._measure_at = 0.0

    async def send_due(self) -> int:
        """One round; how many reminders were sent or dropped."""
        async with transaction(self._sessions) as db:
            return await reminders.send_due(db, self._letterhead, self._batch_size)

    async def run(self) -> None:
        while True:
            handled = 0
            wait = self._poll_interval
            try:
                handled = await self.send_due()
                async with self._sessions() as db:
                    due_in = await reminder_store.next_reminder_in(db)
                    if (now := time.monotonic()) >= self._measure_at:
                        # a burst of rounds costs one such query per interval
                        self._measure_at = now + self._poll_interval
                        await self.measure(db)
                # one due now is another replica's, or failed this round: not before the poll
                if due_in is not None and due_in > 0:
                    wait = min(wait, due_in)
            except Exception as error:
                if unavailable_dependency(error) == "database":
                    log.warning("reminder round: the database is unreachable (%r)", error)
                else:
                    log.exception("reminder round failed; trying again shortly")
            if handled >= self._batch_size:
                continue
            await asyncio.sleep(max(wait, 0.01))

    async def measure(self, db: AsyncSession) -> None:
        """The gauges of the reminders due and unsent (after a round: those it left)."""
        due, late_s = await reminder_store.due_reminders(db)
        notification_reminders_due.set(due)
        notification_reminders_late.set(late_s)

    @asynccontextmanager
    async def running(self) -> AsyncIterator["ReminderScheduler"]:
        task = asyncio.create_task(self.run(), name="reminder-scheduler")
        try:
            yield self
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await task
