"""Registration's tables, declared once: the session replica and its registrations, the event
replica and its registrations, presences, check-in tries and certificates, the curriculum and
training replicas, and the outbox, inbox and idempotency keys; `store` queries them, the
migrations' `env.py` compares them to the database."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db import JSON_DOCUMENT
from shared.idempotency import idempotency_table
from shared.messaging import inbox_table, outbox_table

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # scheduled, cancelled, deleted
    Column("organizations", JSON_DOCUMENT, nullable=False),
    Column("tutors", JSON_DOCUMENT, nullable=False),
    Column("rules", JSON_DOCUMENT, nullable=False),
    Column("max_users", Integer, nullable=True),
    Column("taken", Integer, nullable=False, server_default="0"),
    Column("waitlisted", Integer, nullable=False, server_default="0"),
    Column("beyond_limit", Integer, nullable=False, server_default="0"),
    Column("default_session", Boolean, nullable=False, server_default="false"),
    Column("registration_opens_at", DateTime(timezone=True), nullable=True),
    Column("registration_closes_at", DateTime(timezone=True), nullable=True),
    Column("unregistration_closes_at", DateTime(timezone=True), nullable=True),
    # What the reports and PDFs print; null for rows replicated before they were kept.
    Column("title", Text, nullable=True),
    Column("start_date", Date, nullable=True),
    Column("end_date", Date, nullable=True),
    Column("location", Text, nullable=True),
    CheckConstraint("taken >= 0 AND waitlisted >= 0", name="seats_not_negative"),
    CheckConstraint(
        "beyond_limit >= 0 AND (max_users IS NULL OR taken - beyond_limit <= max_users)",
        name="seats_within_limit",
    ),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("user", JSON_DOCUMENT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("pending_validations", JSON_DOCUMENT, nullable=False),
    Column("waitlist_position", Integer, nullable=True),
    Column("forced", Boolean, nullable=False, server_default="false"),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("requested_by", String(200), nullable=True),
    Column("validations_given", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("confirmation_hash", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("offer_expires_at", DateTime(timezone=True), nullable=True),
    Column("answers", JSON_DOCUMENT, nullable=False, server_default=text("'{}'")),
    Column("completion", JSON_DOCUMENT, nullable=True),  # shared.events.Completion as JSON
    CheckConstraint(
        "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
        name="waitlisted_have_a_position",
    ),
    CheckConstraint(
        "waitlist_position IS NULL OR waitlist_position >= 1", name="waitlist_position_positive"
    ),
    CheckConstraint(
        "(status = 'offered') = (offer_expires_at IS NOT NULL)", name="offered_have_a_deadline"
    ),
)
# An offered registration holds a seat: it is active.
ACTIVE_SQL = "status IN ('pending', 'confirmed', 'waitlisted', 'offered')"
Index(
    "registrations_one_active_per_user",
    registrations.c.session_id,
    registrations.c.user_id,
    unique=True,
    postgresql_where=text(ACTIVE_SQL),
)
Index("registrations_user", registrations.c.user_id)
Index("registrations_session_status", registrations.c.session_id, registrations.c.status)
Index(
    "registrations_due",
    registrations.c.expires_at,
    postgresql_where=text(f"expires_at IS NOT NULL AND {ACTIVE_SQL}"),
)
Index(
    "registrations_offer_due",
    registrations.c.offer_expires_at,
    postgresql_where=text("offer_expires_at IS NOT NULL AND status = 'offered'"),
)

outbox = outbox_table(metadata)
idempotency_keys = idempotency_table(metadata)
inbox = inbox_table(metadata)

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("training_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active, deleted (a tombstone)
    Column("registration_mode", String(16), nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("organizations", JSON_DOCUMENT, nullable=False),
    Column("tutors", JSON_DOCUMENT, nullable=False),
    Column("max_users", Integer, nullable=True),
    Column("taken", Integer, nullable=False, server_default="0"),
    Column("waitlisted", Integer, nullable=False, server_default="0"),
    Column("beyond_limit", Integer, nullable=False, server_default="0"),
    Column("title", Text, nullable=True),
    Column("location", Text, nullable=True),
    Column("attendance_validated_at", DateTime(timezone=True), nullable=True),
    # Managers read the code back, so it is kept as given out (and compared in constant time).
    Column("check_in_code", Text, nullable=True),
    Column("check_in_code_issued_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("taken >= 0 AND waitlisted >= 0", name="event_seats_not_negative"),
    CheckConstraint(
        "beyond_limit >= 0 AND (max_users IS NULL OR taken - beyond_limit <= max_users)",
        name="event_seats_within_limit",
    ),
)
Index("events_session", events.c.session_id)

event_registrations = Table(
    "event_registrations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("registration_id", UUID(as_uuid=True), nullable=False),  # the session registration
    Column("user_id", String(200), nullable=False),
    Column("user", JSON_DOCUMENT, nullable=False),
    Column("status", String(16), nullable=False),
    Column("waitlist_position", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
        name="event_waitlisted_have_a_position",
    ),
    CheckConstraint(
        "waitlist_position IS NULL OR waitlist_position >= 1",
        name="event_waitlist_position_positive",
    ),
)
Index(
    "event_registrations_one_active_per_user",
    event_registrations.c.event_id,
    event_registrations.c.user_id,
    unique=True,
    postgresql_where=text("status IN ('registered', 'waitlisted')"),
)
Index("event_registrations_registration", event_registrations.c.registration_id)
Index("event_registrations_user", event_registrations.c.user_id)

curricula = Table(
    "curricula",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # active, deleted (a tombstone)
    Column("parent_id", UUID(as_uuid=True), nullable=True),
    Column("training_ids", JSON_DOCUMENT, nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("curricula_parent", curricula.c.parent_id)

presences = Table(
    "presences",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", String(200), primary_key=True),
    Column("session_id", UUID(as_uuid=True), nullable=False),
    Column("status", String(24), nullable=False),  # shared.events.PresenceStatus
    Column("note", Text, nullable=True),
    Column("signed_at", DateTime(timezone=True), nullable=True),
    Column("marked_by", String(200), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("presences_session", presences.c.session_id)

check_in_wrong_tries = Table(
    "check_in_wrong_tries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("tried_at", DateTime(timezone=True), nullable=False),
)
Index(
    "check_in_wrong_tries_recent",
    check_in_wrong_tries.c.event_id,
    check_in_wrong_tries.c.user_id,
    check_in_wrong_tries.c.tried_at,
)

certificates = Table(
    "certificates",
    metadata,
    Column("certificate_id", UUID(as_uuid=True), primary_key=True),
    Column("registration_id", UUID(as_uuid=True), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("certificate_announced_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("registration_id", name="certificates_one_per_registration"),
)

trainings = Table(
    "trainings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("code", Text, nullable=True),
    Column("title", Text, nullable=True),
    Column("organizations", JSON_DOCUMENT, nullable=False),
    Column("status", String(16), nullable=False),  # active, deleted (a tombstone)
    Column("created_at", DateTime(timezone=True), nullable=False),
)
