"""Issued documents (consent receipts, correction decisions): a frozen snapshot each and its stored PDFs.

Both tables refuse UPDATE (a trigger), as the complaint documents do: a document and its rendering are
written once. Decisions recorded before this revision get a reconstructed document when first read.

Revision ID: 0007_issued_documents
Revises: 0006_who
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_issued_documents"
down_revision = "0006_who"
branch_labels = None
depends_on = None

FROZEN = ("issued_documents", "issued_renderings")


def upgrade():
    op.create_table(
        "issued_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("reconstructed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_issued_documents_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_documents")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_issued_documents_kind")),
    )
    op.create_index(op.f("ix_issued_documents_owner_id"), "issued_documents", ["owner_id"])
    op.create_table(
        "issued_renderings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("rendered_at", sa.DateTime(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["issued_documents.id"],
                                name=op.f("fk_issued_renderings_document_id_issued_documents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_renderings")),
        sa.UniqueConstraint("document_id", "locale", name=op.f("uq_issued_renderings_document_id")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in FROZEN:
        if postgres:  # the function complaint_document_frozen() of 0005 says the same for any table
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION complaint_document_frozen()")
        else:
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows are written once, never changed'); END")


def downgrade():
    op.drop_table("issued_renderings")
    op.drop_index(op.f("ix_issued_documents_owner_id"), table_name="issued_documents")
    op.drop_table("issued_documents")
