"""What the editor shows of a catalog: entries with their status, filtered, searched, paged; progress per language."""

import gettext
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache

from babel.messages.catalog import Catalog, Message

from cabinet.paging import bounded

STATUSES = ("all", "untranslated", "fuzzy", "recent")
PER_PAGE = 30
MAX_QUERY = 200


def strings_of(message: Message) -> tuple[str, ...]:
    """The translation as a tuple, one string per plural form (one for a plain entry)."""
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string or "",)


def msgid_of(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def entry_key(context: str | None, msgid: str) -> str:
    """A short stable name for an entry (anchors, history URLs): its context and singular source text."""
    return hashlib.sha256(f"{context or ''}\x04{msgid}".encode()).hexdigest()[:16]


def entry_hash(message: Message) -> str:
    """The entry as a translator saw it: a save made against another version of it is stale."""
    seen = [message.context, message.id, strings_of(message), message.fuzzy]
    return hashlib.sha256(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()


def status_of(message: Message) -> str:
    if not all(strings_of(message)):
        return "untranslated"
    return "fuzzy" if message.fuzzy else "translated"


@dataclass
class Entry:
    """One entry as the editor page shows it, with the other language's text beside it."""

    message: Message
    reference: tuple[str, ...] = ()

    @property
    def msgid(self) -> str:
        return msgid_of(self.message)

    @property
    def plural(self) -> str | None:
        return self.message.id[1] if isinstance(self.message.id, tuple) else None

    @property
    def context(self) -> str | None:
        return self.message.context

    @property
    def strings(self) -> tuple[str, ...]:
        return strings_of(self.message)

    @property
    def key(self) -> str:
        return entry_key(self.context, self.msgid)

    @property
    def hash(self) -> str:
        return entry_hash(self.message)

    @property
    def status(self) -> str:
        return status_of(self.message)

    @property
    def comments(self) -> list[str]:
        return [*self.message.auto_comments, *self.message.user_comments]

    @property
    def locations(self) -> list[str]:
        return sorted({name for name, _line in self.message.locations})


@dataclass
class Page:
    entries: list[Entry]
    total: int
    number: int
    pages: int
    examples: list[str] = field(default_factory=list)


def _matches(message: Message, needle: str) -> bool:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    texts = (*ids, *strings_of(message), message.context or "", *message.auto_comments, *message.user_comments)
    return any(needle in text.casefold() for text in texts)


def listing(catalog: Catalog, other: Catalog | None, *, status: str = "all", q: str = "", page: int = 1,
            recent: set[str] = frozenset()) -> Page:
    """One page of entries in the catalog's order, after the status filter and the search."""
    needle = q.strip().casefold()[:MAX_QUERY]
    chosen = []
    for message in catalog:
        if not message.id:
            continue
        if status == "recent":
            if entry_key(message.context, msgid_of(message)) not in recent:
                continue
        elif status != "all" and status_of(message) != status:
            continue
        if needle and not _matches(message, needle):
            continue
        chosen.append(message)
    number, pages = bounded(page, len(chosen), PER_PAGE)
    shown = chosen[(number - 1) * PER_PAGE:number * PER_PAGE]
    entries = [Entry(m, _reference(other, m)) for m in shown]
    return Page(entries, len(chosen), number, pages, plural_examples(catalog))


def _reference(other: Catalog | None, message: Message) -> tuple[str, ...]:
    found = other.get(msgid_of(message), message.context) if other is not None else None
    return strings_of(found) if found is not None and all(strings_of(found)) else ()


def progress(catalog: Catalog) -> dict:
    """How far a language is: entries translated, fuzzy and untranslated, and the share done."""
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for message in catalog:
        if message.id:
            counts[status_of(message)] += 1
    total = sum(counts.values())
    return {**counts, "total": total, "ratio": counts["translated"] / total if total else 1.0}


def plural_examples(catalog: Catalog, limit: int = 1000) -> list[str]:
    """Numbers that take each plural form under the catalog's own rule, e.g. ru: "1, 21, 31…", "2, 3, 4, 22…"."""
    return list(_plural_examples(catalog.plural_expr, catalog.num_plurals, limit))


@lru_cache(maxsize=64)
def _plural_examples(expression: str, forms_count: int, limit: int) -> tuple[str, ...]:
    """Kept per rule: the catalog page evaluated the rule for a thousand numbers on every request."""
    rule = gettext.c2py(expression)
    forms: list[list[int]] = [[] for _ in range(forms_count)]
    for n in range(limit):
        index = rule(n)
        if 0 <= index < len(forms):
            forms[index].append(n)
    return tuple(_examples(numbers) for numbers in forms)


def _examples(numbers: list[int]) -> str:
    positive = [n for n in numbers if n > 0]
    shown = positive[:2] + [0] if 0 in numbers else positive[:3]
    teen = next((n for n in numbers if 11 <= n <= 19 and n not in shown), None)
    if teen is not None:
        shown.append(teen)
    elif not any(n >= 20 for n in shown):
        shown += [n for n in positive if n >= 20 and n not in shown][:1]
    more = len(numbers) > len(shown)
    return ", ".join(map(str, shown)) + ("…" if more else "")
