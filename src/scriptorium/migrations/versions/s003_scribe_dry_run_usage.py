"""scribe dry-run usage: scribe_usage rows without an email, tied to the queue item that spent the tokens

A dry run (a deployment probe) stores no email, so its token usage could not be recorded. `email_id` becomes
nullable, `dry_run` marks a probe's rows (a CHECK keeps `email_id` required for every other row), and
`queue_item_id` names the run, so retention deletes a probe's usage with its queue item (ON DELETE CASCADE).
Indexes: `queue_item_id` for that cascade, `(dry_run, created_at)` for the admin overview's dry-run figure.
Existing rows are real runs (`dry_run` defaults to false) with no queue item recorded.

Revision ID: s003
Revises: s002
Create Date: 2026-11-22 17:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s003"
down_revision: str | None = "s002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scribe_usage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_item_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.alter_column("email_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_foreign_key(
            op.f("fk_scribe_usage_queue_item_id_scribe_queue_items"),
            "scribe_queue_items",
            ["queue_item_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_check_constraint(op.f("ck_scribe_usage_email"), sa.text("dry_run OR email_id IS NOT NULL"))
        batch_op.create_index("ix_scribe_usage_queue_item_id", ["queue_item_id"], unique=False)
        batch_op.create_index("ix_scribe_usage_dry_run_created_at", ["dry_run", "created_at"], unique=False)


def downgrade() -> None:
    # A dry run's usage has no email and cannot exist under the old schema; it describes probes, not user data.
    op.execute(sa.text("DELETE FROM scribe_usage WHERE email_id IS NULL"))
    with op.batch_alter_table("scribe_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_usage_dry_run_created_at")
        batch_op.drop_index("ix_scribe_usage_queue_item_id")
        batch_op.drop_constraint(op.f("ck_scribe_usage_email"), type_="check")
        batch_op.drop_constraint(op.f("fk_scribe_usage_queue_item_id_scribe_queue_items"), type_="foreignkey")
        batch_op.alter_column("email_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("dry_run")
        batch_op.drop_column("queue_item_id")
