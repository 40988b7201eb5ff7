"""referral.outcome_codes: every outcome recorded when the referral was completed or closed (several may be,
from config/outcomes.yaml); referral.outcome_code stays the first of them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 07:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it natively): a batch would copy `referral`, which others reference.
    op.add_column("referral", sa.Column("outcome_codes", sa.JSON(), nullable=False, server_default="[]"))
    referral = sa.table(
        "referral", sa.column("outcome_code", sa.String()), sa.column("outcome_codes", sa.JSON())
    )
    bind = op.get_bind()
    codes = bind.execute(
        sa.select(referral.c.outcome_code).where(referral.c.outcome_code.is_not(None)).distinct()
    )
    for (code,) in codes.all():  # one statement per code recorded so far (a short list), not per referral
        bind.execute(referral.update().where(referral.c.outcome_code == code).values(outcome_codes=[code]))


def downgrade() -> None:
    op.drop_column("referral", "outcome_codes")
