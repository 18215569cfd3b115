"""Whole-trail verifications an administrator asks for in the browser, and what the worker found.

Revision ID: 0015_audit_verifications
Revises: 0014_search_order
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_audit_verifications"
down_revision = "0014_search_order"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=True),
        sa.Column("checkpoints", sa.Integer(), nullable=True),
        sa.Column("anchored", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(length=16), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"],
                                name=op.f("fk_audit_verifications_requested_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    op.create_index(op.f("ix_audit_verifications_requested_at"), "audit_verifications", ["requested_at"])


def downgrade():
    op.drop_table("audit_verifications")
