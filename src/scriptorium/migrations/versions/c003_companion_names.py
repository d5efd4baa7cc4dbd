"""companion name index (text-level spoiler gate) and entity summaries as of a page

Revision ID: c003
Revises: c002
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c003"
down_revision: str | None = "c002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companion_names",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("debut_index", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["companion_series.id"],
            name=op.f("fk_companion_names_series_id_companion_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companion_names")),
        sa.UniqueConstraint("series_id", "name", name="uq_companion_names_series_name"),
    )
    with op.batch_alter_table("companion_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_companion_names_series_id"), ["series_id"], unique=False)
    with op.batch_alter_table("companion_entities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary_versions", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("companion_entities", schema=None) as batch_op:
        batch_op.drop_column("summary_versions")
    with op.batch_alter_table("companion_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companion_names_series_id"))
    op.drop_table("companion_names")
