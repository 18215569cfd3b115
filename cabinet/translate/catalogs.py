"""The catalog workflow built on Babel's own functions: extract, update, compile, check."""

import contextlib
import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import current_app

from cabinet import ROOT
from cabinet.translate.checks import problems

DOMAIN = "messages"
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")


def translations_dir() -> Path:
    return Path(current_app.config.get("TRANSLATIONS_DIR") or ROOT / "translations")


def pot_path() -> Path:
    return translations_dir() / f"{DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return translations_dir() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


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
    """Merge the template into every language's catalog, keeping translations."""
    for locale in current_app.config["LANGUAGES"]:
        command = "update" if po_path(locale).exists() else "init"
        _babel(command, "-i", str(pot_path()), "-d", str(translations_dir()), "-l", locale, "--no-wrap")


def compile_all() -> None:
    _babel("compile", "-d", str(translations_dir()))


def _key(message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def check() -> list[str]:
    """Every problem in every catalog, plus a template out of date with the code."""
    report = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = extract(Path(tmp) / "fresh.pot")
        with open(fresh, "rb") as f:
            fresh_ids = {_key(m) for m in read_po(f) if m.id}
    with open(pot_path(), "rb") as f:
        committed = {_key(m) for m in read_po(f) if m.id}
    stale = fresh_ids ^ committed
    if stale:
        report.append(f"{pot_path().name}: out of date with the code ({len(stale)} strings differ); "
                      "run `flask --app wsgi i18n extract` and `i18n update`")
    for locale in current_app.config["LANGUAGES"]:
        with open(po_path(locale), "rb") as f:
            catalog = read_po(f, locale=locale)
        ids = set()
        for message in catalog:
            if not message.id:
                continue
            ids.add(_key(message))
            for problem in problems(message, locale):
                report.append(f"{locale}: {_key(message)[:70]!r}: {problem}")
        missing = fresh_ids - ids
        if missing:
            report.append(f"{locale}: {len(missing)} strings of the code are missing from the catalog")
    return report
