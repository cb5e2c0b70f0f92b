"""offers, windows and answers: a seat offered from the waitlist until `offer_expires_at`, the
learner's answers to a session's questions, and the session replica's registration window;
`offered` counts as active (it holds a seat)

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

WAS_ACTIVE = "status IN ('pending', 'confirmed', 'waitlisted')"
ACTIVE = "status IN ('pending', 'confirmed', 'waitlisted', 'offered')"
WINDOW = ("registration_opens_at", "registration_closes_at", "unregistration_closes_at")
OFFER_DUE = "offer_expires_at IS NOT NULL AND status = 'offered'"


def _active_indexes(active: str) -> None:
    op.create_index(
        "registrations_one_active_per_user",
        "registrations",
        ["session_id", "user_id"],
        unique=True,
        postgresql_where=sa.text(active),
    )
    op.create_index(
        "registrations_due",
        "registrations",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text(f"expires_at IS NOT NULL AND {active}"),
    )


def _drop_active_indexes() -> None:
    op.drop_index("registrations_due", table_name="registrations")
    op.drop_index("registrations_one_active_per_user", table_name="registrations")


def upgrade() -> None:
    for column in WINDOW:
        op.add_column("sessions", sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "registrations", sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "registrations",
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.create_check_constraint(
        "offered_have_a_deadline",
        "registrations",
        "(status = 'offered') = (offer_expires_at IS NOT NULL)",
    )
    _drop_active_indexes()
    _active_indexes(ACTIVE)
    op.create_index(
        "registrations_offer_due",
        "registrations",
        ["offer_expires_at"],
        unique=False,
        postgresql_where=sa.text(OFFER_DUE),
    )


def downgrade() -> None:
    op.drop_index("registrations_offer_due", table_name="registrations")
    _drop_active_indexes()
    _active_indexes(WAS_ACTIVE)
    op.drop_constraint("offered_have_a_deadline", "registrations", type_="check")
    op.drop_column("registrations", "answers")
    op.drop_column("registrations", "offer_expires_at")
    for column in reversed(WINDOW):
        op.drop_column("sessions", column)
