"""Indexes for the staff's subject search at scale: surname, given name and phone (the e-mail has its unique one).

Revision ID: 0012_search_indexes
Revises: 0010_upload_drafts
"""

from alembic import op

revision = "0012_search_indexes"
down_revision = "0010_upload_drafts"
branch_labels = None
depends_on = None

COLUMNS = ("surname", "given_name", "phone")


def upgrade():
    for column in COLUMNS:
        op.create_index(f"ix_users_{column}", "users", [column])


def downgrade():
    for column in COLUMNS:
        op.drop_index(f"ix_users_{column}", table_name="users")
