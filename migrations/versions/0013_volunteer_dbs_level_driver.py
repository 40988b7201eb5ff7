"""volunteer.dbs_level: the level of a volunteer's DBS check (basic, standard, enhanced, or enhanced with a
check of the barred list), so a need can ask for a level; volunteer.driver: they can give lifts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DBS_LEVELS = ("basic", "standard", "enhanced", "enhanced_barred")
LEVEL_CHECK = f"dbs_level IS NULL OR dbs_level IN ({', '.join(repr(level) for level in DBS_LEVELS)})"


def upgrade() -> None:
    # Plain ADD COLUMN, the check with the column on SQLite: a batch would copy `volunteer`, which others
    # reference. Existing volunteers have no level recorded (NULL) and are not drivers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE volunteer ADD COLUMN dbs_level VARCHAR(20)"
            f" CONSTRAINT ck_volunteer_dbs_level CHECK ({LEVEL_CHECK})"
        )
    else:
        op.add_column("volunteer", sa.Column("dbs_level", sa.String(length=20), nullable=True))
        op.create_check_constraint(op.f("ck_volunteer_dbs_level"), "volunteer", LEVEL_CHECK)
    op.add_column("volunteer", sa.Column("driver", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # On SQLite the batch copies the table without the check (SQLite cannot drop a column a check names), with
    # foreign keys off while offers and referrals refer to volunteers.
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "volunteer"),
        op.batch_alter_table("volunteer", schema=None) as batch_op,
    ):
        batch_op.drop_constraint(op.f("ck_volunteer_dbs_level"), type_="check")
        batch_op.drop_column("driver")
        batch_op.drop_column("dbs_level")
