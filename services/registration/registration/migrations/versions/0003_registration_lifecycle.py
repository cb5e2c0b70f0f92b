"""registration lifecycle: seats beyond the limit, confirmation tokens, a gap-free waitlist

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('pending', 'confirmed', 'waitlisted')"


def upgrade() -> None:
    op.add_column(
        "sessions", sa.Column("beyond_limit", sa.Integer(), server_default="0", nullable=False)
    )
    op.execute(
        "UPDATE sessions SET beyond_limit = GREATEST(0, taken - max_users) "
        "WHERE max_users IS NOT NULL"
    )
    op.create_check_constraint(
        "seats_within_limit",
        "sessions",
        "beyond_limit >= 0 AND (max_users IS NULL OR taken - beyond_limit <= max_users)",
    )
    op.add_column("registrations", sa.Column("requested_by", sa.String(length=200), nullable=True))
    op.add_column(
        "registrations",
        sa.Column(
            "validations_given",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("registrations", sa.Column("confirmation_hash", sa.Text(), nullable=True))
    op.add_column(
        "registrations", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_check_constraint(
        "waitlisted_have_a_position",
        "registrations",
        "(status = 'waitlisted') = (waitlist_position IS NOT NULL)",
    )
    op.create_check_constraint(
        "waitlist_position_positive",
        "registrations",
        "waitlist_position IS NULL OR waitlist_position >= 1",
    )
    # One registration per place in a session's line; deferred so a line can move up in one
    # statement (checked at commit).
    op.execute(
        "ALTER TABLE registrations ADD CONSTRAINT registrations_one_per_waitlist_position "
        "EXCLUDE USING btree (session_id WITH =, waitlist_position WITH =) "
        "WHERE (status = 'waitlisted') DEFERRABLE INITIALLY DEFERRED"
    )
    op.create_index(
        "registrations_session_status", "registrations", ["session_id", "status"], unique=False
    )
    op.create_index(
        "registrations_due",
        "registrations",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text(f"expires_at IS NOT NULL AND {ACTIVE}"),
    )


def downgrade() -> None:
    op.drop_index(
        "registrations_due",
        table_name="registrations",
        postgresql_where=sa.text(f"expires_at IS NOT NULL AND {ACTIVE}"),
    )
    op.drop_index("registrations_session_status", table_name="registrations")
    op.execute(
        "ALTER TABLE registrations DROP CONSTRAINT registrations_one_per_waitlist_position"
    )
    op.drop_constraint("waitlist_position_positive", "registrations", type_="check")
    op.drop_constraint("waitlisted_have_a_position", "registrations", type_="check")
    op.drop_column("registrations", "expires_at")
    op.drop_column("registrations", "confirmation_hash")
    op.drop_column("registrations", "validations_given")
    op.drop_column("registrations", "requested_by")
    op.drop_constraint("seats_within_limit", "sessions", type_="check")
    op.drop_column("sessions", "beyond_limit")
