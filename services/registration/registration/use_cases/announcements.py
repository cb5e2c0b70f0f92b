"""What registration tells: one event per fact of a session or an event registration and per
presence changed or attendance validated, written to the outbox in the transaction of the change
(docs/reference/events.md)."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from registration import store
from registration.attendance import PresenceChange
from registration.event_domain import EventChange
from registration.records import EventRegistrationRow
from shared.events import (
    CERTIFICATE_AVAILABLE,
    SEND_CONFIRMATION,
    AttendanceValidatedData,
    CertificateAvailable,
    CloudEvent,
    EventRegistration,
    EventRegistrationData,
    Presence,
    PresenceCounts,
    PresenceData,
    Registration,
    RegistrationStatus,
    RegistrationUser,
    SendConfirmation,
    ValidationStep,
    new_event,
)
from shared.observability import request_id

SERVICE = "registration"


def fact(
    fact: str,
    registration: Registration,
    actor: str | None,
    rid: str | None,
    *,
    previous_status: RegistrationStatus | None = None,
    reason: str | None = None,
    step: ValidationStep | None = None,
    moved_to: tuple[uuid.UUID, uuid.UUID] | None = None,
    as_json: dict[str, Any] | None = None,
    trace: Mapping[str, str] | None = None,
) -> CloudEvent:
    """`registration.<fact>`: `RegistrationData` as JSON; `rid` is the caller's request id (a
    batch runs in another task), `trace` its trace context's fields (`new_event`).

    The data is the registration's own JSON (`as_json`, when the caller has it already) and
    what the change was, as `RegistrationData.model_dump(mode="json")` writes them: everything
    in it is the service's own, validated once when the registration was made."""
    data: dict[str, Any] = {
        **(registration.model_dump(mode="json") if as_json is None else as_json),
        "previous_status": previous_status,
        "reason": reason,
        "actor": actor,
        "step": step,
        "moved_to": {"id": str(moved_to[0]), "session_id": str(moved_to[1])} if moved_to else None,
    }
    return new_event(
        SERVICE,
        f"registration.{fact}",
        data,
        subject=str(registration.id),
        request_id=rid,
        trace=trace,
    )


class Journal(Protocol):
    """Where what is told is written, in the transaction of the change (`seat_book.SeatBook`)."""

    async def record_event(self, event: CloudEvent) -> None:
        """Leaves on `training.events` once the transaction commits."""
        ...

    async def record_command(self, command: CloudEvent) -> None:
        """Leaves on `training.commands` once the transaction commits."""
        ...

    async def record_all(
        self, events: Sequence[CloudEvent], commands: Sequence[CloudEvent] = ()
    ) -> None: ...


async def announce(
    journal: Journal,
    fact_name: str,
    registration: Registration,
    actor: str | None,
    *,
    previous_status: RegistrationStatus | None = None,
    reason: str | None = None,
    step: ValidationStep | None = None,
    moved_to: tuple[uuid.UUID, uuid.UUID] | None = None,
) -> None:
    event = fact(
        fact_name,
        registration,
        actor,
        request_id.get(),
        previous_status=previous_status,
        reason=reason,
        step=step,
        moved_to=moved_to,
    )
    await journal.record_event(event)


async def announce_event_registration(
    db: AsyncSession, row: EventRegistrationRow, change: EventChange, actor: str | None
) -> None:
    """`event_registration.<fact>` of one change of the event registration `row`."""
    data = EventRegistrationData(
        **EventRegistration.model_validate(row).model_dump(),
        user=RegistrationUser.model_validate(row["user"]),
        previous_status=change.before.status if change.before else None,
        reason=change.reason,
        actor=actor,
    )
    event = new_event(
        SERVICE,
        f"event_registration.{change.fact}",
        data,
        subject=str(row["id"]),
        request_id=request_id.get(),
    )
    await store.record_event(db, event)


async def announce_presence(db: AsyncSession, presence: Presence, change: PresenceChange) -> None:
    """`attendance.recorded` of one presence changed; its subject is the event."""
    data = PresenceData(
        **presence.model_dump(), previous_status=change.previous_status, actor=change.actor
    )
    event = new_event(
        SERVICE,
        "attendance.recorded",
        data,
        subject=str(presence.event_id),
        request_id=request_id.get(),
    )
    await store.record_event(db, event)


async def announce_validated(
    db: AsyncSession, event_id: uuid.UUID, session_id: uuid.UUID, counts: PresenceCounts
) -> None:
    """`attendance.validated` of an event's attendance locked."""
    data = AttendanceValidatedData(event_id=event_id, session_id=session_id, counts=counts)
    event = new_event(
        SERVICE,
        "attendance.validated",
        data,
        subject=str(event_id),
        request_id=request_id.get(),
    )
    await store.record_event(db, event)


def confirmation_command(
    registration: Registration, token: str, expires_at: datetime
) -> CloudEvent:
    """The `notification.send_confirmation` command with the token only the learner gets."""
    command = SendConfirmation(registration=registration, token=token, expires_at=expires_at)
    return new_event(SERVICE, SEND_CONFIRMATION, command, subject=str(registration.id))


def certificate_command(
    registration: Registration, certificate_id: uuid.UUID, public_url: str
) -> CloudEvent:
    """The `notification.certificate_available` command: the learner's download link."""
    url = f"{public_url.rstrip('/')}/api/registrations/{registration.id}/certificate"
    command = CertificateAvailable(
        registration=registration, certificate_id=certificate_id, certificate_url=url
    )
    return new_event(SERVICE, CERTIFICATE_AVAILABLE, command, subject=str(registration.id))
