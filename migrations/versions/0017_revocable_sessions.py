"""app_user.session_version: written into each session cookie and checked on every request, so signing out, a
new password and deactivation end every session of the user; app_user.failed_logins goes (wrong passwords
now earn temporary delays kept in the rate-limit store, never a lock in the database)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:50:00
"""

import sqlalchemy as sa
from alembic import op

from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # On SQLite the batch copies app_user without the check on failed_logins (SQLite cannot drop a column a
    # check names), with foreign keys off while import jobs refer to users.
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "app_user"),
        op.batch_alter_table("app_user", schema=None) as batch_op,
    ):
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint(op.f("ck_app_user_failed_logins"), type_="check")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "app_user"),
        op.batch_alter_table("app_user", schema=None) as batch_op,
    ):
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(op.f("ck_app_user_failed_logins"), "failed_logins >= 0")
        batch_op.drop_column("session_version")
