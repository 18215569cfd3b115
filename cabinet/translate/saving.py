"""Saving translations: the same rules as `i18n check`, stale edits refused, every change recorded."""

from dataclasses import dataclass
from datetime import timedelta

from babel.messages.catalog import Catalog, Message
from sqlalchemy import select

from cabinet.audit import labels, trail
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l
from cabinet.translate import store
from cabinet.translate.checks import Problem, problems
from cabinet.translate.entries import entry_hash, entry_key, msgid_of, strings_of
from cabinet.translate.models import TranslationChange

labels.register_actions({
    "translation.changed": _l("Translation changed"),
})

#: what the "changed recently" filter means
RECENT_DAYS = 7
HISTORY_LIMIT = 100


class Refused(Exception):
    """The translation breaks a rule; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        self.problems = problems


class Stale(Exception):
    """Someone changed the entry after the translator opened it; nothing was written."""

    def __init__(self, message: Message):
        super().__init__(message)
        self.message = message


class Missing(Exception):
    """No such entry in the catalog (the code dropped it, or the form was tampered with)."""


@dataclass
class Change:
    """A new translation for one entry of a catalog read under the lock."""

    message: Message
    strings: tuple[str, ...]


def normalised(strings) -> tuple[str, ...]:
    """Browsers send line breaks in text areas as CRLF; the catalogs use LF."""
    return tuple((s or "").replace("\r\n", "\n").replace("\r", "\n") for s in strings)


def candidate(message: Message, strings: tuple[str, ...], fuzzy: bool = False) -> Message:
    """The entry as it would be saved, to run the rules on before anything is written."""
    value = strings if isinstance(message.id, tuple) else (strings[0] if len(strings) == 1 else strings)
    return Message(message.id, value, context=message.context, flags=["fuzzy"] if fuzzy else [])


def find(catalog: Catalog, msgid: str, context: str | None) -> Message | None:
    """The entry a form names; the browser may have turned the msgid's line breaks into CRLF."""
    message = catalog.get(msgid, context or None)
    if message is None and "\r" in msgid:
        message = catalog.get(msgid.replace("\r\n", "\n"), context or None)
    return message if message is not None and message.id else None


def save_entry(locale: str, msgid: str, context: str | None, strings, seen_hash: str, *, actor) -> Message:
    """Validate and save one entry from the browser editor; the caller commits."""
    strings = normalised(strings)
    with store.locked(locale):
        catalog = store.read(locale)
        message = find(catalog, msgid, context)
        if message is None:
            raise Missing(msgid)
        if entry_hash(message) != seen_hash:
            raise Stale(message)
        if not isinstance(message.id, tuple):
            strings = strings[:1] or ("",)
        found = problems(candidate(message, strings), locale)
        if found:
            raise Refused(found)
        if strings != strings_of(message) or message.fuzzy:
            apply(locale, catalog, [Change(message, strings)], actor=actor, via="editor")
        return message


def apply(locale: str, catalog: Catalog, changes: list[Change], *, actor, via: str) -> None:
    """Record the changes, then write the catalog and its .mo; call under store.locked(locale)."""
    now = utcnow()
    for change in changes:
        message = change.message
        db.session.add(TranslationChange(
            locale=locale, key=entry_key(message.context, msgid_of(message)), msgid=msgid_of(message),
            msgctxt=message.context, old=list(strings_of(message)), new=list(change.strings),
            was_fuzzy=message.fuzzy, via=via, actor_id=actor.id, changed_at=now))
        details = {"locale": locale, "msgid": msgid_of(message)}
        if message.context:
            details["msgctxt"] = message.context
        trail.record("translation.changed", actor=actor, details=details)
        message.string = change.strings if isinstance(message.id, tuple) else change.strings[0]
        message.flags.discard("fuzzy")
        message.previous_id = []
    catalog.revision_date = now
    catalog.last_translator = f"{actor.full_name} <{actor.email}>"
    db.session.flush()  # a database refusal stops here, before the files change
    store.write(locale, catalog)


def recent_keys(locale: str) -> set[str]:
    """Entries of a language changed in the last RECENT_DAYS days."""
    since = utcnow() - timedelta(days=RECENT_DAYS)
    return set(db.session.scalars(select(TranslationChange.key).distinct().where(
        TranslationChange.locale == locale, TranslationChange.changed_at >= since)))


def history(locale: str, key: str) -> list[TranslationChange]:
    """One entry's changes, newest first."""
    return list(db.session.scalars(
        select(TranslationChange).where(TranslationChange.locale == locale, TranslationChange.key == key)
        .order_by(TranslationChange.changed_at.desc(), TranslationChange.id.desc()).limit(HISTORY_LIMIT)))
