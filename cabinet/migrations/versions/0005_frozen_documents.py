"""Frozen complaint documents: numbered versions holding a canonical snapshot, and each version's stored PDF.

Both tables refuse UPDATE (a trigger): a version and its rendering are written once. Complaints filed before
this revision get a reconstructed version 1 when first read (or all at once: `flask complaints freeze`).

Revision ID: 0005_frozen_documents
Revises: 0004_audit_mac
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_frozen_documents"
down_revision = "0004_audit_mac"
branch_labels = None
depends_on = None

FROZEN = ("complaint_versions", "complaint_renderings")


def upgrade():
    op.create_table(
        "complaint_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("reconstructed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"],
                                name=op.f("fk_complaint_versions_complaint_id_complaints"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["complaint_events.id"],
                                name=op.f("fk_complaint_versions_event_id_complaint_events"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_versions")),
        sa.UniqueConstraint("complaint_id", "number", name=op.f("uq_complaint_versions_complaint_id")),
    )
    op.create_table(
        "complaint_renderings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("rendered_at", sa.DateTime(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["complaint_versions.id"],
                                name=op.f("fk_complaint_renderings_version_id_complaint_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_renderings")),
        sa.UniqueConstraint("version_id", "locale", name=op.f("uq_complaint_renderings_version_id")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION complaint_document_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION '% rows are written once, never changed', TG_TABLE_NAME; END $$")
        for table in FROZEN:
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION complaint_document_frozen()")
    else:
        for table in FROZEN:
            op.execute(f"CREATE TRIGGER {table}_frozen BEFORE UPDATE ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} rows are written once, never changed'); END")


def downgrade():
    op.drop_table("complaint_renderings")
    op.drop_table("complaint_versions")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION complaint_document_frozen()")
