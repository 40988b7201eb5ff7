"""Single sign-on and a second factor: app_user.oidc_issuer and oidc_subject (unique together), role_from_groups,
the provider's refresh token sealed, the TOTP secret sealed with its last accepted step and enrolment time, a
role that may be empty (a person who signed in through the provider and has not been given one), and the
recovery_code table (one-use codes, stored hashed)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import db.base
from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "app_user"),
        op.batch_alter_table("app_user", schema=None) as batch_op,
    ):
        batch_op.alter_column("role", existing_type=sa.String(length=30), nullable=True)
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("role_from_groups", sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("oidc_refresh_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("oidc_checked_at", db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_secret_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("totp_enrolled_at", db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(op.f("uq_app_user_oidc_issuer"), ["oidc_issuer", "oidc_subject"])
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_recovery_code_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    op.create_index(op.f("ix_recovery_code_user_id"), "recovery_code", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recovery_code_user_id"), table_name="recovery_code")
    op.drop_table("recovery_code")
    # People who have no role (signed in through the provider, never given one) cannot stay: the column
    # is required again.
    op.execute("DELETE FROM app_user WHERE role IS NULL")
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "app_user"),
        op.batch_alter_table("app_user", schema=None) as batch_op,
    ):
        batch_op.drop_constraint(op.f("uq_app_user_oidc_issuer"), type_="unique")
        batch_op.drop_column("totp_enrolled_at")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_secret_sealed")
        batch_op.drop_column("oidc_checked_at")
        batch_op.drop_column("oidc_refresh_sealed")
        batch_op.drop_column("role_from_groups")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
        batch_op.alter_column("role", existing_type=sa.String(length=30), nullable=False)
