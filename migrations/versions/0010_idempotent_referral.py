"""idempotent_request.referral_id: the referral the first request acted on or created, recorded in its
transaction, so a retry whose first answer was lost (the worker died between the commit and storing the
answer) is sent to the referral instead of being told for ever that the request is still being processed,
and so erasing a person also deletes the answers stored for their referrals; created_at indexed for pruning

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 23:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_idempotent_request_referral_id", ["referral_id"], unique=False)
        batch_op.create_index("ix_idempotent_request_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotent_request_created_at")
        batch_op.drop_index("ix_idempotent_request_referral_id")
        batch_op.drop_column("referral_id")
