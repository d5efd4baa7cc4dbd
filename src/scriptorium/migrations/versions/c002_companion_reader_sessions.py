"""companion reader sessions and chat messages

Revision ID: c002
Revises: c001
Create Date: 2026-11-22 13:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scriptorium.core.db

revision: str = "c002"
down_revision: str | None = "c001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companion_reader_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("reader_id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("episode_id", sa.String(length=32), nullable=False),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("current_page", sa.Integer(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["companion_episodes.id"],
            name=op.f("fk_companion_reader_sessions_episode_id_companion_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["companion_series.id"],
            name=op.f("fk_companion_reader_sessions_series_id_companion_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companion_reader_sessions")),
    )
    with op.batch_alter_table("companion_reader_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_companion_reader_sessions_episode_id"), ["episode_id"], unique=False)
        batch_op.create_index(
            "ix_companion_reader_sessions_reader_episode", ["reader_id", "episode_id", "updated_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_companion_reader_sessions_series_id"), ["series_id"], unique=False)

    op.create_table(
        "companion_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("cursor_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("retrieved_doc_ids", sa.JSON(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("token_counts", sa.JSON(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["companion_reader_sessions.id"],
            name=op.f("fk_companion_messages_session_id_companion_reader_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companion_messages")),
    )
    with op.batch_alter_table("companion_messages", schema=None) as batch_op:
        batch_op.create_index("ix_companion_messages_session_created", ["session_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("companion_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_companion_messages_session_created")
    op.drop_table("companion_messages")
    with op.batch_alter_table("companion_reader_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companion_reader_sessions_series_id"))
        batch_op.drop_index("ix_companion_reader_sessions_reader_episode")
        batch_op.drop_index(batch_op.f("ix_companion_reader_sessions_episode_id"))
    op.drop_table("companion_reader_sessions")
