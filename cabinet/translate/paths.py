"""Where the catalogs live: one template and a catalog per language, under translations/ unless configured."""

from pathlib import Path

from flask import current_app

from cabinet import ROOT

DOMAIN = "messages"


def translations_dir() -> Path:
    return Path(current_app.config.get("TRANSLATIONS_DIR") or ROOT / "translations")


def pot_path() -> Path:
    return translations_dir() / f"{DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return translations_dir() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
