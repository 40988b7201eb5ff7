"""referral.summary: what the helper needs to know, written or confirmed by the call-taker and shown to an
organisation before it accepts (the call notes are not); offer.kind and offer.return_state: a transfer is
an offer the receiving organisation accepts or declines, and on a decline or expiry the referral returns to
the state it was in with the organisation that sent it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="cascade"))
        batch_op.add_column(sa.Column("return_state", sa.String(length=20), nullable=True))
    # Before, a transfer handed the referral over at once: the receiver already owns such a row and no offer
    # is pending, so it is accepted work (a 'transferred' referral now means a pending transfer offer).
    op.execute(
        "UPDATE referral SET status = 'accepted' WHERE status = 'transferred' AND NOT EXISTS "
        "(SELECT 1 FROM offer WHERE offer.referral_id = referral.id AND offer.status = 'pending')"
    )


def downgrade() -> None:
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_column("return_state")
        batch_op.drop_column("kind")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("summary")
