"""scribe tables: profiles, templates, recipients, queue items, emails, versions, sources, usage

Revision ID: s001
Revises: 0001
Create Date: 2026-11-22 12:33:20.790967
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scriptorium.core.db

revision: str = "s001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("scribe",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scribe_profiles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("onboarded", sa.Boolean(), nullable=False),
        sa.Column("email_template", sa.Text(), nullable=True),
        sa.Column("generation_count", sa.Integer(), nullable=False),
        sa.Column("template_count", sa.Integer(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_profiles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_scribe_profiles")),
    )
    op.create_table(
        "scribe_recipients",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("interest", sa.String(length=500), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("institution", sa.String(length=255), nullable=True),
        sa.Column("profile_urls", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_recipients_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_recipients")),
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_scribe_recipients_user_id_dedupe_key"),
    )
    with op.batch_alter_table("scribe_recipients", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_recipients_user_id_name_key", ["user_id", "name_key"], unique=False)

    op.create_table(
        "scribe_templates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template_text", sa.Text(), nullable=False),
        sa.Column("template_type", sa.String(length=20), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("pdf_url", sa.String(length=500), nullable=True),
        sa.Column("resume_filename", sa.String(length=255), nullable=True),
        sa.Column("user_instructions", sa.Text(), nullable=True),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_templates_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_templates")),
    )
    with op.batch_alter_table("scribe_templates", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_templates_user_id_created_at", ["user_id", "created_at"], unique=False)

    op.create_table(
        "scribe_emails",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=True),
        sa.Column("queue_item_id", sa.String(length=32), nullable=True),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("recipient_interest", sa.String(length=500), nullable=False),
        sa.Column("recipient_email", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("email_message", sa.Text(), nullable=False),
        sa.Column("template_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_confident", sa.Boolean(), nullable=False),
        sa.Column("review_reasons", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("composer", sa.String(length=20), nullable=False),
        sa.Column("displayed", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('completed', 'needs_review')", name=op.f("ck_scribe_emails_status")),
        sa.CheckConstraint(
            "template_type IN ('research', 'book', 'general')", name=op.f("ck_scribe_emails_template_type")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["scribe_recipients.id"],
            name=op.f("fk_scribe_emails_recipient_id_scribe_recipients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_emails_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_emails")),
    )
    with op.batch_alter_table("scribe_emails", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_emails_queue_item_id", ["queue_item_id"], unique=True)
        batch_op.create_index("ix_scribe_emails_recipient_id", ["recipient_id"], unique=False)
        batch_op.create_index("ix_scribe_emails_user_id_created_at", ["user_id", "created_at"], unique=False)
        batch_op.create_index("ix_scribe_emails_user_id_displayed", ["user_id", "displayed"], unique=False)

    op.create_table(
        "scribe_email_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["scribe_emails.id"],
            name=op.f("fk_scribe_email_versions_email_id_scribe_emails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_email_versions")),
        sa.UniqueConstraint("email_id", "version", name="uq_scribe_email_versions_email_id_version"),
    )
    op.create_table(
        "scribe_queue_items",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("template_id", sa.String(length=32), nullable=True),
        sa.Column("target_email_id", sa.String(length=32), nullable=True),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("recipient_interest", sa.String(length=500), nullable=False),
        sa.Column("email_template", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_step", sa.String(length=50), nullable=True),
        sa.Column("step_timings", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("email_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'needs_review', 'failed', 'cancelled')",
            name=op.f("ck_scribe_queue_items_status"),
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["scribe_emails.id"],
            name=op.f("fk_scribe_queue_items_email_id_scribe_emails"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_scribe_queue_items_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["scribe_recipients.id"],
            name=op.f("fk_scribe_queue_items_recipient_id_scribe_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_email_id"],
            ["scribe_emails.id"],
            name=op.f("fk_scribe_queue_items_target_email_id_scribe_emails"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["scribe_templates.id"],
            name=op.f("fk_scribe_queue_items_template_id_scribe_templates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_queue_items_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_queue_items")),
    )
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_queue_items_batch_id", ["batch_id"], unique=False)
        batch_op.create_index("ix_scribe_queue_items_job_id", ["job_id"], unique=True)
        batch_op.create_index("ix_scribe_queue_items_recipient_id", ["recipient_id"], unique=False)
        batch_op.create_index("ix_scribe_queue_items_status_created_at", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_scribe_queue_items_user_id_created_at", ["user_id", "created_at"], unique=False)

    op.create_table(
        "scribe_sources",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email_id", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("retrieved_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["scribe_emails.id"],
            name=op.f("fk_scribe_sources_email_id_scribe_emails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_sources")),
    )
    with op.batch_alter_table("scribe_sources", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_sources_email_id_generation", ["email_id", "generation"], unique=False)

    op.create_table(
        "scribe_usage",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("created_at", scriptorium.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"], ["scribe_emails.id"], name=op.f("fk_scribe_usage_email_id_scribe_emails"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_scribe_usage_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scribe_usage")),
    )
    with op.batch_alter_table("scribe_usage", schema=None) as batch_op:
        batch_op.create_index("ix_scribe_usage_email_id", ["email_id"], unique=False)
        batch_op.create_index("ix_scribe_usage_user_id_created_at", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scribe_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_usage_user_id_created_at")
        batch_op.drop_index("ix_scribe_usage_email_id")

    op.drop_table("scribe_usage")
    with op.batch_alter_table("scribe_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_sources_email_id_generation")

    op.drop_table("scribe_sources")
    with op.batch_alter_table("scribe_queue_items", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_queue_items_user_id_created_at")
        batch_op.drop_index("ix_scribe_queue_items_status_created_at")
        batch_op.drop_index("ix_scribe_queue_items_recipient_id")
        batch_op.drop_index("ix_scribe_queue_items_job_id")
        batch_op.drop_index("ix_scribe_queue_items_batch_id")

    op.drop_table("scribe_queue_items")
    op.drop_table("scribe_email_versions")
    with op.batch_alter_table("scribe_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_emails_user_id_displayed")
        batch_op.drop_index("ix_scribe_emails_user_id_created_at")
        batch_op.drop_index("ix_scribe_emails_recipient_id")
        batch_op.drop_index("ix_scribe_emails_queue_item_id")

    op.drop_table("scribe_emails")
    with op.batch_alter_table("scribe_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_templates_user_id_created_at")

    op.drop_table("scribe_templates")
    with op.batch_alter_table("scribe_recipients", schema=None) as batch_op:
        batch_op.drop_index("ix_scribe_recipients_user_id_name_key")

    op.drop_table("scribe_recipients")
    op.drop_table("scribe_profiles")
