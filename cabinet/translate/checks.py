"""Rules a translation must pass before it reaches a user; the CLI and (later) the editor share them."""

import re

from babel.messages.catalog import Message

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdifr]|%[sdif]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
#: how many plural forms each language needs
PLURAL_FORMS = {"kk": 2, "ru": 3}


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text or ""))


def _tags(text: str) -> list[str]:
    return sorted(TAG.findall(text or ""))


def problems(message: Message, locale: str) -> list[str]:
    """What is wrong with one entry, in words a translator understands; empty when it is fine."""
    if not message.id:
        return []
    found = []
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy:
        found.append("marked fuzzy (needs review)")
    if not all(strings):
        found.append("untranslated")
        return found
    if isinstance(message.id, tuple) and len(strings) != PLURAL_FORMS.get(locale, len(strings)):
        found.append(f"has {len(strings)} plural forms, {locale} needs {PLURAL_FORMS[locale]}")
    # a plural form may leave out the number (e.g. Russian "one" form), so compare against the union
    expected = set(_placeholders(ids[-1])) | set(_placeholders(ids[0]))
    for string in strings:
        got = set(_placeholders(string))
        if not got <= expected or (len(strings) == 1 and got != expected):
            found.append(f"placeholders differ: source has {sorted(expected)}, translation has {sorted(got)}")
            break
    for string in strings:
        if _tags(string) != _tags(ids[0]):
            found.append("HTML tags differ between the source and the translation")
            break
    return found
