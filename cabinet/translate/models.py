"""Who changed which catalog entry, and which languages a translator may edit."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cabinet.database import UTCDateTime, utcnow
from cabinet.extensions import db

if TYPE_CHECKING:  # the translator's account is the accounts area's; mapped by name
    from cabinet.accounts.models import User


class TranslationChange(db.Model):
    """One saved change of one entry: the catalog file holds only the latest text, this keeps the way there."""

    __tablename__ = "translation_changes"
    __table_args__ = (Index("ix_translation_changes_locale_key", "locale", "key"),
                      Index("ix_translation_changes_locale_changed_at", "locale", "changed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(8))
    #: short hash of (context, msgid), as in the editor's URLs
    key: Mapped[str] = mapped_column(String(16))
    msgid: Mapped[str] = mapped_column(Text)
    msgctxt: Mapped[str | None] = mapped_column(Text)
    #: the translation before and after, one string per plural form
    old: Mapped[list] = mapped_column(JSON, default=list)
    new: Mapped[list] = mapped_column(JSON, default=list)
    was_fuzzy: Mapped[bool] = mapped_column(default=False)
    #: "editor" (the browser form) or "upload" (a .po file from Poedit or Weblate)
    via: Mapped[str] = mapped_column(String(8))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped["User | None"] = relationship(lazy="joined")


class TranslatorLanguage(db.Model):
    """A language a translator may edit; a translator with no rows may edit every language."""

    __tablename__ = "translator_languages"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
