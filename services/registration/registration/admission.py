"""Group commit of new registrations: the requests for one session that arrive together are
decided in one transaction.

One batch per session is in flight at a time in this process; whatever arrives meanwhile waits
and forms the next batch, so the batch grows with the load and a lone request goes at once (no
timer). Each caller awaits its own outcome: a registration, or the error only it gets. Replicas
stay correct because each batch holds the session's seat row lock.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Counter

from shared.events import Registration, RegistrationStatus
from shared.metrics import registration_batch_size, registration_decisions
from shared.refusals import Refusal

A = TypeVar("A")
Outcome = Registration | Exception
DecideBatch = Callable[[uuid.UUID, Sequence[A]], Awaitable[Sequence[Outcome]]]

MAX_BATCH = 500

log = logging.getLogger(__name__)

_SEAT, _WAITLIST, _REFUSED = (
    registration_decisions.labels(outcome) for outcome in ("seat", "waitlist", "refused")
)
_DECISION_OF: dict[RegistrationStatus, Counter] = {
    "pending": _SEAT,
    "confirmed": _SEAT,
    "waitlisted": _WAITLIST,
}


class Admissions(Generic[A]):
    """The waiting rooms of this process, one per session with requests in it."""

    def __init__(self, decide: DecideBatch[A], *, max_batch: int = MAX_BATCH) -> None:
        self._decide = decide
        self._max_batch = max_batch
        self._waiting: dict[uuid.UUID, list[tuple[A, asyncio.Future[Registration]]]] = {}
        self._deciding: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def admit(self, session_id: uuid.UUID, applicant: A) -> Registration:
        """The decision on `applicant`, taken with the others waiting for the same session."""
        future: asyncio.Future[Registration] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(session_id, []).append((applicant, future))
        if session_id not in self._deciding:
            self._deciding[session_id] = asyncio.create_task(
                self._decide_while_waiting(session_id), name=f"admissions {session_id}"
            )
        return await future

    async def _decide_while_waiting(self, session_id: uuid.UUID) -> None:
        try:
            while waiting := self._waiting.get(session_id):
                batch = waiting[: self._max_batch]
                del waiting[: self._max_batch]
                if not waiting:
                    del self._waiting[session_id]
                await self._decide_batch(session_id, batch)
        finally:
            del self._deciding[session_id]

    async def decide(self, session_id: uuid.UUID, applicants: Sequence[A]) -> Sequence[Outcome]:
        """A batch that is already formed (a consumer's deliveries), decided at once."""
        outcomes = await self._decide_or_split(session_id, applicants)
        _count(outcomes)
        registration_batch_size.observe(len(applicants))
        return outcomes

    async def _decide_or_split(
        self, session_id: uuid.UUID, applicants: Sequence[A]
    ) -> Sequence[Outcome]:
        try:
            return await self._decide(session_id, applicants)
        except Exception as error:
            if len(applicants) == 1:
                return [error]
            # Whatever broke the batch must fail only the request that caused it.
            log.warning(
                "batch of %d for %s failed, deciding one by one: %r",
                len(applicants),
                session_id,
                error,
            )
            return [await self._decide_alone(session_id, a) for a in applicants]

    async def _decide_batch(
        self, session_id: uuid.UUID, batch: list[tuple[A, asyncio.Future[Registration]]]
    ) -> None:
        outcomes = await self.decide(session_id, [applicant for applicant, _ in batch])
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away; the decision stands
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _decide_alone(self, session_id: uuid.UUID, applicant: A) -> Outcome:
        try:
            return (await self._decide(session_id, [applicant]))[0]
        except Exception as error:
            return error


def _count(outcomes: Sequence[Outcome]) -> None:
    """The committed decisions (a redelivered command or a failure decides nothing)."""
    for outcome in outcomes:
        if isinstance(outcome, Registration):
            if (decision := _DECISION_OF.get(outcome.status)) is not None:
                decision.inc()
        elif isinstance(outcome, Refusal):
            _REFUSED.inc()
