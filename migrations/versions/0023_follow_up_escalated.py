"""A follow-up or a phone task may be escalated: a one-off check-in call nobody answered twice in a row, or a
phone task whose calls went unanswered twice in a row, is the area's safety-net team's to work
(follow_up.status and phone_task.status 'escalated', besides 'open' and 'done')

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


TABLES = ("follow_up", "phone_task")
REOPEN = {
    "follow_up": "UPDATE follow_up SET status = 'open' WHERE status = 'escalated'",
    "phone_task": "UPDATE phone_task SET status = 'open' WHERE status = 'escalated'",
}


def _status_check(table: str, allowed: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"ck_{table}_status"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{table}_status"), f"status IN ({allowed})")


def upgrade() -> None:
    for table in TABLES:
        _status_check(table, "'open', 'escalated', 'done'")


def downgrade() -> None:
    for table in TABLES:
        # An escalated one goes back to open (the escalation stays in the audit trail).
        op.execute(sa.text(REOPEN[table]))
        _status_check(table, "'open', 'done'")
