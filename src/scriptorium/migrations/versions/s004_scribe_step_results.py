"""scribe step results: a queue item keeps its finished steps, so a retried attempt resumes after them

`step_results` (JSON, nullable) holds the template analysis and the evidence an attempt finished, versioned
(see scribe/pipeline/resume.py). It is written as each step finishes and cleared when the item ends, so rows of
finished items stay small. Existing rows have none: their retries run every step, as before.

Revision ID: s004
Revises: s003
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s004"
down_revision: str | None = "s003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("step_results", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Only a running attempt's cache: dropping it makes a retry redo its steps, nothing is lost.
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.drop_column("step_results")
