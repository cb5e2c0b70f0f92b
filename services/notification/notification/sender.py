"""The sender loop: sends the pending emails the consumers wrote, with bounded retries.

It wakes on NOTIFY (a delivery was committed) or when the next retry is due, and polls besides.
A round claims a batch of due emails (`FOR UPDATE SKIP LOCKED`, then not due again for
`CLAIM_WINDOW`) in one statement on its connection, so replicas share the work; then, one by
one, takes each for `LEASE` if the claim is still on it (one UPDATE: else another sender claimed
it once the window passed, and it is skipped), sends it and writes its outcome as soon as it is
known, in the statement that takes the next one (one statement per email on the round's
connection, each its own transaction: the outcome is committed before the next email is sent).
No two senders send the same email at once, and a sender that dies mid-round leaves the emails
it had not taken due again when the window is over: only the one in flight waits its lease.

An outcome that cannot be written (the database went away during the SMTP exchange) is kept in
memory and written again, with back-off, before anything else is leased; the lease keeps the
other replicas off that email meanwhile. Only the end of the process loses a kept outcome: once
the lease is over the email is sent again, with the same Message-ID.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message

import asyncpg
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from notification import sending_store, store
from notification.domain import DeliveryStatus
from notification.links import Links
from notification.mailer import Outcome, Transport, email_of
from notification.preferences import category_of
from notification.records import AttemptOutcome, LeasedDelivery
from shared.db import driver_connection, transaction
from shared.messaging.listen import Listener
from shared.metrics import notification_emails, notification_smtp_send_duration
from shared.problems import unavailable_dependency
from shared.tracing import TRACEPARENT, TRACESTATE, context_of, exporting, failed, span

log = logging.getLogger(__name__)

_EMAILS = {status: notification_emails.labels(status) for status in ("sent", "captured")}
_RETRIED, _FAILED = notification_emails.labels("retried"), notification_emails.labels("failed")
_NO_TRACE = context_of({})
"""The parent of an email written outside any trace (an empty context, immutable: one for all)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts are bounded; the wait doubles from `base` up to `cap` seconds."""

    max_attempts: int = 8
    base: float = 5.0
    cap: float = 900.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        exponent = max(0, attempts - 1)
        return float(min(self.cap, self.base * (2 ** min(exponent, 30))))

    def after_failure(self, attempts: int) -> DeliveryStatus:
        return "failed" if attempts >= self.max_attempts else "pending"


# writing a kept outcome again: soon after the database's return, without hammering it meanwhile
RECORD_RETRY = RetryPolicy(base=0.1, cap=1.0)
LEASE = timedelta(minutes=5)
"""How long a taken email is one sender's alone: its SMTP exchange, and writing its outcome
through an outage of the database. A sender that dies holding one delays it that long."""
CLAIM_WINDOW = timedelta(seconds=20)
"""How long the emails of a round are its sender's to take: a sender that dies mid-round delays
those it had not taken that long. A round slower than this only leaves the rest to others."""


@dataclass(frozen=True)
class Attempt:
    """What one SMTP exchange came to, to be written on its row."""

    delivery_id: uuid.UUID
    attempts_before: int
    values: AttemptOutcome


class DeliverySender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        policy: RetryPolicy,
        *,
        sender_address: str,
        listen_dsn: str | None = None,
        batch_size: int = 100,
        poll_interval: float = 2.0,
        record_retry: RetryPolicy = RECORD_RETRY,
        stop_grace: float = 5.0,
        lease: timedelta = LEASE,
        claim_window: timedelta = CLAIM_WINDOW,
        links: Links | None = None,
    ) -> None:
        self._sessions = sessions
        self._transport = transport
        self._policy = policy
        self._sender_address = sender_address
        self._listen_dsn = listen_dsn
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._record_retry = record_retry
        self._stop_grace = stop_grace
        self._lease = lease
        self._claim_window = claim_window
        self._links = links
        self._wake = asyncio.Event()
        self._unrecorded: dict[uuid.UUID, Attempt] = {}
        self._unreleased: list[tuple[uuid.UUID, datetime]] = []
        self.record_failures = 0

    def wake(self) -> None:
        self._wake.set()

    @property
    def unrecorded(self) -> tuple[uuid.UUID, ...]:
        """The emails whose outcome this sender knows and has not written yet."""
        return tuple(self._unrecorded)

    async def send_due(self) -> int:
        """One round: claim what is due, take, send and write each in turn; how many were claimed.

        Each outcome is committed as soon as it is known, so a crash sends at most the email in
        flight twice (after its lease). An outcome that cannot be written ends the round: it is
        kept and written first in the next, before anything else is claimed or sent.

        The round's statements belong to no trace (each email's span is around its SMTP
        exchange alone), so the sampler drops their spans (`shared.tracing.QueriesInTraces`):
        the driver's instrumentation is suppressed rather than making a span to drop for each
        email's statement (docs/performance.md, issue 18)."""
        with suppress_instrumentation():
            return await self._round()

    async def _round(self) -> int:
        await self._record_kept()
        await self._release()  # those a round cut short left claimed: due again before claiming
        async with self._autocommit() as conn:
            claim = await sending_store.claim_due_deliveries(
                conn, self._batch_size, self._claim_window
            )
            if claim is None:
                return 0
            driver = await driver_connection(conn)  # the round's, checked out until its end
            tried = 0  # the claim's first `tried` emails were taken or found another's, in order
            outcome: Attempt | None = None  # the last email's, written with the next take
            try:
                for delivery in claim.deliveries:
                    taken = await self._record_and_take(driver, outcome, claim, delivery)
                    outcome = None
                    if taken is None:  # the outcome is kept, written first in the next round
                        break
                    tried += 1
                    if taken:
                        outcome = await self._attempt(delivery)
                if outcome is not None:
                    await self._record_or_keep(driver, outcome)
            finally:
                self._unreleased += [(d.id, claim.until) for d in claim.deliveries[tried:]]
        await self._release()
        return len(claim.deliveries)

    @asynccontextmanager
    async def _autocommit(self) -> AsyncIterator[AsyncConnection]:
        """One connection for the round, each statement its own transaction: an email's
        outcome and the next one's take are one statement, one round trip."""
        engine: AsyncEngine = self._sessions.kw["bind"]
        async with engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def _record_and_take(
        self,
        driver: asyncpg.Connection,
        outcome: "Attempt | None",
        claim: sending_store.Claim,
        delivery: LeasedDelivery,
    ) -> bool | None:
        """Write the outcome of the email before (if any) and take this one, at once: whether
        it is taken (else another sender claimed it after this one's window); None when the
        outcome could not be written (it is kept, and nothing taken)."""
        done = None
        if outcome is not None:
            done = (outcome.delivery_id, outcome.values, outcome.attempts_before)
        try:
            taken = await sending_store.record_and_take(driver, done, claim, delivery, self._lease)
        except BaseException as error:
            if outcome is None:
                raise
            # the SMTP exchange is over: whatever went wrong, sending it again would be a duplicate
            self._keep(outcome, error)
            if not isinstance(error, Exception):
                raise
            return None
        if not taken:
            log.debug("email %s: claimed by another sender after this one's window", delivery.id)
        return taken

    async def _record_or_keep(self, driver: asyncpg.Connection, attempt: "Attempt") -> bool:
        """True when the outcome is written, False when it is kept to be written later."""
        try:
            done = (attempt.delivery_id, attempt.values, attempt.attempts_before)
            await sending_store.record_last(driver, done)
        except BaseException as error:
            # the SMTP exchange is over: whatever went wrong, sending it again would be a duplicate
            self._keep(attempt, error)
            if not isinstance(error, Exception):
                raise
            return False
        return True

    async def _release(self) -> None:
        """Claimed emails this sender did not try (a round cut short): due again at once rather
        than after the claim window, as soon as the database takes it (those still claimed)."""
        if not self._unreleased:
            return
        try:
            async with asyncio.timeout(2.0), transaction(self._sessions) as db:
                await sending_store.release_deliveries(db, self._unreleased)
        except Exception as error:  # the next round tries again; the claim window bounds the wait
            log.debug("could not release %d claimed emails yet: %r", len(self._unreleased), error)
            return
        self._unreleased = []

    async def _attempt(self, delivery: LeasedDelivery) -> Attempt:
        """One SMTP exchange, in a span of the trace of the fact that wrote the email (a new
        trace without one: the empty context `context_of` gives a row without `traceparent`).
        Its attributes are made only for a span that is recorded."""
        parent = _NO_TRACE
        if delivery.traceparent is not None:
            fields = {TRACEPARENT: delivery.traceparent, TRACESTATE: delivery.tracestate}
            parent = context_of(fields)
        attributes: dict[str, str | int] | None = None
        if exporting():
            attributes = {
                "notification.delivery_id": str(delivery.id),
                "notification.kind": delivery.kind,
                "notification.attempt": delivery.attempts + 1,
            }
        with span("email send", parent, kind=SpanKind.CLIENT, attributes=attributes):
            return await self._send(delivery)

    async def _send(self, delivery: LeasedDelivery) -> Attempt:
        now = datetime.now(UTC)
        attempts_before = delivery.attempts
        try:
            email = email_of(
                delivery, sender=self._sender_address, unsubscribe_url=self._unsubscribe(delivery)
            )
            outcome = await self._timed_send(email)
        except Exception as error:
            failed(error)
            attempts = attempts_before + 1
            status = self._policy.after_failure(attempts)
            (_RETRIED if status == "pending" else _FAILED).inc()
            retry_at = now + timedelta(seconds=self._policy.delay(attempts))
            # no address and no SMTP text (it may quote the address): `last_error` has it all
            log.warning(
                "email %s failed (attempt %d, now %s): %s; see its last_error in /api/deliveries",
                delivery.id,
                attempts,
                status,
                type(error).__name__,
            )
            return Attempt(
                delivery.id,
                attempts_before,
                {
                    "status": status,
                    "last_error": f"{type(error).__name__}: {error}"[:2000],
                    "next_attempt_at": retry_at,
                },
            )
        _EMAILS[outcome].inc()
        return Attempt(
            delivery.id,
            attempts_before,
            {"status": outcome, "sent_at": now, "last_error": None},
        )

    async def _timed_send(self, email: Message) -> Outcome:
        started = time.perf_counter()
        try:
            return await self._transport.send(email)
        finally:
            notification_smtp_send_duration.observe(time.perf_counter() - started)

    def _unsubscribe(self, delivery: LeasedDelivery) -> str | None:
        """An optional email's link, derived again: the token is never stored."""
        category = category_of(delivery.category)
        if self._links is None or category is None:
            return None
        return self._links.unsubscribe_url(
            self._links.unsubscribe_token(delivery.user_id, category)
        )

    @staticmethod
    async def _record(db: AsyncSession, attempt: Attempt) -> None:
        await sending_store.record_attempt(
            db, attempt.delivery_id, attempt.values, attempts_before=attempt.attempts_before
        )

    def _keep(self, attempt: Attempt, error: BaseException) -> None:
        log.warning(
            "email %s: its outcome (%s) could not be written, kept to write again: %r",
            attempt.delivery_id,
            attempt.values["status"],
            error,
        )
        self._unrecorded[attempt.delivery_id] = attempt

    async def _record_kept(self) -> None:
        """Write every kept outcome, each in its own transaction, waiting out the database."""
        for attempt in list(self._unrecorded.values()):
            failures = 0
            while True:
                try:
                    async with transaction(self._sessions) as db:
                        await self._record(db, attempt)
                    break
                except Exception as error:
                    failures += 1
                    self.record_failures += 1
                    log.debug("email %s: outcome still not written: %r", attempt.delivery_id, error)
                    await self._pause(self._record_retry.delay(failures))
            del self._unrecorded[attempt.delivery_id]
            log.info("email %s: kept outcome written", attempt.delivery_id)

    async def _pause(self, seconds: float) -> None:
        """Up to `seconds`; less when woken, as the listener does once it is connected again: the
        database is back, and other replicas may claim this row as soon as they hear it too."""
        self._wake.clear()
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            handled = 0
            wait = self._poll_interval
            try:
                handled = await self.send_due()
                with suppress_instrumentation():  # in no trace either, as the round's
                    async with self._sessions() as db:
                        due_in = await sending_store.next_due_in(db)
                if due_in is not None:
                    wait = min(wait, due_in)
            except Exception as error:
                if unavailable_dependency(error) == "database":
                    log.warning("sender round: the database is unreachable (%r)", error)
                else:
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
            await self._record_kept_before_stopping()
            await self._release()

    async def _record_kept_before_stopping(self) -> None:
        if not self._unrecorded:
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._record_kept(), timeout=self._stop_grace)
        for attempt in self._unrecorded.values():
            log.error(
                "email %s: stopping before its outcome (%s) could be written; once its lease is "
                "over it will be sent again, with the same Message-ID",
                attempt.delivery_id,
                attempt.values["status"],
            )
