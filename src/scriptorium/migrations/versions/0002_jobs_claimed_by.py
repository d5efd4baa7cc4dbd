"""jobs.claimed_by: which worker (host:pid) holds a running job's lease

When a lease lapses the sweep returns the job to pending; the log line now names the worker whose lease
lapsed, so an operator can tell a killed worker from a stalled one. Existing rows have no claimant recorded.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
