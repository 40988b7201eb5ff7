"""postcode.admin_ward_code and admin_ward: the ONS code and name of each postcode's electoral ward (Code-Point
Open's Admin_ward_code), kept when postcodes are imported; indexed, for drawing and counting by ward. Table
boundary: official boundaries loaded from ONS Open Geography GeoJSON (`flask geo import-boundaries`)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 09:50:00
"""

import sqlalchemy as sa
from alembic import op

import db.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): no table copy on SQLite; filled by the next `geo import`.
    op.add_column("postcode", sa.Column("admin_ward_code", sa.String(length=9), nullable=True))
    op.add_column("postcode", sa.Column("admin_ward", sa.String(length=100), nullable=True))
    op.create_index(op.f("ix_postcode_admin_ward_code"), "postcode", ["admin_ward_code"])
    op.create_table(
        "boundary",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_boundary")),
    )
    op.create_index(op.f("ix_boundary_level"), "boundary", ["level"])


def downgrade() -> None:
    op.drop_index(op.f("ix_boundary_level"), table_name="boundary")
    op.drop_table("boundary")
    op.drop_index(op.f("ix_postcode_admin_ward_code"), table_name="postcode")
    with op.batch_alter_table("postcode") as batch:
        batch.drop_column("admin_ward")
        batch.drop_column("admin_ward_code")
