"""Notification use cases: one transaction each.

A consumer's use case records the event in the inbox (dedupe on its id), updates the replicas, and
writes the notices it yields — inbox messages and pending emails, each under its delivery key —
in the same transaction. The sender loop (sender.py) sends the emails after commit.
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parseaddr
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification import domain, store, templates
from notification.calendar import invitation
from notification.domain import Audience, Channel, DeliveryStatus, Notice, Recipient
from shared.auth import Principal
from shared.bounds import Body, Title
from shared.db import transaction
from shared.events import (
    CloudEvent,
    EventData,
    EventRegistrationData,
    RegistrationData,
    SendConfirmation,
    SessionData,
)
from shared.listing import Listing
from shared.messaging import first_delivery
from shared.problems import forbidden, not_found

REGISTRATIONS = "notification.registrations"
EVENT_REGISTRATIONS = "notification.event-registrations"
SESSIONS = "notification.sessions"
EVENTS = "notification.events"
CONFIRMATIONS = "notification.confirmations"


class NotKnownYet(Exception):
    """A fact about a session or event whose catalog event has not arrived yet: retried later
    (the consumer's back-off), told without those details on the last attempt."""


class InboxMessage(BaseModel):
    id: uuid.UUID
    subject: str
    body: str
    kind: str
    created_at: datetime
    read_at: datetime | None
    ref: dict[str, str] | None


class InboxPage(BaseModel):
    items: list[InboxMessage]
    total: int
    unread: int


class MessageRequest(BaseModel):
    """`POST /api/messages`: a manager's or tutor's message to a session's learners."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "session_id": "6f1c2a4e-8a53-4d1e-9f0b-2b7f3c9d1a10",
                    "subject": "Salle changée",
                    "body": "La séance de demain a lieu en salle 4.",
                    "channels": ["internal", "email"],
                }
            ]
        }
    )

    session_id: uuid.UUID
    subject: Title
    body: Body
    channels: list[Channel]
    audience: Audience = "confirmed"

    @field_validator("channels")
    @classmethod
    def _one_of_the_choices(cls, channels: list[Channel]) -> list[Channel]:
        if tuple(channels) not in domain.CHANNEL_CHOICES:
            raise ValueError('must be ["internal"], ["email"] or ["internal", "email"]')
        return channels


class MessageAccepted(BaseModel):
    id: uuid.UUID
    recipients: int


class DeliveryCounts(BaseModel):
    pending: int = 0
    sent: int = 0
    captured: int = 0
    failed: int = 0


class MessageReport(BaseModel):
    id: uuid.UUID
    session_id: uuid.UUID
    sender_id: str
    subject: str
    channels: list[Channel]
    audience: Audience
    recipients: int
    internal: int
    deliveries: DeliveryCounts
    created_at: datetime


class Delivery(BaseModel):
    id: uuid.UUID
    user_id: str
    recipient: str
    kind: str
    subject: str
    body: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    calendar: bool
    session_message_id: uuid.UUID | None
    next_attempt_at: datetime
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int


def session_view(row: dict[str, Any] | None) -> domain.SessionView | None:
    if row is None:
        return None
    return domain.SessionView(
        id=row["id"],
        title=row["title"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        location=row["location"],
        organizations=tuple(row["organizations"]),
        tutors=tuple(row["tutors"]),
        validators=tuple(row["validators"]),
        status=row["status"],
        version=row["version"],
    )


def _event_view(row: dict[str, Any] | None) -> domain.EventView | None:
    if row is None or row["deleted"]:
        return None
    zone = timezone(timedelta(minutes=row["utc_offset_minutes"]))
    return domain.EventView(
        id=row["id"],
        session_id=row["session_id"],
        title=row["title"],
        start=row["start"].astimezone(zone),
        end=row["end"].astimezone(zone),
        location=row["location"],
        version=row["version"],
    )


def _offset_minutes(moment: datetime) -> int:
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)


def _recipient(row: dict[str, Any]) -> Recipient:
    locale = row["locale"] if row["locale"] in ("fr", "en") else domain.DEFAULT_LOCALE
    return Recipient(row["user_id"], row["email"] or None, row["name"], locale)


def _roster(rows: Iterable[dict[str, Any]]) -> list[domain.RosterEntry]:
    return [
        domain.RosterEntry(row["id"], _recipient(row), row["status"], row["reason"]) for row in rows
    ]


class Notifications:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        public_url: str = "http://127.0.0.1:8080",
        mail_from: str = "no-reply@training.local",
    ) -> None:
        self._sessions = sessions
        self._public_url = public_url
        self._organizer = parseaddr(mail_from)[1] or "no-reply@training.local"

    # --- writing notices --------------------------------------------------------------------

    async def _deliver(
        self,
        db: AsyncSession,
        notices: Sequence[Notice],
        *,
        session_message_id: uuid.UUID | None = None,
    ) -> None:
        now = datetime.now(UTC)
        for notice in notices:
            words = templates.render(notice)
            for channel in notice.channels:
                if channel == "internal":
                    await store.add_message(
                        db,
                        {
                            "id": uuid.uuid4(),
                            "user_id": notice.recipient.user_id,
                            "subject": words.subject,
                            "body": words.body,
                            "kind": notice.kind,
                            "ref": dict(notice.ref),
                            "delivery_key": notice.key("internal"),
                            "session_message_id": session_message_id,
                        },
                    )
                elif notice.recipient.email:
                    calendar = None
                    if notice.calendar is not None:
                        calendar = invitation(notice.calendar, organizer=self._organizer, now=now)
                    await store.add_delivery(
                        db,
                        {
                            "id": uuid.uuid4(),
                            "delivery_key": notice.key("email"),
                            "user_id": notice.recipient.user_id,
                            "recipient": notice.recipient.email,
                            "kind": notice.kind,
                            "subject": words.subject,
                            "text_body": words.text,
                            "html_body": words.html,
                            "calendar": calendar,
                            "session_message_id": session_message_id,
                            "status": "pending",
                            "next_attempt_at": now,
                        },
                    )

    # --- replicas and facts -----------------------------------------------------------------

    async def replicate_session(self, event: CloudEvent) -> None:
        """catalog.session.*: keep the session; a cancellation or new dates reach its learners."""
        data = SessionData.model_validate(event.data)
        fact = event.type.removeprefix("catalog.session.")
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, SESSIONS, event.id):
                return
            before = session_view(await store.session_by_id(db, data.id, lock=True))
            values = {
                "id": data.id,
                "training_id": data.training_id,
                "title": data.title,
                "start_date": data.start_date,
                "end_date": data.end_date,
                "location": data.location,
                "organizations": data.organizations,
                "tutors": data.tutors,
                "validators": data.validators,
                "status": "deleted" if fact == "deleted" else data.status,
                "version": data.version,
            }
            await store.save_session(db, values)
            incoming = session_view(values)
            assert incoming is not None
            current = before if before and before.version > incoming.version else incoming
            notices: list[Notice] = []
            if fact == "cancelled" or (
                data.status == "cancelled" and (before is None or before.status != "cancelled")
            ):
                entries = _roster(await store.roster(db, data.id))
                notices = domain.session_cancelled_notices(current, entries, data.cancel_reason)
            elif fact == "updated":
                entries = _roster(await store.roster(db, data.id, domain.ACTIVE))
                notices = domain.session_rescheduled_notices(before, incoming, entries)
            await self._deliver(db, notices)

    async def replicate_event(self, event: CloudEvent) -> None:
        """catalog.event.*: title, times and place, for event registration emails."""
        data = EventData.model_validate(event.data)
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, EVENTS, event.id):
                return
            await store.save_event(
                db,
                {
                    "id": data.id,
                    "session_id": data.session_id,
                    "title": data.title,
                    "start": data.start,
                    "end": data.end,
                    "location": data.location,
                    "utc_offset_minutes": _offset_minutes(data.start),
                    "deleted": event.type == "catalog.event.deleted",
                    "version": data.version,
                },
            )

    async def _keep_registration(self, db: AsyncSession, data: RegistrationData) -> None:
        user = data.user
        await store.save_registration(
            db,
            {
                "id": data.id,
                "session_id": data.session_id,
                "user_id": user.id,
                "email": user.email,
                "name": user.name,
                "locale": user.locale,
                "status": data.status,
                "reason": data.reason,
                "version": data.version,
            },
        )
        await store.save_contact(
            db,
            {
                "user_id": user.id,
                "email": user.email,
                "name": user.name,
                "locale": user.locale,
                "as_of": data.updated_at,
            },
        )

    async def _session_for(
        self, db: AsyncSession, session_id: uuid.UUID, *, last_chance: bool
    ) -> domain.SessionView | None:
        session = session_view(await store.session_by_id(db, session_id))
        if session is None and not last_chance:
            raise NotKnownYet(f"session {session_id} is not known yet")
        return session

    async def on_registration_fact(self, event: CloudEvent, *, last_chance: bool = True) -> None:
        """registration.*: the roster and contacts, then the learner's (and validators') notices."""
        data = RegistrationData.model_validate(event.data)
        fact = event.type.removeprefix("registration.")
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, REGISTRATIONS, event.id):
                return
            session = await self._session_for(db, data.session_id, last_chance=last_chance)
            known = await store.registration_state(db, data.id)
            await self._keep_registration(db, data)
            validators = list(session.validators) if session else []
            contacts = {
                user_id: _recipient(row)
                for user_id, row in (await store.contacts_of(db, validators)).items()
            }
            notices = domain.registration_notices(
                fact,
                event.id,
                data,
                session,
                known_version=known[0] if known else None,
                contacts=contacts,
            )
            await self._deliver(db, notices)

    async def send_confirmation(self, event: CloudEvent, *, last_chance: bool = True) -> None:
        """notification.send_confirmation: the email (and inbox message) with the link."""
        command = SendConfirmation.model_validate(event.data)
        registration = RegistrationData.model_validate(command.registration.model_dump())
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, CONFIRMATIONS, event.id):
                return
            session = await self._session_for(db, registration.session_id, last_chance=last_chance)
            known = await store.registration_state(db, registration.id)
            await self._keep_registration(db, registration)
            if (
                known is not None
                and known[0] > registration.version
                and known[1] not in (domain.ACTIVE)
            ):
                return  # it ended meanwhile: a link to confirm it would only mislead
            notice = domain.confirmation_notice(event.id, command, session, self._public_url)
            await self._deliver(db, [notice])

    async def on_event_registration_fact(
        self, event: CloudEvent, *, last_chance: bool = True
    ) -> None:
        data = EventRegistrationData.model_validate(event.data)
        fact = event.type.removeprefix("event_registration.")
        async with transaction(self._sessions) as db:
            if not await first_delivery(db, store.inbox, EVENT_REGISTRATIONS, event.id):
                return
            event_row = await store.event_by_id(db, data.event_id)
            if event_row is None and not last_chance:
                raise NotKnownYet(f"event {data.event_id} is not known yet")
            session = session_view(await store.session_by_id(db, data.session_id))
            contact = None
            if data.user is not None:
                user = data.user
                await store.save_contact(
                    db,
                    {
                        "user_id": user.id,
                        "email": user.email,
                        "name": user.name,
                        "locale": user.locale,
                        "as_of": data.updated_at,
                    },
                )
            else:
                found = (await store.contacts_of(db, [data.user_id])).get(data.user_id)
                contact = _recipient(found) if found else None
            notices = domain.event_registration_notices(
                fact, event.id, data, _event_view(event_row), session, contact
            )
            await self._deliver(db, notices)

    # --- managers' messages -----------------------------------------------------------------

    async def post_message(self, sender: Principal, request: MessageRequest) -> MessageAccepted:
        async with transaction(self._sessions) as db:
            session = session_view(await store.session_by_id(db, request.session_id))
            if session is None or session.status == "deleted":
                raise not_found("session", request.session_id)
            if not (
                sender.manages_training_of(session.organizations) or sender.sub in session.tutors
            ):
                raise forbidden("Only a manager or tutor of the session may message its learners.")
            statuses = domain.audience_statuses(request.audience)
            entries = _roster(await store.roster(db, session.id, statuses))
            message_id = uuid.uuid4()
            channels: tuple[Channel, ...] = tuple(request.channels)
            notices = domain.session_message_notices(
                message_id,
                session,
                request.subject,
                request.body,
                channels,
                entries,
                sender.name or sender.sub,
            )
            await store.add_session_message(
                db,
                {
                    "id": message_id,
                    "session_id": session.id,
                    "sender_id": sender.sub,
                    "subject": request.subject,
                    "body": request.body,
                    "channels": list(channels),
                    "audience": request.audience,
                    "recipients": len(entries),
                },
            )
            await self._deliver(db, notices, session_message_id=message_id)
        return MessageAccepted(id=message_id, recipients=len(entries))

    async def message_report(self, reader: Principal, message_id: uuid.UUID) -> MessageReport:
        async with self._sessions() as db:
            message = await store.session_message(db, message_id)
            if message is None:
                raise not_found("message", message_id)
            session = session_view(await store.session_by_id(db, message["session_id"]))
            manager = session is not None and reader.manages_training_of(session.organizations)
            if not (message["sender_id"] == reader.sub or reader.is_platform_admin or manager):
                raise forbidden("Only its sender or a manager of the session may read it.")
            internal, by_status = await store.session_message_counts(db, message_id)
        return MessageReport(
            id=message["id"],
            session_id=message["session_id"],
            sender_id=message["sender_id"],
            subject=message["subject"],
            channels=message["channels"],
            audience=message["audience"],
            recipients=message["recipients"],
            internal=internal,
            deliveries=DeliveryCounts(**by_status),
            created_at=message["created_at"],
        )

    async def deliveries(
        self,
        reader: Principal,
        listing: Listing,
        *,
        user_id: str | None = None,
        status: DeliveryStatus | None = None,
        kind: str | None = None,
    ) -> DeliveryPage:
        if not reader.is_platform_admin:
            raise forbidden("Only a platform admin may read the email log.")
        async with self._sessions() as db:
            rows, total = await store.deliveries_page(
                db, listing, user_id=user_id, status=status, kind=kind
            )
        items = [
            Delivery.model_validate(
                {
                    **row,
                    "body": domain.redact_tokens(row["text_body"]),
                    "calendar": row["calendar"] is not None,
                }
            )
            for row in rows
        ]
        return DeliveryPage(items=items, total=total)

    # --- inbox ------------------------------------------------------------------------------

    async def inbox(
        self, reader: Principal, *, unread_only: bool, limit: int, offset: int
    ) -> InboxPage:
        async with self._sessions() as db:
            rows, total, unread = await store.messages_of(
                db, reader.sub, unread_only=unread_only, limit=limit, offset=offset
            )
        items = [InboxMessage.model_validate(row) for row in rows]
        return InboxPage(items=items, total=total, unread=unread)

    async def mark_read(self, reader: Principal, message_id: uuid.UUID) -> InboxMessage:
        async with transaction(self._sessions) as db:
            owner = await store.message_owner(db, message_id)
            if owner is None:
                raise not_found("message", message_id)
            if owner != reader.sub:
                raise forbidden("Only the recipient may mark a message read.")
            row = await store.mark_read(db, message_id, datetime.now(UTC))
        return InboxMessage.model_validate(row)
