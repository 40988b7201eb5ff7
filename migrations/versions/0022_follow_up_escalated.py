"""A follow-up may be escalated: a one-off check-in call nobody answered twice in a row is the area's
safety-net team's to work (follow_up.status 'escalated', besides 'open' and 'done')

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 13:00:00
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _status_check(allowed: str) -> None:
    with op.batch_alter_table("follow_up") as batch:
        batch.drop_constraint(op.f("ck_follow_up_status"), type_="check")
        batch.create_check_constraint(op.f("ck_follow_up_status"), f"status IN ({allowed})")


def upgrade() -> None:
    _status_check("'open', 'escalated', 'done'")


def downgrade() -> None:
    # An escalated follow-up goes back to open (the escalation stays in the audit trail).
    op.execute("UPDATE follow_up SET status = 'open' WHERE status = 'escalated'")
    _status_check("'open', 'done'")
