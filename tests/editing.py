"""Small catalogs of their own for the translators' editor tests (never the real ones), the apps that read them, and
saving an entry as a browser would."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PLURAL = ("%(num)d file", "%(num)d files")
#: (source, context, translator comment, kk, ru, fuzzy)
ENTRIES = [
    ("Personal cabinet", None, None, "KK-cabinet-1", "RU-cabinet-1", False),
    ("Hello, %(name)s!", None, None, "KK-hello %(name)s", "RU-hello %(name)s", False),
    ("<strong>Read</strong> the notice.", None, None, "<strong>KK-read</strong>", "<strong>RU-read</strong>", False),
    (PLURAL, None, None, ("KK %(num)d one", "KK %(num)d many"),
     ("RU %(num)d one", "RU %(num)d few", "RU %(num)d many"), False),
    ("Approved", "correction", "i18n: the status of a name correction", "KK-approved", "RU-approved", False),
    ("Awaiting review", None, None, "KK-awaiting", "RU-awaiting", True),
    ("Nobody translated this", None, None, "", "", False),
] + [(f"Sample message {i:02d}", None, None, f"KK-sample {i:02d}", f"RU-sample {i:02d}", False) for i in range(45)]
TOTAL = len(ENTRIES)


def build_catalogs(folder: Path) -> None:
    """A template and both catalogs, compiled; every entry a test needs and a few pages of samples."""
    folder.mkdir(parents=True)
    template = Catalog(project="cabinet")
    for locale, column in (("kk", 3), ("ru", 4)):
        catalog = Catalog(locale=locale, project="cabinet")
        for entry in ENTRIES:
            msgid, context, comment, fuzzy = entry[0], entry[1], entry[2], entry[5]
            string = entry[column] or (("",) * catalog.num_plurals if isinstance(msgid, tuple) else "")
            comments = [comment] if comment else []
            catalog.add(msgid, string, locations=[("templates/sample.html", None)], context=context,
                        auto_comments=comments, flags=["fuzzy"] if fuzzy else [])
            template.add(msgid, None, locations=[("templates/sample.html", None)], context=context,
                         auto_comments=comments)
        (folder / locale / "LC_MESSAGES").mkdir(parents=True)
        with open(folder / locale / "LC_MESSAGES" / "messages.po", "wb") as f:
            write_po(f, catalog, width=None)
        with open(folder / locale / "LC_MESSAGES" / "messages.mo", "wb") as f:
            write_mo(f, catalog)
    with open(folder / "messages.pot", "wb") as f:
        write_po(f, template, width=None)


@pytest.fixture
def catalog_dir(tmp_path):
    build_catalogs(tmp_path / "translations")
    return tmp_path / "translations"


@pytest.fixture
def make_editor_app(make_app, catalog_dir):
    """Factory: another app (another worker) on the same database and the same copy of the catalogs."""
    return lambda **overrides: make_app(TRANSLATIONS_DIR=str(catalog_dir), **overrides)


@pytest.fixture
def editor(make_editor_app):
    return make_editor_app()


@pytest.fixture
def translator(create_user, login):
    user = create_user(roles=("translator",), given_name="Dana", surname="Nurova")
    login(user)
    return user


def po(catalog_dir, locale="kk"):
    with open(catalog_dir / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def hash_of(client, locale, msgid, **args):
    """The entry_hash the page gives an entry, as a browser would send it back."""
    html = client.get(f"/translate/{locale}", query_string={"q": msgid, **args}).text
    for form in re.findall(r"<form method=\"post\".*?</form>", html, re.S):
        if f'name="msgid" value="{escape(msgid)}"' in form:
            return re.search(r'name="entry_hash" value="([0-9a-f]+)"', form).group(1)
    raise AssertionError(f"{msgid!r} is not on the page")


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def save(client, locale, msgid, strings, context=None, entry_hash=None):
    data = {"msgid": msgid, "entry_hash": entry_hash or hash_of(client, locale, msgid)}
    if context:
        data["msgctxt"] = context
    if isinstance(strings, tuple):
        data.update({f"msgstr_{i}": s for i, s in enumerate(strings)})
    else:
        data["msgstr"] = strings
    return client.post(f"/translate/{locale}", data=data)
