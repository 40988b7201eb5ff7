"""audit_event: a partial index (seq) of the events that lower or check a tier

The safety-net dashboard lists open referrals whose tier a person lowered and no one has checked since
(`referrals.oversight.lowered_tiers`: those events, newest first, 500 at most). With no index for them
PostgreSQL walked the whole trail backwards by seq looking for them: 7.3 s over 10,000,000 events when there
were none to find (bench.scale at a year of a large county). A person's re-triage and a check are a small
part of the trail; the system's own triage of every call, the most of it, is left out.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-07 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None

TIER_CHANGES = (
    "kind = 'referral.tier_lowering_checked' "
    "OR (kind IN ('triage.overridden', 'triage.decided') AND actor_role <> 'system')"
)


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_tier_changes",
        "audit_event",
        ["seq"],
        postgresql_where=sa.text(TIER_CHANGES),
        sqlite_where=sa.text(TIER_CHANGES),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_event_tier_changes", table_name="audit_event")
