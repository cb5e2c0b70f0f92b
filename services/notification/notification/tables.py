"""Notification's tables: its inbox, the replicas of what the other services announce, the
emails and managers' messages it owns, each user's feed, preferences and unsubscribe links, the
reminders' schedule. The queries on them are in `store` (and `reminder_store`)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from notification.domain import DELIVERY_STATUSES
from notification.preferences import CATEGORIES
from shared.db import JSON_DOCUMENT
from shared.idempotency import idempotency_table
from shared.messaging import inbox_table

metadata = MetaData()


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


messages = Table(
    "inbox_messages",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("ref", JSON_DOCUMENT, nullable=True),
    Column("delivery_key", String(300), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("read_at", DateTime(timezone=True), nullable=True),
    Column("session_message_id", UUID(as_uuid=True), nullable=True),
)
Index("inbox_messages_user_created", messages.c.user_id, messages.c.created_at.desc())
Index("inbox_messages_session_message", messages.c.session_message_id)

inbox = inbox_table(metadata)
idempotency_keys = idempotency_table(metadata)

# --- replicas of what other services announce -----------------------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("location", Text, nullable=True),
    Column("organizations", JSONB, nullable=False),
    Column("tutors", JSONB, nullable=False),
    Column("validators", JSONB, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("replicated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reminder_hours", JSONB, nullable=False, server_default=text("'[24]'")),
)

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("location", Text, nullable=True),
    # the offset the catalog gave its times in, to show them to learners as it did
    Column("utc_offset_minutes", Integer, nullable=False, server_default="0"),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("version", Integer, nullable=False),
    Column("replicated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("locale", String(5), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("replicated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("registrations_session_status", registrations.c.session_id, registrations.c.status)

event_registrations = Table(
    "event_registrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("replicated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index(
    "event_registrations_event_status", event_registrations.c.event_id, event_registrations.c.status
)
# a user's calendar feed: the events they are registered to
Index(
    "event_registrations_user_status", event_registrations.c.user_id, event_registrations.c.status
)

contacts = Table(
    "contacts",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("email", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("locale", String(5), nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
)

# --- what notification owns -----------------------------------------------------------------

session_messages = Table(
    "session_messages",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("sender_id", String(200), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("channels", JSONB, nullable=False),
    Column("audience", String(20), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("delivery_key", String(300), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("recipient", Text, nullable=False),
    Column("kind", String(100), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=False),
    Column("calendar", Text, nullable=True),
    Column("session_message_id", UUID(as_uuid=True), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # an optional email's: the preference that may suppress it, the one its unsubscribe link ends
    Column("category", String(20), nullable=True),
    # the trace context of the fact that wrote it: sending it continues that trace
    Column("traceparent", String(55), nullable=True),
    Column("tracestate", String(512), nullable=True),
    UniqueConstraint("delivery_key", name="deliveries_delivery_key_key"),
    CheckConstraint(f"status IN ({_quoted(DELIVERY_STATUSES)})", name="deliveries_status"),
    CheckConstraint(
        f"category IS NULL OR category IN ({_quoted(CATEGORIES)})", name="deliveries_category"
    ),
)
Index(
    "deliveries_due",
    deliveries.c.next_attempt_at,
    postgresql_where=deliveries.c.status == "pending",
)
Index("deliveries_user_created", deliveries.c.user_id, deliveries.c.created_at)
Index("deliveries_session_message", deliveries.c.session_message_id)

# --- what each user has of their own: a calendar feed, email preferences, unsubscribe links --

calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("user_id", String(200), primary_key=True),
    # the feed's secret is derived from the user and this (links.py); only its hash is kept
    Column("rotation", Integer, nullable=False, server_default="0"),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("secret_hash", name="calendar_feeds_secret_hash_key"),
)

email_preferences = Table(
    "email_preferences",
    metadata,
    Column("user_id", String(200), primary_key=True),
    *(Column(category, Boolean, nullable=False, server_default=true()) for category in CATEGORIES),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

unsubscribe_links = Table(
    "unsubscribe_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", String(200), nullable=False),
    Column("category", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"category IN ({_quoted(CATEGORIES)})", name="unsubscribe_links_category"),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("hours", Float(precision=53), nullable=False),
    # the event's start it was planned for: a moved event is a new reminder
    Column("start", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint(
        "event_id", "user_id", "hours", "start", name="reminders_event_user_hours_start_key"
    ),
)
Index("reminders_due", reminders.c.due_at, postgresql_where=reminders.c.status == "pending")
