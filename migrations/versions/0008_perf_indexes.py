"""performance: a covering index for the weekly workload count every intake makes (offers of the last seven
days by volunteer), which otherwise reads every pending or accepted offer ever made

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:45:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_offer_created_at_status_volunteer",
        "offer",
        ["created_at", "status", "volunteer_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_offer_created_at_status_volunteer", table_name="offer")
