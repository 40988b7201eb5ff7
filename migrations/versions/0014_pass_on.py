"""referral status 'passed_on' and referral.assigned_org_id: a broker, hub or VCS organisation that holds a
referral passes the work on to one of its volunteers or to a mutual-aid group it works with (an offer of kind
'pass_on'), keeping the referral; a group that accepts is recorded as doing the work for it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from db.sqlite_rebuild import foreign_keys_off_on_sqlite

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BEFORE = (
    "received",
    "triaged",
    "offered",
    "accepted",
    "in_progress",
    "completed",
    "declined",
    "escalated",
    "signposted",
    "transferred",
    "cancelled",
    "closed",
)
AFTER = (*BEFORE[:10], "passed_on", *BEFORE[10:])


def _status_check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(status) for status in statuses)})"


def _alter_referral(statuses: tuple[str, ...], add_column: bool) -> None:
    with (
        foreign_keys_off_on_sqlite(op.get_bind(), "referral"),
        op.batch_alter_table("referral", schema=None) as batch_op,
    ):
        if add_column:
            batch_op.add_column(sa.Column("assigned_org_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f("fk_referral_assigned_org_id_organisation"), "organisation", ["assigned_org_id"], ["id"]
            )
        else:
            batch_op.drop_constraint(op.f("fk_referral_assigned_org_id_organisation"), type_="foreignkey")
            batch_op.drop_column("assigned_org_id")
        batch_op.drop_constraint(op.f("ck_referral_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_referral_status"), _status_check(statuses))


def upgrade() -> None:
    _alter_referral(AFTER, add_column=True)


def downgrade() -> None:
    # A referral passed on goes back to the state it was in with its holder; the pass-on offer is withdrawn.
    op.execute(
        "UPDATE referral SET status = COALESCE((SELECT offer.return_state FROM offer WHERE offer.referral_id ="
        " referral.id AND offer.status = 'pending' AND offer.kind = 'pass_on'), 'accepted')"
        " WHERE status = 'passed_on'"
    )
    op.execute("UPDATE offer SET status = 'withdrawn' WHERE status = 'pending' AND kind = 'pass_on'")
    _alter_referral(BEFORE, add_column=False)
