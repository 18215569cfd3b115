"""Rules a translation must pass before it reaches a user; the CLI, the editor and uploads share them."""

import re
from collections import Counter
from dataclasses import dataclass, field

from babel.messages.catalog import Message
from flask_babel import gettext

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdifr]|%[sdif]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
#: how many plural forms each language needs
PLURAL_FORMS = {"kk": 2, "ru": 3}


def N_(text: str) -> str:
    """Mark a message for extraction; it is translated when shown (Problem.text)."""
    return text


#: what each rule says, in English for the CLI and translated for the editor
RULES = {
    "fuzzy": N_("Marked as fuzzy: the translation needs review."),
    "untranslated": N_("Not translated yet."),
    "plural_count": N_("Wrong number of plural forms: %(given)s given, %(needed)s needed for this language."),
    "placeholders": N_("Placeholders differ: the source has %(expected)s, the translation has %(got)s."),
    "tags": N_("HTML tags differ: the source has %(expected)s, the translation has %(got)s."),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule of one entry, with the details a translator needs to fix it."""

    rule: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return RULES[self.rule] % self.params if self.params else RULES[self.rule]

    def text(self) -> str:
        """The problem in the reader's language (needs an application context)."""
        return gettext(RULES[self.rule], **self.params)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text or ""))


def _tags(text: str) -> list[str]:
    return sorted(TAG.findall(text or ""))


def _shown(items) -> str:
    return ", ".join(items) if items else "—"


def problems(message: Message, locale: str) -> list[Problem]:
    """What is wrong with one entry; empty when it is fine."""
    if not message.id:
        return []
    found = []
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    if message.fuzzy:
        found.append(Problem("fuzzy"))
    if not all(strings):
        found.append(Problem("untranslated"))
        return found
    needed = PLURAL_FORMS.get(locale)
    if isinstance(message.id, tuple) and needed and len(strings) != needed:
        found.append(Problem("plural_count", {"given": len(strings), "needed": needed}))
    found.extend(_placeholder_problems(ids, strings))
    source_tags = _tags(ids[0])
    for string in strings:
        if _tags(string) != source_tags:
            found.append(Problem("tags", {"expected": _shown(source_tags), "got": _shown(_tags(string))}))
            break
    return found


def _placeholder_problems(ids: tuple, strings: tuple) -> list[Problem]:
    """A plural form may leave out the number (e.g. the Russian "one" form), never any other placeholder."""
    expected = Counter(_placeholders(ids[0])) | Counter(_placeholders(ids[-1]))
    for string in strings:
        got = Counter(_placeholders(string))
        missing = expected - got
        if len(strings) > 1:
            missing = Counter({p: n for p, n in missing.items() if not _is_count(p)})
        if got - expected or missing:
            shown = {"expected": _shown(sorted(expected.elements())), "got": _shown(sorted(got.elements()))}
            return [Problem("placeholders", shown)]
    return []


def _is_count(placeholder: str) -> bool:
    return placeholder in ("%(num)d", "%(num)s", "%(count)d", "%(count)s", "%d", "{num}", "{count}")
