"""directory change log: each directory version names the organisations and volunteers it touched, so a
worker patches its matching index instead of rebuilding it; workload is no longer versioned (re-counted on a
timer and checked per volunteer before an offer), so directory_state.workload_version goes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_change")),
    )
    op.create_index("ix_directory_change_version", "directory_change", ["version"], unique=False)
    op.create_index("ix_offer_volunteer_status", "offer", ["volunteer_id", "status"], unique=False)
    with op.batch_alter_table("directory_state", schema=None) as batch_op:
        batch_op.drop_column("workload_version")


def downgrade() -> None:
    with op.batch_alter_table("directory_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workload_version", sa.Integer(), nullable=False, server_default="0"))
    op.drop_index("ix_offer_volunteer_status", table_name="offer")
    op.drop_index("ix_directory_change_version", table_name="directory_change")
    op.drop_table("directory_change")
