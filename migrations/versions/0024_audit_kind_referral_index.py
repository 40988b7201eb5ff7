"""audit_event: index (kind, referral_id, created_at) in place of (kind)

The needs report asks for each referral's first "referral.accepted" event (`reports.needs.first_acceptances`:
kind = …, GROUP BY referral_id, min(created_at)). With only (kind) PostgreSQL fetched every matching event
from the heap, one block each, spread over the whole trail: 44,000 blocks and 2.2 s for 83,000 acceptances
among 1,000,000 events (bench.scale at 0.1), ten times that at a year of a large county. With the three
columns it reads the index alone (the trail is append-only, so the visibility map stays set). The new index
leads with kind, so every query that used (kind) uses it instead.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 12:15:00
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_event_kind_referral_id_created_at", "audit_event", ["kind", "referral_id", "created_at"]
    )
    op.drop_index("ix_audit_event_kind", table_name="audit_event")


def downgrade() -> None:
    op.create_index("ix_audit_event_kind", "audit_event", ["kind"])
    op.drop_index("ix_audit_event_kind_referral_id_created_at", table_name="audit_event")
