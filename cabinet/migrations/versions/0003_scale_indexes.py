"""Indexes for a cabinet with many complaints: the staff queue's open complaints by due date.

Revision ID: 0003_scale_indexes
Revises: 0002_mail_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_scale_indexes"
down_revision = "0002_mail_outbox"
branch_labels = None
depends_on = None

IS_OPEN = sa.text("status NOT IN ('answered', 'withdrawn')")  # as cabinet.complaints.models.IS_OPEN


def upgrade():
    op.create_index("ix_complaints_open_due_on", "complaints", ["due_on", "id"], sqlite_where=IS_OPEN,
                    postgresql_where=IS_OPEN)


def downgrade():
    op.drop_index("ix_complaints_open_due_on", table_name="complaints")
