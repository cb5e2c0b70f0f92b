"""Notification's use cases, one module per family: `facts` (what the consumers record and tell;
the registration facts in batches, `registration_facts`), `inbox`, `messages` (managers' messages
and their report), `deliveries` (the email log), `calendar_feeds` (a person's feed),
`preferences` (email preferences, unsubscribe); `notices` writes what they tell, `views` reads
the replicas as the domain sees them.

`Notifications` is the one facade the routes and consumers call: it holds what the use cases
need (the database, the letterhead) and adds nothing of its own.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notification.domain import DeliveryStatus
from notification.preferences import EmailPreferences
from notification.records import DeliverySlice, InboxRow, InboxSlice
from notification.use_cases import (
    calendar_feeds,
    deliveries,
    facts,
    inbox,
    messages,
    preferences,
    registration_facts,
)
from notification.use_cases.calendar_feeds import Feed
from notification.use_cases.messages import Message, Posted, Report
from notification.use_cases.notices import Letterhead
from notification.use_cases.preferences import Unsubscription
from notification.use_cases.registration_facts import Heard
from shared.auth import Principal
from shared.events import CloudEvent
from shared.listing import Listing
from shared.messaging.batches import Outcomes


class Notifications:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], letterhead: Letterhead = Letterhead()
    ) -> None:
        self._sessions = sessions
        self._letterhead = letterhead

    # --- facts ------------------------------------------------------------------------------

    async def replicate_session(self, event: CloudEvent) -> None:
        """catalog.session.*: keep the session; a cancellation or new dates reach its learners."""
        await facts.replicate_session(self._sessions, self._letterhead, event)

    async def replicate_event(self, event: CloudEvent) -> None:
        """catalog.event.*: title, times and place; a change or deletion reaches its learners."""
        await facts.replicate_event(self._sessions, self._letterhead, event)

    async def on_registration_facts(self, heard: Sequence[Heard]) -> Outcomes:
        """registration.* in a batch: the roster and contacts, then the learners' (and
        validators') notices; the outcome of each fact."""
        return await registration_facts.on_registration_facts(
            self._sessions, self._letterhead, heard
        )

    async def send_confirmation(self, event: CloudEvent, *, last_chance: bool = True) -> None:
        """notification.send_confirmation: the email (and inbox message) with the link."""
        await facts.send_confirmation(
            self._sessions, self._letterhead, event, last_chance=last_chance
        )

    async def certificate_available(self, event: CloudEvent, *, last_chance: bool = True) -> None:
        """notification.certificate_available: the learner's message and email with the link."""
        await facts.certificate_available(
            self._sessions, self._letterhead, event, last_chance=last_chance
        )

    async def on_event_registration_fact(
        self, event: CloudEvent, *, last_chance: bool = True
    ) -> None:
        await facts.on_event_registration_fact(
            self._sessions, self._letterhead, event, last_chance=last_chance
        )

    # --- managers' messages and the email log -----------------------------------------------

    async def post_message(self, sender: Principal, message: Message) -> Posted:
        return await messages.post_message(self._sessions, self._letterhead, sender, message)

    async def message_report(self, reader: Principal, message_id: uuid.UUID) -> Report:
        return await messages.message_report(self._sessions, reader, message_id)

    async def deliveries(
        self,
        reader: Principal,
        listing: Listing,
        *,
        user_id: str | None = None,
        status: DeliveryStatus | None = None,
        kind: str | None = None,
    ) -> DeliverySlice:
        return await deliveries.deliveries(
            self._sessions, reader, listing, user_id=user_id, status=status, kind=kind
        )

    # --- inbox ------------------------------------------------------------------------------

    async def inbox(
        self, reader: Principal, *, unread_only: bool, limit: int, offset: int
    ) -> InboxSlice:
        return await inbox.inbox(
            self._sessions, reader, unread_only=unread_only, limit=limit, offset=offset
        )

    async def mark_read(self, reader: Principal, message_id: uuid.UUID) -> InboxRow:
        return await inbox.mark_read(self._sessions, reader, message_id)

    # --- a person's calendar feed and email preferences -------------------------------------

    async def calendar_url(self, reader: Principal) -> str:
        return await calendar_feeds.feed_url(self._sessions, self._letterhead.links, reader)

    async def rotate_calendar(self, reader: Principal) -> str:
        return await calendar_feeds.rotate_feed(self._sessions, self._letterhead.links, reader)

    async def calendar_feed(self, secret: str) -> Feed:
        return await calendar_feeds.feed(self._sessions, secret)

    async def preferences(self, reader: Principal) -> EmailPreferences:
        return await preferences.preferences(self._sessions, reader)

    async def set_preferences(
        self, reader: Principal, chosen: EmailPreferences
    ) -> EmailPreferences:
        return await preferences.set_preferences(self._sessions, reader, chosen)

    async def unsubscription(self, token: str, *, confirm: bool) -> Unsubscription:
        return await preferences.unsubscription(self._sessions, token, confirm=confirm)
