"""The catalog workflow built on Babel's own functions: extract, update, compile, check."""

import contextlib
import tempfile
from functools import lru_cache
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import current_app

from cabinet import ROOT
from cabinet.translate import store
from cabinet.translate.checks import problems
from cabinet.translate.paths import po_path, pot_path, translations_dir

KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")


def _babel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def extract(output: Path | None = None) -> Path:
    """Collect the source strings from the code and templates, with translator comments."""
    output = output or pot_path()
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    with contextlib.chdir(ROOT):  # locations relative to the project, as translators see them
        _babel("extract", "-F", "pyproject.toml", *keywords, "--add-comments=i18n:", "--sort-by-file",
               "--no-wrap", "--project=cabinet", "--copyright-holder=Batys Energoresursy LLP",
               "--add-location=file", "-o", str(output.resolve()), ".")
    return output


def update() -> None:
    """Merge the template into every language's catalog, keeping translations (under the editor's lock)."""
    for locale in current_app.config["LANGUAGES"]:
        if not po_path(locale).exists():
            _babel("init", "-i", str(pot_path()), "-d", str(translations_dir()), "-l", locale, "--no-wrap")
            continue
        with store.locked(locale):
            _babel("update", "-i", str(pot_path()), "-d", str(translations_dir()), "-l", locale, "--no-wrap")


def compile_all() -> None:
    """Compile every catalog; each .mo is replaced whole, so a running site never reads half of one."""
    for locale in current_app.config["LANGUAGES"]:
        with store.locked(locale):
            store.compile_mo(locale, store.read(locale))


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def keys(catalog) -> set[tuple]:
    """What identifies each entry: its context and its source text (both forms for a plural)."""
    return {(m.context, m.id) for m in catalog if m.id}


def _read(path: Path, locale: str | None = None):
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def template_drift(fresh, committed) -> list[str]:
    """A template that no longer matches the code: strings added, removed or changed since the last extract."""
    differ = keys(fresh) ^ keys(committed)
    if not differ:
        return []
    return [f"{pot_path().name}: out of date with the code ({len(differ)} strings differ); "
            "run `flask --app wsgi i18n extract` and `i18n update`"]


def catalog_report(catalog, locale: str, template_keys: set[tuple]) -> list[str]:
    """Every broken entry of one language, and entries the catalog lacks or keeps after the code dropped them."""
    report = []
    for message in catalog:
        for problem in problems(message, locale):
            report.append(f"{locale}: {_key(message)[:70]!r}: {problem}")
    own = keys(catalog)
    if missing := template_keys - own:
        report.append(f"{locale}: {len(missing)} strings of the code are missing from the catalog; run `i18n update`")
    if extra := own - template_keys:
        report.append(f"{locale}: {len(extra)} entries are no longer in the code; run `i18n update`")
    return report


#: what extraction reads (the mappings in pyproject.toml)
SOURCES = frozenset({".py", ".html", ".txt"})


def _sources_stamp() -> tuple:
    """Each file extraction reads, with its size and time of change; the mappings' file too."""
    paths = [ROOT / "pyproject.toml", *(p for p in (ROOT / "cabinet").rglob("*") if p.suffix in SOURCES)]
    return tuple(sorted((str(p), found.st_mtime_ns, found.st_size) for p in paths if (found := _stat(p))))


def _stat(path: Path):
    try:
        return path.stat()
    except OSError:
        return None


def fresh_template():
    """The template extracted from the code as it is now (not written anywhere)."""
    return _extracted(_sources_stamp())


@lru_cache(maxsize=1)
def _extracted(_stamp: tuple):
    """Kept for the sources' stamp: a test session checks catalogs several times over code that does not change
    (1-2 s an extraction)."""
    with tempfile.TemporaryDirectory() as tmp:
        return _read(extract(Path(tmp) / "fresh.pot"))


def check() -> list[str]:
    """Every problem in every catalog, plus a template out of date with the code."""
    fresh = fresh_template()
    if not pot_path().exists():
        return [f"{pot_path()}: missing; run `flask --app wsgi i18n extract`"]
    report = template_drift(fresh, _read(pot_path()))
    for locale in current_app.config["LANGUAGES"]:
        if not po_path(locale).exists():
            report.append(f"{locale}: {po_path(locale)} is missing; run `flask --app wsgi i18n update`")
            continue
        report.extend(catalog_report(_read(po_path(locale), locale), locale, keys(fresh)))
    return report
