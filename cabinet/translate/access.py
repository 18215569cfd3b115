"""Which catalogs a translator may open: every language, unless an administrator limited them to some."""

from flask import current_app
from sqlalchemy import delete, select

from cabinet.audit import labels, trail
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l
from cabinet.translate.models import TranslatorLanguage

labels.register_actions({
    "translator.languages_changed": _l("Translator's languages changed"),
})


def restricted_to(user) -> list[str]:
    """The languages an account is limited to; empty means no limit."""
    return sorted(db.session.scalars(select(TranslatorLanguage.locale).where(TranslatorLanguage.user_id == user.id)))


def allowed_locales(user) -> list[str]:
    """Administrators edit every language; a translator every language unless limited."""
    languages = list(current_app.config["LANGUAGES"])
    if user.has_role("admin"):
        return languages
    limit = restricted_to(user)
    return [code for code in languages if code in limit] if limit else languages


def limits_of(users) -> dict[int, list[str]]:
    """The languages each of many accounts may edit, in one query."""
    languages = list(current_app.config["LANGUAGES"])
    rows = db.session.execute(select(TranslatorLanguage.user_id, TranslatorLanguage.locale)
                              .where(TranslatorLanguage.user_id.in_([u.id for u in users]))).all()
    limits: dict[int, list[str]] = {}
    for user_id, locale in rows:
        limits.setdefault(user_id, []).append(locale)
    return {u.id: languages if u.has_role("admin") else
            [code for code in languages if code in limits.get(u.id, languages)] for u in users}


def set_languages(user, locales, *, actor) -> list[str]:
    """Limit a translator to some languages; all of them (or none given) lifts the limit. The caller commits."""
    languages = current_app.config["LANGUAGES"]
    unknown = set(locales) - set(languages)
    if unknown:
        raise ValueError(f"unknown language: {', '.join(sorted(unknown))}")
    chosen = sorted(set(locales)) if set(locales) != set(languages) else []
    old = restricted_to(user)
    db.session.execute(delete(TranslatorLanguage).where(TranslatorLanguage.user_id == user.id))
    db.session.add_all(TranslatorLanguage(user_id=user.id, locale=code) for code in chosen)
    trail.record("translator.languages_changed", actor=actor, subject=user, obj=user,
                 details={"old": old or list(languages), "new": chosen or list(languages)})
    return chosen
