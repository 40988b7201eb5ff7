"""audit_event: a partial index (seq) of the events that lower or check a tier; referral: (status, area,
created_at)

The safety-net dashboard lists open referrals whose tier a person lowered and no one has checked since
(`referrals.oversight.lowered_tiers`: those events, newest first, 500 at most). With no index for them
PostgreSQL walked the whole trail backwards by seq looking for them: 7.3 s over 10,000,000 events when there
were none to find (bench.scale at a year of a large county). Only a check, or a person's re-triage that
recorded the tier before it, is in the index: a small part of the trail (the first triage of every call,
by the system or the person who took it, is left out). The dashboard asks in the same words.

The dashboard's lists are a council's referrals of a status (escalated; open and safeguarding; open and a
gap), oldest first, and how many: with (status, owner_org_id) and (area) alone PostgreSQL ANDed a bitmap of
the escalated with one of the council's 700,000 referrals (94 ms); (status, area, created_at) finds them
at once and in order.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# The events that lower or check a tier (referrals.models.TIER_CHANGES, as it stood at this revision).
TIER_CHANGES = (
    "@kind = 'referral.tier_lowering_checked' OR (@kind IN ('triage.overridden', 'triage.decided')"
    " AND @actor_role <> 'system' AND {payload} IS NOT NULL)"
)
POSTGRESQL = TIER_CHANGES.format(payload="(@payload #>> '{before,tier}')").replace("@", "")
SQLITE = TIER_CHANGES.format(payload="json_extract(@payload, '$.before.tier')").replace("@", "")


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_tier_changes",
        "audit_event",
        ["seq"],
        postgresql_where=sa.text(POSTGRESQL),
        sqlite_where=sa.text(SQLITE),
    )

    op.create_index("ix_referral_status_area_created_at", "referral", ["status", "area", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_referral_status_area_created_at", table_name="referral")
    op.drop_index("ix_audit_event_tier_changes", table_name="audit_event")
