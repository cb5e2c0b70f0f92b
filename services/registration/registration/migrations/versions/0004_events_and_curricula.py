"""event registrations and curricula: replicas of events and curricula, event seats and lines,
and each session's `default_session`

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_ACTIVE = "status IN ('registered', 'waitlisted')"


def upgrade() -> None:
    op.add_column(
        "sessions",
        sa.Column("default_session", sa.Boolean(), server_default="false", nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("training_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registration_mode", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("organizations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tutors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("max_users", sa.Integer(), nullable=True),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlisted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("beyond_limit", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("taken >= 0 AND waitlisted >= 0", name="event_seats_not_negative"),
        sa.CheckConstraint(
            "beyond_limit >= 0 AND (max_users IS NULL OR taken - beyond_limit <= max_users)",
            name="event_seats_within_limit",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("events_session", "events", ["session_id"], unique=False)
    op.create_table(
        "event_registrations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("registration_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("user", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
            name="event_waitlisted_have_a_position",
        ),
        sa.CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position >= 1",
            name="event_waitlist_position_positive",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "event_registrations_one_active_per_user",
        "event_registrations",
        ["event_id", "user_id"],
        unique=True,
        postgresql_where=sa.text(EVENT_ACTIVE),
    )
    op.create_index("event_registrations_registration", "event_registrations", ["registration_id"])
    op.create_index("event_registrations_user", "event_registrations", ["user_id"])
    # One registration per place in an event's line; deferred so a line moves up in one statement.
    op.execute(
        "ALTER TABLE event_registrations ADD CONSTRAINT event_registrations_one_per_position "
        "EXCLUDE USING btree (event_id WITH =, waitlist_position WITH =) "
        "WHERE (status = 'waitlisted') DEFERRABLE INITIALLY DEFERRED"
    )
    op.create_table(
        "curricula",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("training_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("curricula_parent", "curricula", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index("curricula_parent", table_name="curricula")
    op.drop_table("curricula")
    op.drop_table("event_registrations")
    op.drop_index("events_session", table_name="events")
    op.drop_table("events")
    op.drop_column("sessions", "default_session")
