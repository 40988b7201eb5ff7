"""per-resident keys that seal personal details in audit payloads

Revision ID: 0005b
Revises: 0005
Create Date: 2026-11-26 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005b"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_secret",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["resident.id"],
            name=op.f("fk_resident_secret_resident_id_resident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_resident_secret")),
    )


def downgrade() -> None:
    op.drop_table("resident_secret")
