"""Following support through: table follow_up (a missed visit of a recurring plan, or a check-in nobody
answered, for someone to work and close), sms_outbox.dedupe_key (a plan's reminder goes once whoever writes
it), tables partner_webhook and webhook_delivery (a partner's subscription to status changes of its own
referrals, and the durable outbox of signed deliveries), table email_draft (an email to the helpline, kept as
a draft call until staff complete it)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurrence_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=200), server_default="", nullable=False),
        sa.CheckConstraint("kind IN ('missed_visit', 'no_answer')", name=op.f("ck_follow_up_kind")),
        sa.CheckConstraint("status IN ('open', 'done')", name=op.f("ck_follow_up_status")),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_follow_up_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
        sa.UniqueConstraint("referral_id", "kind", "occurrence_index", name=op.f("uq_follow_up_referral_id")),
    )
    op.create_index(op.f("ix_follow_up_referral_id"), "follow_up", ["referral_id"])
    op.create_index("ix_follow_up_status_due_at", "follow_up", ["status", "due_at"])
    op.create_table(
        "partner_webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_partner_webhook_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_token.id"], name=op.f("fk_partner_webhook_token_id_api_token")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_webhook")),
    )
    op.create_index(op.f("ix_partner_webhook_org_id"), "partner_webhook", ["org_id"])
    op.create_index(op.f("ix_partner_webhook_token_id"), "partner_webhook", ["token_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'delivered', 'dead')", name=op.f("ck_webhook_delivery_status")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_webhook_delivery_referral_id_referral")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["partner_webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_partner_webhook"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index(op.f("ix_webhook_delivery_referral_id"), "webhook_delivery", ["referral_id"])
    op.create_index(op.f("ix_webhook_delivery_webhook_id"), "webhook_delivery", ["webhook_id"])
    op.create_index(
        "ix_webhook_delivery_status_next_attempt_at", "webhook_delivery", ["status", "next_attempt_at"]
    )
    op.create_table(
        "email_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("sender", sa.String(length=320), nullable=False),
        sa.Column("sender_name", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments_refused", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), server_default="", nullable=False),
        sa.CheckConstraint("source IN ('webhook', 'imap')", name=op.f("ck_email_draft_source")),
        sa.CheckConstraint(
            "status IN ('draft', 'completed', 'dismissed')", name=op.f("ck_email_draft_status")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_email_draft_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_draft")),
        sa.UniqueConstraint("message_id", name=op.f("uq_email_draft_message_id")),
    )
    op.create_index(op.f("ix_email_draft_status"), "email_draft", ["status"])
    # Plain ADD COLUMN (nullable): no table copy on SQLite.
    op.add_column("sms_outbox", sa.Column("dedupe_key", sa.String(length=80), nullable=True))
    op.add_column(
        "sms_outbox", sa.Column("waits_for_day", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_index(op.f("ix_sms_outbox_dedupe_key"), "sms_outbox", ["dedupe_key"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_outbox_dedupe_key"), table_name="sms_outbox")
    with op.batch_alter_table("sms_outbox") as batch:
        batch.drop_column("waits_for_day")
        batch.drop_column("dedupe_key")
    op.drop_table("email_draft")
    op.drop_table("webhook_delivery")
    op.drop_table("partner_webhook")
    op.drop_index("ix_follow_up_status_due_at", table_name="follow_up")
    op.drop_index(op.f("ix_follow_up_referral_id"), table_name="follow_up")
    op.drop_table("follow_up")
