"""calendar feeds, email preferences and one-click unsubscribe: each user's feed (the hash of
its secret and the rotation it is derived from, never the secret), their email preferences, the
hashes of the unsubscribe tokens given out, the category of an optional email and the
`suppressed` status of the deliveries log

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'pending', 'sent', 'captured', 'failed', 'suppressed'"
CATEGORIES = "'reminders', 'messages', 'changes'"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("rotation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("secret_hash", name="calendar_feeds_secret_hash_key"),
    )
    op.create_table(
        "email_preferences",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("reminders", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("messages", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("changes", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "unsubscribe_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name="unsubscribe_links_category"),
    )
    op.add_column("deliveries", sa.Column("category", sa.String(length=20), nullable=True))
    op.create_check_constraint(
        "deliveries_category", "deliveries", f"category IS NULL OR category IN ({CATEGORIES})"
    )
    op.create_check_constraint("deliveries_status", "deliveries", f"status IN ({STATUSES})")
    # the feed: the events a user is registered to
    op.create_index("event_registrations_user_status", "event_registrations", ["user_id", "status"])


def downgrade() -> None:
    op.drop_index("event_registrations_user_status", table_name="event_registrations")
    op.drop_constraint("deliveries_status", "deliveries", type_="check")
    op.drop_constraint("deliveries_category", "deliveries", type_="check")
    op.drop_column("deliveries", "category")
    op.drop_table("unsubscribe_links")
    op.drop_table("email_preferences")
    op.drop_table("calendar_feeds")
