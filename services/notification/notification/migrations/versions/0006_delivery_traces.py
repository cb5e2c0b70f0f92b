"""the trace context of the fact that wrote each email (W3C `traceparent`, and `tracestate`
when there is one), so that sending it continues that trace

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("traceparent", sa.String(length=55), nullable=True))
    op.add_column("deliveries", sa.Column("tracestate", sa.String(length=512), nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "tracestate")
    op.drop_column("deliveries", "traceparent")
