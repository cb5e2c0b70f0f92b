"""a certificate's `certificate_announced_at`: when `notification.certificate_available` was
written for it (null until then, and for certificates issued before this revision); a certificate
downloaded before the completion is decided exists without having been announced

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "certificates",
        sa.Column("certificate_announced_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("certificates", "certificate_announced_at")
