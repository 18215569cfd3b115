"""Who in full: a history entry names the acting session it was made in; an act keeps the staff member's role.

Revision ID: 0006_who
Revises: 0005_frozen_documents
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_who"
down_revision = "0005_frozen_documents"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("acting_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("staff_role", sa.String(length=20), nullable=False,
                                      server_default="support"))
    with op.batch_alter_table("profile_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acting_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_profile_changes_acting_id", "acting_sessions", ["acting_id"], ["id"],
                                    ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("profile_changes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_profile_changes_acting_id", type_="foreignkey")
        batch_op.drop_column("acting_id")
    with op.batch_alter_table("acting_sessions", schema=None) as batch_op:
        batch_op.drop_column("staff_role")
