"""Cabinet: the personal data cabinet of a Kazakhstan personal-data operator (the app factory is cabinet.app)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
