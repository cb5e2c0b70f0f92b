"""attendance and completion: a presence per registered learner and event (those registered
already get an `unknown` one), the event replica's check-in code and validation time, wrong
check-in tries, a registration's completion and its certificate, and the replicas' titles, dates
and places the reports and PDFs print (null for rows replicated before this revision), with a
replica of trainings

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("title", sa.Text()),
    ("location", sa.Text()),
    ("attendance_validated_at", sa.DateTime(timezone=True)),
    ("check_in_code", sa.Text()),
    ("check_in_code_issued_at", sa.DateTime(timezone=True)),
)
SESSION_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("title", sa.Text()),
    ("start_date", sa.Date()),
    ("end_date", sa.Date()),
    ("location", sa.Text()),
)


def _json() -> postgresql.JSONB[object]:
    return postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    for name, kind in EVENT_COLUMNS:
        op.add_column("events", sa.Column(name, kind, nullable=True))
    for name, kind in SESSION_COLUMNS:
        op.add_column("sessions", sa.Column(name, kind, nullable=True))
    op.add_column("registrations", sa.Column("completion", _json(), nullable=True))
    op.create_table(
        "presences",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("marked_by", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id"),
    )
    op.create_index("presences_session", "presences", ["session_id"], unique=False)
    # Every learner registered to an event before this revision has a presence too.
    op.execute(
        "INSERT INTO presences (event_id, session_id, user_id, status, version)"
        " SELECT event_id, session_id, user_id, 'unknown', 1 FROM event_registrations"
        " WHERE status = 'registered'"
    )
    op.create_table(
        "check_in_wrong_tries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("tried_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "check_in_wrong_tries_recent",
        "check_in_wrong_tries",
        ["event_id", "user_id", "tried_at"],
        unique=False,
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.UUID(), nullable=False),
        sa.Column("registration_id", sa.UUID(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("certificate_id"),
        sa.UniqueConstraint("registration_id", name="certificates_one_per_registration"),
    )
    op.create_table(
        "trainings",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("organizations", _json(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("trainings")
    op.drop_table("certificates")
    op.drop_index("check_in_wrong_tries_recent", table_name="check_in_wrong_tries")
    op.drop_table("check_in_wrong_tries")
    op.drop_index("presences_session", table_name="presences")
    op.drop_table("presences")
    op.drop_column("registrations", "completion")
    for name, _ in reversed(SESSION_COLUMNS):
        op.drop_column("sessions", name)
    for name, _ in reversed(EVENT_COLUMNS):
        op.drop_column("events", name)
