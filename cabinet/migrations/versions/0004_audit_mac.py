"""The audit chain's MAC key id per event: events before it (NULL) stay plain SHA-256, verified as before.

Revision ID: 0004_audit_mac
Revises: 0003_scale_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_audit_mac"
down_revision = "0003_scale_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("key_id")
