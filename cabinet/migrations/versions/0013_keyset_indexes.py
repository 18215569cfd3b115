"""Indexes for paging the staff queues from a cursor: each list's rows in its order (due date, then id).

Revision ID: 0013_keyset_indexes
Revises: 0012_search_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_keyset_indexes"
down_revision = "0012_search_indexes"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")  # as cabinet.profile.models
SCHEDULED = sa.text("status = 'scheduled'")  # as cabinet.consents.models


def upgrade():
    op.create_index("ix_correction_requests_pending_due_on", "correction_requests", ["due_on", "id"],
                    sqlite_where=PENDING, postgresql_where=PENDING)
    op.create_index("ix_withdrawals_scheduled_due_on", "withdrawals", ["due_on", "id"],
                    sqlite_where=SCHEDULED, postgresql_where=SCHEDULED)
    op.drop_index("ix_complaints_status_due_on", table_name="complaints")
    op.create_index("ix_complaints_status_due_on", "complaints", ["status", "due_on", "id"])
    op.create_index("ix_complaints_due_on", "complaints", ["due_on", "id"])


def downgrade():
    op.drop_index("ix_complaints_due_on", table_name="complaints")
    op.drop_index("ix_complaints_status_due_on", table_name="complaints")
    op.create_index("ix_complaints_status_due_on", "complaints", ["status", "due_on"])
    op.drop_index("ix_withdrawals_scheduled_due_on", table_name="withdrawals")
    op.drop_index("ix_correction_requests_pending_due_on", table_name="correction_requests")
