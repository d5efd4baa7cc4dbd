"""scribe dry runs: scribe_queue_items.dry_run, and no recipient row for a dry run

A dry run (a deployment probe) goes through the queue and the worker like any email but must leave no trace in the
user's data, so it has no `scribe_recipients` row. `recipient_id` becomes nullable, and a CHECK keeps it required
for every item that is not a dry run. Existing rows are real runs (`dry_run` defaults to false).

Revision ID: s002
Revises: s001
Create Date: 2026-11-22 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s002"
down_revision: str | None = "s001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.alter_column("recipient_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_check_constraint(
            op.f("ck_scribe_queue_items_recipient"), sa.text("dry_run OR recipient_id IS NOT NULL")
        )


def downgrade() -> None:
    # Dry-run items have no recipient and cannot exist under the old schema; they are probes, not user data.
    op.execute(sa.text("DELETE FROM scribe_queue_items WHERE recipient_id IS NULL"))
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scribe_queue_items_recipient"), type_="check")
        batch_op.alter_column("recipient_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("dry_run")
