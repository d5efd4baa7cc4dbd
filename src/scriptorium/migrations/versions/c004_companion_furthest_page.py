"""companion reader sessions keep the furthest page reached apart from the page on screen

`furthest_page` is the spoiler cursor (what the companion knows, which images and history it shows);
`current_page` is the page on screen. Going back (a citation, the arrows, a deep link) moves only
`current_page`, so it no longer lowers what the companion knows or hides the conversation. Existing sessions
have only ever been where they are, so their furthest page starts as their current page.

Revision ID: c004
Revises: c003
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c004"
down_revision: str | None = "c003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("companion_reader_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("furthest_page", sa.Integer(), server_default="1", nullable=False))
    op.execute("UPDATE companion_reader_sessions SET furthest_page = current_page")


def downgrade() -> None:
    with op.batch_alter_table("companion_reader_sessions", schema=None) as batch_op:
        batch_op.drop_column("furthest_page")
