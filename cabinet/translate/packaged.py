"""The catalogs shipped in the package and the live ones translators edit (instance folder): seed, merge, export.

Beside the live catalogs, `.packaged/` keeps the packaged files they were last seeded or merged from: a three-way
merge can then tell the translators' changes from the package's.
"""

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from flask import current_app

from cabinet.translate import store
from cabinet.translate.entries import msgid_of, strings_of
from cabinet.translate.paths import DOMAIN, po_path, pot_path, translations_dir

PACKAGED = Path(__file__).resolve().parent.parent / "translations"
BASE = ".packaged"
REPORT = "merge-report.txt"


@dataclass
class Conflict:
    """The package and the translators both changed one translation; the translators' is kept."""

    locale: str
    msgid: str
    packaged_before: tuple[str, ...]
    packaged_now: tuple[str, ...]
    kept: tuple[str, ...]

    def __str__(self) -> str:
        return (f"{self.locale}: {self.msgid[:70]!r}: the package changed {self.packaged_before!r} to "
                f"{self.packaged_now!r}, the translators' {self.kept!r} is kept; decide in /translate")


def _relative(locale: str | None) -> Path:
    return Path(f"{DOMAIN}.pot") if locale is None else Path(locale, "LC_MESSAGES", f"{DOMAIN}.po")


def _parse(data: bytes, locale: str) -> Catalog:
    return read_po(io.BytesIO(data), locale=locale)


def sync(app) -> list[Conflict]:
    """Seed missing live catalogs from the package and merge a newer packaged catalog into them.

    A folder holding catalogs the cabinet never seeded (no `.packaged/`, e.g. the package's own) is left alone.
    """
    with app.app_context():
        folder = translations_dir()
        if not _seeded_here(folder, app.config["LANGUAGES"]):
            return []
        conflicts = []
        _sync_template(folder)
        for locale in app.config["LANGUAGES"]:
            conflicts.extend(_sync_locale(folder, locale))
        if conflicts:
            _report(folder, conflicts)
            for conflict in conflicts:
                app.logger.warning("catalog merge conflict: %s", conflict)
        return conflicts


def _seeded_here(folder: Path, locales) -> bool:
    """The cabinet's own live folder: seeded before, or not holding any catalog yet."""
    if folder.resolve() == PACKAGED.resolve() or not PACKAGED.is_dir():
        return False
    return (folder / BASE).is_dir() or not any((folder / locale / "LC_MESSAGES").exists() for locale in locales)


def _sync_template(folder: Path) -> None:
    """The template is made from the code, never edited by translators: a newer packaged one replaces it."""
    packaged = (PACKAGED / _relative(None)).read_bytes()
    base = folder / BASE / _relative(None)
    if pot_path().exists() and base.exists() and base.read_bytes() == packaged:
        return
    folder.mkdir(parents=True, exist_ok=True)
    store.replace(pot_path(), packaged)
    _remember(folder, None, packaged)


def _sync_locale(folder: Path, locale: str) -> list[Conflict]:
    packaged = (PACKAGED / _relative(locale)).read_bytes()
    base = folder / BASE / _relative(locale)
    live = po_path(locale)
    if live.exists() and base.exists() and base.read_bytes() == packaged:
        return []
    live.parent.mkdir(parents=True, exist_ok=True)
    with store.locked(locale):  # another worker may be seeding or merging the same catalog
        if not live.exists():
            store.replace(live, packaged)
            store.compile_mo(locale, _parse(packaged, locale))
            _remember(folder, locale, packaged)
            return []
        if not base.exists():  # a catalog put here by hand: the package's entries merged in, all of its kept
            base.parent.mkdir(parents=True, exist_ok=True)
            store.replace(base, packaged)
        elif base.read_bytes() == packaged:
            return []
        merged, conflicts = merge(_parse(base.read_bytes(), locale), _parse(packaged, locale), store.read(locale),
                                  locale)
        store.write(locale, merged)
        _remember(folder, locale, packaged)
        return conflicts


def _remember(folder: Path, locale: str | None, packaged: bytes) -> None:
    base = folder / BASE / _relative(locale)
    base.parent.mkdir(parents=True, exist_ok=True)
    store.replace(base, packaged)


def merge(base: Catalog, packaged: Catalog, live: Catalog, locale: str) -> tuple[Catalog, list[Conflict]]:
    """The packaged catalog's entries with the translators' changes kept; what the code dropped becomes obsolete."""
    conflicts = []
    for message in packaged:
        mine = live.get(message.id, message.context) if message.id else None
        if mine is None or mine.pluralizable != message.pluralizable or strings_of(mine) == strings_of(message):
            continue  # new, turned into a plural (or back), or the same: the package's entry as it is
        before = base.get(message.id, message.context)
        before_strings = strings_of(before) if before is not None else None
        if strings_of(mine) == before_strings or not any(strings_of(mine)):
            continue  # the translators left it alone: the package's translation stands
        if before_strings is not None and before_strings != strings_of(message) and any(strings_of(message)):
            conflicts.append(Conflict(locale, msgid_of(message), before_strings, strings_of(message),
                                      strings_of(mine)))
        _take(message, mine)
    for message in live:
        if message.id and packaged.get(message.id, message.context) is None:
            packaged.obsolete[_obsolete_key(message)] = message
    packaged.revision_date, packaged.last_translator = live.revision_date, live.last_translator
    return packaged, conflicts


def _take(message: Message, mine: Message) -> None:
    message.string = mine.string
    message.flags.discard("fuzzy")
    if mine.fuzzy:
        message.flags.add("fuzzy")


def _obsolete_key(message: Message):
    return (msgid_of(message), message.context) if message.context else msgid_of(message)


def _report(folder: Path, conflicts: list[Conflict]) -> None:
    """Kept beside the catalogs until someone reads it: each merge appends its conflicts."""
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with open(folder / REPORT, "a", encoding="utf-8") as report:
        report.write(f"# {stamp}: {len(conflicts)} conflicts merging the packaged catalogs\n")
        report.writelines(f"{conflict}\n" for conflict in conflicts)


def export(to: Path | None = None) -> list[Path]:
    """Copy the live template and catalogs into `to` (the package's folder by default), for a commit."""
    to = Path(to or PACKAGED)
    folder = translations_dir()
    written = []
    for locale in (None, *current_app.config["LANGUAGES"]):
        data = (folder / _relative(locale)).read_bytes()
        target = to / _relative(locale)
        target.parent.mkdir(parents=True, exist_ok=True)
        store.replace(target, data)
        if to.resolve() == PACKAGED.resolve():
            _remember(folder, locale, data)  # the package now holds them: nothing to merge at the next start
        written.append(target)
    return written
