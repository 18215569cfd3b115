"""Where the catalogs live: one template and a catalog per language, in the instance folder unless configured."""

from pathlib import Path

from flask import current_app

DOMAIN = "messages"


def translations_dir() -> Path:
    """The live catalogs (CABINET_TRANSLATIONS_DIR, the instance folder's translations/ by default)."""
    return Path(current_app.config["TRANSLATIONS_DIR"])


def pot_path() -> Path:
    return translations_dir() / f"{DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return translations_dir() / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
