"""Files kept on a form's preview (a new complaint, the operator's answer) until the form is sent or a day passes.

Revision ID: 0010_upload_drafts
Revises: 0009_mail_states
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_upload_drafts"
down_revision = "0009_mail_states"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "upload_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("form_token", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_upload_drafts_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_upload_drafts_uploaded_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_upload_drafts_complaint_id_complaints"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_drafts")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_upload_drafts_storage_key")),
    )
    op.create_index(op.f("ix_upload_drafts_owner_id"), "upload_drafts", ["owner_id"])
    op.create_index(op.f("ix_upload_drafts_form_token"), "upload_drafts", ["form_token"])
    op.create_index(op.f("ix_upload_drafts_created_at"), "upload_drafts", ["created_at"])


def downgrade():
    op.drop_table("upload_drafts")
