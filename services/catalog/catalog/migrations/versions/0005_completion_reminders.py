"""session rules completion_rate and reminder_hours (trainings and sessions)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # rows already there get the defaults: no completion, a reminder 24 hours before each event
    for table in ("trainings", "sessions"):
        op.add_column(table, sa.Column("completion_rate", sa.Integer(), nullable=True))
        op.add_column(
            table,
            sa.Column("reminder_hours", JSON_LIST, nullable=False, server_default=sa.text("'[24]'")),
        )


def downgrade() -> None:
    for table in ("trainings", "sessions"):
        op.drop_column(table, "reminder_hours")
        op.drop_column(table, "completion_rate")
