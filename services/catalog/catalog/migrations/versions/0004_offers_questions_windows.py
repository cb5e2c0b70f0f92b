"""session rules waitlist_offer_hours and questions (trainings and sessions); a session's
registration window

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

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WINDOW = ("registration_opens_at", "registration_closes_at", "unregistration_closes_at")


def upgrade() -> None:
    for table in ("trainings", "sessions"):
        op.add_column(table, sa.Column("waitlist_offer_hours", sa.Float(), nullable=True))
        op.add_column(
            table,
            sa.Column("questions", JSON_LIST, nullable=False, server_default=sa.text("'[]'")),
        )
    for column in WINDOW:
        op.add_column("sessions", sa.Column(column, sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in WINDOW:
        op.drop_column("sessions", column)
    for table in ("trainings", "sessions"):
        op.drop_column(table, "questions")
        op.drop_column(table, "waitlist_offer_hours")
