"""Mail queue: messages stored with the change that caused them, delivered after the commit.

Revision ID: 0002_mail_outbox
Revises: d64d67551ba8
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_mail_outbox"
down_revision = "d64d67551ba8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index(op.f("ix_outgoing_mail_created_at"), "outgoing_mail", ["created_at"])
    op.create_index(op.f("ix_outgoing_mail_sent_at"), "outgoing_mail", ["sent_at"])


def downgrade():
    op.drop_index(op.f("ix_outgoing_mail_sent_at"), table_name="outgoing_mail")
    op.drop_index(op.f("ix_outgoing_mail_created_at"), table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
