"""scribe mail: mail accounts, draft/send runs, one delivery row per email, account and kind; reply state

New tables `scribe_mail_accounts` (password encrypted by the app, never in clear), `scribe_mail_runs` and
`scribe_mail_deliveries`. `scribe_recipients` gains `replied_at` / `bounced_at` (found by the replies scan) and
`scribe_emails` gains `approved_version` / `approved_at` (an explicit approval after review makes an email that is
not confident sendable). Existing rows get NULLs: nobody replied, nothing approved, nothing delivered.

Revision ID: s005
Revises: s004
Create Date: 2026-12-07 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from scriptorium.core.db import UTCDateTime

revision: str = "s005"
down_revision: str | None = "s004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("scribe_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replied_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("bounced_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("scribe_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", UTCDateTime(), nullable=True))

    op.create_table(
        "scribe_mail_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("imap_host", sa.String(length=255), nullable=False),
        sa.Column("imap_port", sa.Integer(), nullable=False),
        sa.Column("imap_tls", sa.String(length=10), nullable=False),
        sa.Column("imap_username", sa.String(length=320), nullable=False),
        sa.Column("smtp_host", sa.String(length=255), nullable=False),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_tls", sa.String(length=10), nullable=False),
        sa.Column("smtp_username", sa.String(length=320), nullable=False),
        sa.Column("password_ciphertext", sa.Text(), nullable=False),
        sa.Column("sending_enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=False),
        sa.Column("first_send_limit", sa.Integer(), nullable=False),
        sa.Column("dkim_selector", sa.String(length=100), nullable=True),
        sa.Column("deliverability", sa.JSON(), nullable=True),
        sa.Column("deliverability_checked_at", UTCDateTime(), nullable=True),
        sa.Column("deliverability_override_reason", sa.Text(), nullable=True),
        sa.Column("replies_scanned_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("imap_tls IN ('ssl', 'starttls', 'none')", name=op.f("ck_scribe_mail_accounts_imap_tls")),
        sa.CheckConstraint("smtp_tls IN ('ssl', 'starttls', 'none')", name=op.f("ck_scribe_mail_accounts_smtp_tls")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_mail_accounts_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_mail_accounts")),
    )
    op.create_index("ix_scribe_mail_accounts_user_id", "scribe_mail_accounts", ["user_id"], unique=False)

    op.create_table(
        "scribe_mail_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.Column("email_ids", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("words", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('draft', 'send')", name=op.f("ck_scribe_mail_runs_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'paused', 'done', 'failed', 'cancelled')",
            name=op.f("ck_scribe_mail_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["scribe_mail_accounts.id"],
            name=op.f("fk_scribe_mail_runs_account_id_scribe_mail_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_mail_runs_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_mail_runs")),
    )
    op.create_index("ix_scribe_mail_runs_account_id", "scribe_mail_runs", ["account_id"], unique=False)
    op.create_index(
        "ix_scribe_mail_runs_user_id_created_at", "scribe_mail_runs", ["user_id", "created_at"], unique=False
    )

    op.create_table(
        "scribe_mail_deliveries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("email_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("replied_at", UTCDateTime(), nullable=True),
        sa.Column("bounced_at", UTCDateTime(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("kind IN ('draft', 'send')", name=op.f("ck_scribe_mail_deliveries_kind")),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'drafted', 'failed', 'bounced', 'uncertain', 'skipped')",
            name=op.f("ck_scribe_mail_deliveries_state"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["scribe_mail_accounts.id"],
            name=op.f("fk_scribe_mail_deliveries_account_id_scribe_mail_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["scribe_emails.id"],
            name=op.f("fk_scribe_mail_deliveries_email_id_scribe_emails"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["scribe_mail_runs.id"],
            name=op.f("fk_scribe_mail_deliveries_run_id_scribe_mail_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_mail_deliveries_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_mail_deliveries")),
        sa.UniqueConstraint("account_id", "email_id", "kind", name="uq_scribe_mail_deliveries_account_email_kind"),
    )
    op.create_index(
        "ix_scribe_mail_deliveries_account_id_attempted_at",
        "scribe_mail_deliveries",
        ["account_id", "attempted_at"],
        unique=False,
    )
    op.create_index("ix_scribe_mail_deliveries_email_id", "scribe_mail_deliveries", ["email_id"], unique=False)
    op.create_index(
        "ix_scribe_mail_deliveries_run_id_position", "scribe_mail_deliveries", ["run_id", "position"], unique=False
    )


def downgrade() -> None:
    # Mail history is lost on downgrade: the older schema has nowhere to keep it.
    op.drop_table("scribe_mail_deliveries")
    op.drop_table("scribe_mail_runs")
    op.drop_table("scribe_mail_accounts")
    with op.batch_alter_table("scribe_emails", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_version")
    with op.batch_alter_table("scribe_recipients", schema=None) as batch_op:
        batch_op.drop_column("bounced_at")
        batch_op.drop_column("replied_at")
