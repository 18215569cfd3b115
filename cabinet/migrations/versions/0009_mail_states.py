"""Mail delivery as a state machine: queued → sending → sent | failed, a lease per claim, back-off, the Message-ID,
and what each notice is about (regarding), so pages show its real state; the periodic jobs' leases (one run a period
however many workers).

Revision ID: 0009_mail_states
Revises: 0008_deadline_reminders
"""

from email import message_from_bytes
from email import policy as email_policy

import sqlalchemy as sa
from alembic import op

revision = "0009_mail_states"
down_revision = "0008_deadline_reminders"
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 10


def upgrade():
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=10), nullable=False, server_default="queued"))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("regarding", sa.String(length=64), nullable=True))
    mail = sa.table("outgoing_mail", sa.column("id", sa.Integer), sa.column("message", sa.LargeBinary),
                    sa.column("message_id", sa.String), sa.column("state", sa.String),
                    sa.column("sent_at", sa.DateTime), sa.column("attempts", sa.Integer),
                    sa.column("created_at", sa.DateTime), sa.column("next_attempt_at", sa.DateTime))
    op.execute(mail.update().where(mail.c.sent_at.is_not(None)).values(state="sent"))
    op.execute(mail.update().where(mail.c.sent_at.is_(None), mail.c.attempts >= MAX_ATTEMPTS).values(state="failed"))
    op.execute(mail.update().values(next_attempt_at=mail.c.created_at))
    connection = op.get_bind()
    for row in connection.execute(sa.select(mail.c.id, mail.c.message)).all():
        found = message_from_bytes(row.message, policy=email_policy.default)["Message-ID"]
        if found:
            connection.execute(mail.update().where(mail.c.id == row.id).values(message_id=str(found)[:255]))
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.alter_column("next_attempt_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index("ix_outgoing_mail_state_next", ["state", "next_attempt_at"])
        batch_op.create_index("ix_outgoing_mail_regarding", ["regarding"])


def downgrade():
    op.drop_table("job_leases")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_outgoing_mail_regarding")
        batch_op.drop_index("ix_outgoing_mail_state_next")
        batch_op.drop_column("regarding")
        batch_op.drop_column("claim")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("state")
        batch_op.drop_column("message_id")
