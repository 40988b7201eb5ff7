"""idempotent_request.resource: what the first request acted on or created, recorded in its transaction, so
a retry whose first answer was lost (the worker died between the commit and storing the answer) is sent to
the resource instead of being told forever that the request is still being processed

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
        batch_op.add_column(sa.Column("resource", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotent_request", schema=None) as batch_op:
        batch_op.drop_column("resource")
