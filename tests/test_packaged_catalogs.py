"""The live catalogs in the instance folder: seeded from the package, merged on upgrade, exported for a commit."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from cabinet.app import create_app
from cabinet.extensions import db
from cabinet.translate import packaged
from tests.editing import save


def write_catalogs(folder: Path, translations: dict[str, str]) -> None:
    """A package's template and catalogs: the same translations in both languages, tagged with the language."""
    template = Catalog(project="cabinet")
    for msgid in translations:
        template.add(msgid)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "messages.pot", "wb") as f:
        write_po(f, template, width=None)
    for locale in ("kk", "ru"):
        catalog = Catalog(locale=locale, project="cabinet")
        for msgid, string in translations.items():
            catalog.add(msgid, f"{locale}-{string}")
        (folder / locale / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        with open(folder / locale / "LC_MESSAGES" / "messages.po", "wb") as f:
            write_po(f, catalog, width=None)


def read(path: Path, locale="kk") -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def live_po(folder: Path, locale="kk") -> Path:
    return folder / locale / "LC_MESSAGES" / "messages.po"


@pytest.fixture
def package(app, tmp_path, monkeypatch):
    """The package's translations/ folder in tmp_path, made after the session's app so never merged into it."""
    folder = tmp_path / "package"
    write_catalogs(folder, {"Kept": "kept", "Changed by the package": "old", "Changed by both": "old",
                            "Changed by translators": "old", "Dropped": "dropped"})
    monkeypatch.setattr(packaged, "PACKAGED", folder)
    return folder


@pytest.fixture
def live(tmp_path):
    return tmp_path / "instance" / "translations"


@pytest.fixture
def catalog_dir(live):
    """The folder make_editor_app's apps read: the live one, empty until the first start seeds it."""
    return live


@pytest.fixture
def start(make_editor_app):
    """Factory: the cabinet starting (another process, another release) on the live folder."""
    return make_editor_app


@pytest.fixture
def client(start, package):
    return start().test_client()


def test_the_first_start_seeds_the_live_catalogs_from_the_package(start, package, live):
    start()
    for locale in ("kk", "ru"):
        assert live_po(live, locale).read_bytes() == live_po(package, locale).read_bytes()
        with open(live_po(live, locale).with_suffix(".mo"), "rb") as f:
            assert Translations(f).ugettext("Kept") == f"{locale}-kept"
    assert (live / "messages.pot").read_bytes() == (package / "messages.pot").read_bytes()


def test_the_default_live_folder_is_the_instance_folder(app):
    unset = create_app({k: app.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "TESTING")})
    assert unset.config["TRANSLATIONS_DIR"] == str(Path(unset.instance_path, "translations").resolve())
    assert unset.config["BABEL_TRANSLATION_DIRECTORIES"] == unset.config["TRANSLATIONS_DIR"]
    with unset.app_context():
        db.engine.dispose()


def test_a_folder_the_cabinet_did_not_seed_is_left_alone(start, package, live):
    write_catalogs(live, {"Own": "own"})
    start()
    assert [m.id for m in read(live_po(live)) if m.id] == ["Own"]


def test_an_upgrade_merges_and_reports_the_conflict_without_overwriting(start, package, live):
    start()
    edited = read(live_po(live))
    edited.get("Changed by both").string = "kk-translators"
    edited.get("Changed by translators").string = "kk-translators"
    with open(live_po(live), "wb") as f:
        write_po(f, edited, width=None)
    write_catalogs(package, {"Kept": "kept", "Changed by the package": "new", "Changed by both": "new",
                             "Changed by translators": "old", "Added": "added"})

    upgraded = start()

    merged = read(live_po(live))
    strings = {m.id: m.string for m in merged if m.id}
    assert strings == {"Kept": "kk-kept", "Changed by the package": "kk-new", "Changed by both": "kk-translators",
                       "Changed by translators": "kk-translators", "Added": "kk-added"}
    assert [m.id for m in merged.obsolete.values()] == ["Dropped"]
    conflicts = upgraded.extensions["cabinet_catalog_conflicts"]
    assert [(c.locale, c.msgid, c.packaged_now, c.kept) for c in conflicts] == [
        ("kk", "Changed by both", ("kk-new",), ("kk-translators",))]
    report = (live / packaged.REPORT).read_text(encoding="utf-8")
    assert "'Changed by both'" in report and "kk-translators" in report and "kk-new" in report
    output = upgraded.test_cli_runner().invoke(args=["i18n", "sync"]).output
    assert "Changed by both" in output and packaged.REPORT in output
    with open(live_po(live).with_suffix(".mo"), "rb") as f:
        assert Translations(f).ugettext("Added") == "kk-added"
    assert start().extensions["cabinet_catalog_conflicts"] == []  # merged once, not at every start


def test_export_writes_the_live_catalogs_back_and_nothing_is_merged_after(start, package, live, tmp_path):
    app = start()
    edited = read(live_po(live))
    edited.get("Kept").string = "kk-better"
    with open(live_po(live), "wb") as f:
        write_po(f, edited, width=None)
    runner = app.test_cli_runner()

    elsewhere = tmp_path / "elsewhere"
    assert runner.invoke(args=["i18n", "export", "--to", str(elsewhere)]).exit_code == 0
    assert live_po(elsewhere).read_bytes() == live_po(live).read_bytes()
    assert runner.invoke(args=["i18n", "export"]).exit_code == 0
    for locale in ("kk", "ru"):
        assert live_po(package, locale).read_bytes() == live_po(live, locale).read_bytes()

    before = live_po(live).read_bytes()
    assert start().extensions["cabinet_catalog_conflicts"] == []
    assert live_po(live).read_bytes() == before


def test_the_editor_writes_the_live_catalog_never_the_package(client, package, live, create_user, login):
    login(create_user(roles=("translator",)))
    shipped = live_po(package).read_bytes()
    assert save(client, "kk", "Kept", "kk-edited").status_code == 302
    assert read(live_po(live)).get("Kept").string == "kk-edited"
    assert live_po(package).read_bytes() == shipped
