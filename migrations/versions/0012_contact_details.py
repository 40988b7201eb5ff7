"""resident.same_as_id: a record found to be the same person as another; resident.contact: how to reach the person safely (safe to contact, when, on which number, no messages),
an emergency contact and access notes (key safe, pets, interpreter, communication needs); referral.
no_contact_reason: why a call has neither a phone number nor an address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it natively): a batch would copy `resident`, which others reference.
    op.add_column("resident", sa.Column("contact", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("referral", sa.Column("no_contact_reason", sa.Text(), nullable=False, server_default=""))
    op.add_column("resident", sa.Column("same_as_id", sa.Integer(), nullable=True))
    op.create_index("ix_resident_same_as_id", "resident", ["same_as_id"])


def downgrade() -> None:
    op.drop_index("ix_resident_same_as_id", table_name="resident")
    op.drop_column("resident", "same_as_id")
    op.drop_column("referral", "no_contact_reason")
    op.drop_column("resident", "contact")
