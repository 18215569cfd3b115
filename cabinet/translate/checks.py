"""Rules a translation must pass before it reaches a user; the CLI, the editor, uploads and CI share them.

A translation is untrusted text (cabinet.messages escapes it in any case); these rules refuse at the door what
would show the source instead of the translation, break the layout, or hide a trick: python-format as GNU
`msgfmt --check-format` reads it, markup exactly as the source has it, no control characters.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from babel.messages.catalog import Message

from cabinet.messages import HIDDEN, VOID, gettext, markup_of

#: one python-format conversion, as the % operator reads it (the name may be missing: positional)
SPEC = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<flags>[-#0 +]*)(?P<width>\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
                  r"(?P<conversion>[diouxXeEfFgGcrsa%])")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
#: conversions that print the same value the same way
SAME_CONVERSION = {"i": "d", "u": "d"}
#: how many plural forms each language needs
PLURAL_FORMS = {"kk": 2, "ru": 3}
#: a translation may be this many times as long as its source, plus LENGTH_SLACK characters
LENGTH_FACTOR, LENGTH_SLACK = 5, 200


def N_(text: str) -> str:
    """Mark a message for extraction; it is translated when shown (Problem.text)."""
    return text


#: what each rule says, in English for the CLI and translated for the editor
RULES = {
    "fuzzy": N_("Marked as fuzzy: the translation needs review."),
    "untranslated": N_("Not translated yet."),
    "plural_count": N_("Wrong number of plural forms: %(given)s given, %(needed)s needed for this language."),
    "format": N_("Not a valid format at “%(at)s”: write a percent sign as %%%%, and placeholders exactly as in "
                 "the source."),
    "placeholders": N_("Placeholders differ: the source has %(expected)s, the translation has %(got)s."),
    "tags": N_("HTML tags differ: the source has %(expected)s, the translation has %(got)s."),
    "attributes": N_("HTML attributes differ from the source's: %(got)s is not in the source."),
    "unclosed": N_("Broken HTML: a tag is not closed or not opened, or a “<” or “>” stands alone."),
    "control": N_("The translation contains an invisible control character (%(char)s)."),
    "length": N_("The translation is too long for its source: length %(got)s, limit %(limit)s."),
}


@dataclass(frozen=True)
class Problem:
    """One broken rule of one entry, with the details a translator needs to fix it."""

    rule: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return RULES[self.rule] % self.params if self.params else RULES[self.rule] % {}

    def text(self) -> str:
        """The problem in the reader's language (needs an application context)."""
        return gettext(RULES[self.rule], **self.params)


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
    for rule in (_control_problem, _length_problem, _format_problems, _markup_problem):
        found.extend(rule(ids, strings))
    return found


def _control_problem(ids: tuple, strings: tuple) -> list[Problem]:
    for string in strings:
        for char in string:
            if char in HIDDEN or (unicodedata.category(char) == "Cc" and char not in "\n\t"):
                return [Problem("control", {"char": f"U+{ord(char):04X}"})]
    return []


def _length_problem(ids: tuple, strings: tuple) -> list[Problem]:
    limit = LENGTH_FACTOR * max(len(i) for i in ids) + LENGTH_SLACK
    longest = max(len(s) for s in strings)
    return [Problem("length", {"got": longest, "limit": limit})] if longest > limit else []


# -- python-format, as msgfmt --check-format reads it -----------------------------------------------------------

class BadFormat(ValueError):
    """A '%' that the % operator cannot read; args[0] is the text from there."""


def placeholders(text: str) -> list[str]:
    """The conversions of a format string, each as `%(name)d` (flags and width dropped); `%%` is not one."""
    found, start = [], 0
    while (index := text.find("%", start)) >= 0:
        spec = SPEC.match(text, index)
        if spec is None:
            raise BadFormat(text[index:index + 12])
        start = spec.end()
        conversion = spec["conversion"]
        if conversion == "%" and spec.group() == "%%":
            continue
        if conversion == "%" or spec["width"] == "*" or "*" in spec.group():
            raise BadFormat(spec.group())
        name = spec["name"]
        found.append(("%" if name is None else f"%({name})") + SAME_CONVERSION.get(conversion, conversion))
    return found + BRACES.findall(text)


def _format_problems(ids: tuple, strings: tuple) -> list[Problem]:
    """Singular: the same placeholders as the source. Plural: none unknown, each used in at least one form."""
    try:
        expected = Counter()
        for source in ids:
            expected |= Counter(placeholders(source))
    except BadFormat:
        return []  # the source itself: a bug in the code, and the source is what pages fall back to
    used = Counter()
    for string in strings:
        try:
            got = Counter(placeholders(string))
        except BadFormat as error:
            return [Problem("format", {"at": error.args[0]})]
        if set(got) - set(expected) or _positional(got) != _positional(expected) or (
                len(strings) == 1 and set(got) != set(expected)):
            return [_differ(expected, got)]
        used |= got
    if set(expected) - set(used):
        return [_differ(expected, used)]
    return []


def _positional(found: Counter) -> Counter:
    """`%s` and `%d` are taken in order, so a translation needs each as often as the source; names may repeat."""
    return Counter({p: n for p, n in found.items() if p[:2] not in ("%(", "{")})


def _differ(expected: Counter, got: Counter) -> Problem:
    return Problem("placeholders", {"expected": _shown(sorted(expected.elements())),
                                    "got": _shown(sorted(got.elements()))})


# -- markup: the source's tags with the source's attributes, balanced --------------------------------------------

def _markup_problem(ids: tuple, strings: tuple) -> list[Problem]:
    source = markup_of(ids[0])
    expected = Counter((kind, tag) for kind, tag, _ in source.tags)
    allowed = {(tag, attributes) for kind, tag, attributes in source.tags if kind == "start"}
    for string in strings:
        read = markup_of(string)
        if read.stray and not source.stray or read.other or not _balanced(read.tags):
            return [Problem("unclosed")]
        got = Counter((kind, tag) for kind, tag, _ in read.tags)
        if got != expected:
            return [Problem("tags", {"expected": _shown(_tag_names(expected)), "got": _shown(_tag_names(got))})]
        for kind, tag, attributes in read.tags:
            if kind == "start" and (tag, attributes) not in allowed:
                shown = " ".join(f'{name}="{value}"' for name, value in attributes)
                return [Problem("attributes", {"got": f"<{tag} {shown}>".replace(" >", ">")})]
    return []


def _balanced(tags: list[tuple]) -> bool:
    open_tags = []
    for kind, tag, _ in tags:
        if tag in VOID:
            if kind == "end":
                return False
        elif kind == "start":
            open_tags.append(tag)
        elif not open_tags or open_tags.pop() != tag:
            return False
    return not open_tags


def _tag_names(tags: Counter) -> list[str]:
    return sorted(f"<{tag}>" if kind == "start" else f"</{tag}>" for kind, tag in tags.elements())


def _shown(items) -> str:
    return ", ".join(items) if items else "—"
