"""events, comments, curricula; one default session per training

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_LIST = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _versioned() -> list[sa.Column[Any]]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "curricula",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("training_ids", JSON_LIST, nullable=False),
        sa.Column("blocking", sa.Boolean(), nullable=False),
        sa.Column("organizations", JSON_LIST, nullable=False),
        *_versioned(),
        sa.ForeignKeyConstraint(["parent_id"], ["curricula.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("curricula_code_ci", "curricula", [sa.literal_column("lower(code)")], unique=True)
    op.create_index("curricula_parent", "curricula", ["parent_id"], unique=False)
    op.create_foreign_key(
        "sessions_curriculum_id_fkey", "sessions", "curricula", ["curriculum_id"], ["id"]
    )
    op.create_index(
        "sessions_one_default_per_training",
        "sessions",
        ["training_id"],
        unique=True,
        postgresql_where=sa.text("default_session"),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("max_users", sa.Integer(), nullable=True),
        sa.Column("registration_mode", sa.String(length=16), nullable=False),
        *_versioned(),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("events_session", "events", ["session_id"], unique=False)
    op.create_table(
        "comments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.String(length=200), nullable=False),
        sa.Column("author_name", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        *_versioned(),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("comments_event", "comments", ["event_id"], unique=False)


def downgrade() -> None:
    op.drop_index("comments_event", table_name="comments")
    op.drop_table("comments")
    op.drop_index("events_session", table_name="events")
    op.drop_table("events")
    op.drop_index("sessions_one_default_per_training", table_name="sessions")
    op.drop_constraint("sessions_curriculum_id_fkey", "sessions", type_="foreignkey")
    op.drop_index("curricula_parent", table_name="curricula")
    op.drop_index("curricula_code_ci", table_name="curricula")
    op.drop_table("curricula")
