"""Requests from outside: channels 'self_referral' (a resident's own request on the public page) and
'mutual_aid_referral' (a mutual-aid group's lead refers someone they met); referral.public_ref, the random
reference they are shown; table referral_link, the one-time links texted to a group's lead (hashed)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:10:00
"""

import sqlalchemy as sa
from alembic import op

import db.base
from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

BEFORE = ("phone", "email", "web", "partner_referral")
AFTER = (*BEFORE, "self_referral", "mutual_aid_referral")


def _channel_check(channels: tuple[str, ...]) -> str:
    return f"channel IN ({', '.join(repr(channel) for channel in channels)})"


def _alter_referral(channels: tuple[str, ...], add_column: bool) -> None:
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "referral"),
        op.batch_alter_table("referral", schema=None) as batch_op,
    ):
        if add_column:
            batch_op.add_column(sa.Column("public_ref", sa.String(length=16), nullable=True))
            batch_op.create_unique_constraint(op.f("uq_referral_public_ref"), ["public_ref"])
        else:
            batch_op.drop_constraint(op.f("uq_referral_public_ref"), type_="unique")
            batch_op.drop_column("public_ref")
        batch_op.drop_constraint(op.f("ck_referral_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_referral_channel"), _channel_check(channels))


def upgrade() -> None:
    _alter_referral(AFTER, add_column=True)
    op.create_table(
        "referral_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('refer', 'status')", name=op.f("ck_referral_link_purpose")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisation.id"], name=op.f("fk_referral_link_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referral.id"], name=op.f("fk_referral_link_referral_id_referral")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_referral_link_token_hash")),
    )
    op.create_index(op.f("ix_referral_link_org_id"), "referral_link", ["org_id"])
    op.create_index(op.f("ix_referral_link_referral_id"), "referral_link", ["referral_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_referral_link_referral_id"), table_name="referral_link")
    op.drop_index(op.f("ix_referral_link_org_id"), table_name="referral_link")
    op.drop_table("referral_link")
    # Requests that came from outside were taken by the helpline: downgraded, they read as web requests.
    op.execute(
        "UPDATE referral SET channel = 'web' WHERE channel IN ('self_referral', 'mutual_aid_referral')"
    )
    _alter_referral(BEFORE, add_column=False)
