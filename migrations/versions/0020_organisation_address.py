"""organisation.base_address: the first line(s) of an organisation's base address (building and street), so
the HSDS export and the public Open Referral UK feed give a complete address (address_1; the town and
nation come from the postcode)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table copy on SQLite, no rewrite on PostgreSQL 11+.
    op.add_column(
        "organisation", sa.Column("base_address", sa.String(length=200), nullable=False, server_default="")
    )


def downgrade() -> None:
    # On SQLite the batch copies the table, with foreign keys off while volunteers, offers and referrals
    # refer to organisations.
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "organisation"),
        op.batch_alter_table("organisation") as batch,
    ):
        batch.drop_column("base_address")
