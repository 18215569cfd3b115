"""Daily deadline reminders: one row per day and audience (support: due soon; admins: overdue).

Revision ID: 0008_deadline_reminders
Revises: 0007_issued_documents
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_deadline_reminders"
down_revision = "0007_issued_documents"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deadline_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_reminders")),
        sa.UniqueConstraint("day", "audience", name=op.f("uq_deadline_reminders_day")),
    )


def downgrade():
    op.drop_table("deadline_reminders")
