"""The staff search's name indexes carry the id: a page of people who share a surname is a stretch of the index in
the order shown, with no sort of every match (PostgreSQL's plain index left the ties unordered).

Revision ID: 0014_search_order
Revises: 0013_keyset_indexes
"""

from alembic import op

revision = "0014_search_order"
down_revision = "0013_keyset_indexes"
branch_labels = None
depends_on = None

COLUMNS = ("surname", "given_name")


def upgrade():
    for column in COLUMNS:
        op.create_index(f"ix_users_{column}_id", "users", [column, "id"])
        op.drop_index(f"ix_users_{column}", table_name="users")


def downgrade():
    for column in COLUMNS:
        op.create_index(f"ix_users_{column}", "users", [column])
        op.drop_index(f"ix_users_{column}_id", table_name="users")
