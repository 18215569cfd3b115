"""Published policy versions are immutable; a correction is a new version."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db


class PolicyVersion(db.Model):
    """One published version of the privacy policy (clauses 5.4–5.5: effective when posted)."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what people call it, e.g. "1" or "2026-12"
    label: Mapped[str] = mapped_column(String(32), unique=True)
    effective_from: Mapped[date]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    #: loaded when a text is read: lists of versions, acceptances and consents never need the (long) texts
    texts: Mapped[list["PolicyText"]] = relationship(order_by="PolicyText.locale")

    def text(self, locale: str) -> "PolicyText | None":
        return next((t for t in self.texts if t.locale == locale), None) or (self.texts[0] if self.texts else None)


class PolicyText(db.Model):
    """The version's text in one language (Markdown) and its summary of changes."""

    __tablename__ = "policy_texts"
    __table_args__ = (UniqueConstraint("version_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")


class PolicyAcceptance(db.Model):
    """A subject's acknowledgement of one version: when, how, in which language, from where."""

    __tablename__ = "policy_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "registration", "cabinet" or "staff" (recorded from a paper form)
    method: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    version: Mapped[PolicyVersion] = relationship(lazy="joined")


class PolicyNotice(db.Model):
    """That a subject was mailed about a version; makes the batch mailing resumable and never double."""

    __tablename__ = "policy_notices"
    __table_args__ = (UniqueConstraint("user_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
