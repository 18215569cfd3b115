"""Catalogs go out to Poedit or Weblate as .po files and come back entry by entry, under the editor's rules."""

import io
import re
from html import unescape

import pytest
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select

from cabinet.extensions import db
from cabinet.translate.models import TranslationChange
from tests.editing import PLURAL, po
from tests.helpers import PNG


@pytest.fixture
def client(editor):
    return editor.test_client()


def as_bytes(catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=None)
    return out.getvalue()


def upload(client, data: bytes, locale="kk", name="messages.po"):
    return client.post(f"/translate/{locale}/upload", data={"catalog": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_download_gives_the_catalog_as_it_is(client, translator, catalog_dir):
    response = client.get("/translate/ru/download")
    assert response.status_code == 200
    assert response.data == (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes()
    assert response.headers["Content-Disposition"] == "attachment; filename=cabinet-ru.po"
    assert response.mimetype == "text/x-gettext-translation"


def test_upload_page_offers_the_form(client, translator):
    html = client.get("/translate/kk/upload").text
    assert 'enctype="multipart/form-data"' in html and 'name="catalog"' in html and 'type="file"' in html


def test_a_mixed_upload_takes_the_good_entries_and_reports_the_rest(client, translator, editor, catalog_dir):
    edited = read_po(io.BytesIO(client.get("/translate/kk/download").data), locale="kk")
    edited.get("Hello, %(name)s!").string = "Сәлем, %(name)s!"                     # good: taken
    edited.get("Awaiting review").flags.discard("fuzzy")                            # reviewed in Poedit: taken
    edited.get("Approved", "correction").string = "Мақұлданды"                      # good, with a context: taken
    edited.get("<strong>Read</strong> the notice.").string = "Оқыңыз."              # tag lost: refused
    edited.get("Personal cabinet").string = "Кабинет %(name)s"                     # placeholder added: refused
    edited.get("Sample message 01").string = "Жаңа үлгі"
    edited.get("Sample message 01").flags.add("fuzzy")                              # still fuzzy: refused
    edited.add("A string the site does not have", "Жоқ жол")                        # not in the catalog: refused
    data = as_bytes(edited).replace(b"nplurals=2; plural=(n != 1);", b"nplurals=3; plural=(n%10==1 ? 0 : 1);")
    data = data.replace(b'msgstr[1] "KK %(num)d many"', b'msgstr[1] "KK %(num)d many"\nmsgstr[2] "KK %(num)d x"')
    response = upload(client, data)                     # Poedit set to three plural forms: that entry is refused
    assert response.status_code == 200
    text = unescape(response.text)
    assert "3 translations taken" in text and "4 entries refused" not in text
    assert "5 entries refused" in text and "1 entry was left untranslated in the file" in text
    refused = re.search(r'<table class="refused-entries">.*?</table>', text, re.S).group(0)
    for msgid, why in [("<strong>Read</strong> the notice.", "HTML tags differ"),
                       ("Personal cabinet", "Placeholders differ"),
                       (PLURAL[0], "Wrong number of plural forms: 3 given, 2 needed"),
                       ("Sample message 01", "fuzzy"),
                       ("A string the site does not have", "not in the catalog")]:
        assert re.search(re.escape(msgid) + r"</td><td[^>]*>[^<]*" + re.escape(why), refused), msgid
    now = po(catalog_dir)
    assert now.get("Hello, %(name)s!").string == "Сәлем, %(name)s!"
    assert now.get("Approved", "correction").string == "Мақұлданды"
    assert not now.get("Awaiting review").fuzzy
    assert now.get("Personal cabinet").string == "KK-cabinet-1"
    assert now.get("Sample message 01").string == "KK-sample 01"
    assert now.get("A string the site does not have") is None
    with editor.app_context():
        changes = db.session.scalars(select(TranslationChange).order_by(TranslationChange.id)).all()
        assert [(c.msgid, c.via) for c in changes] == [("Hello, %(name)s!", "upload"), ("Approved", "upload"),
                                                        ("Awaiting review", "upload")]


def test_uploading_the_same_file_again_changes_nothing(client, translator, catalog_dir):
    same = client.get("/translate/ru/download").data
    response = upload(client, same, locale="ru")
    assert "0 translations taken" in unescape(response.text)
    assert (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes() == same


def _without_language(data: bytes) -> bytes:
    return re.sub(rb'"Language: [^"]*"\n', b"", data)


BAD = [
    ("binary", lambda po: PNG, "binary data"),
    ("mo file", lambda po: b"\xde\x12\x04\x95\x00\x00\x00\x00" + po, "binary data"),
    ("huge", lambda po: po + b"#" * (2 * 1024 * 1024), "larger than 2 MB"),
    ("not a po", lambda po: b"Dear translators,\nhere are my notes.\n", "not a valid .po file"),
    ("empty", lambda po: b"", "empty"),
    ("broken", lambda po: po + b'\nmsgid "Personal cabinet"\nmsgstr_bad "x"\n', "near line"),
    ("not utf-8", lambda po: po + b'\nmsgid "Sample"\nmsgstr "\xff\xfe"\n', "not a valid .po file"),
    ("no language", _without_language, "Language header is missing"),
    ("no entries", lambda po: b'msgid ""\nmsgstr ""\n"Language: kk\\n"\n', "no entries"),
]


@pytest.mark.parametrize("kind, make, words", BAD, ids=[b[0] for b in BAD])
def test_bad_uploads_get_a_clear_message(client, translator, catalog_dir, kind, make, words):
    before = (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes()
    response = upload(client, make(before))
    assert response.status_code == 422
    assert words in unescape(response.text)
    assert 'role="alert"' in response.text
    assert (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes() == before


def test_a_catalog_of_the_other_language_is_refused(client, translator, catalog_dir):
    before = (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes()
    response = upload(client, client.get("/translate/ru/download").data, locale="kk")
    assert response.status_code == 422
    assert "another language (ru)" in unescape(response.text)
    assert (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes() == before


def test_a_region_in_the_language_header_is_fine(client, translator):
    data = client.get("/translate/ru/download").data.replace(b'"Language: ru\\n"', b'"Language: ru_RU\\n"')
    assert b"ru_RU" in data
    assert upload(client, data, locale="ru").status_code == 200


def test_an_upload_without_a_file_is_shown_again(client, translator):
    response = client.post("/translate/kk/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a .po file." in response.text


def test_an_upload_with_hostile_translations_is_refused_entry_by_entry(client, translator, catalog_dir):
    """Issue 12: the same rules as the editor, each refusal naming the entry and the rule."""
    before = (catalog_dir / "kk" / "LC_MESSAGES" / "messages.mo").read_bytes()
    edited = read_po(io.BytesIO(client.get("/translate/kk/download").data), locale="kk")
    hostile = {"Sample message 02": ('Тіл"><meta http-equiv="refresh" content="0;url=http://x/" x="', "Broken HTML"),
               "Sample message 03": ("Құпиясөз<img src=x onerror=alert(2) x=", "Broken HTML"),
               "Sample message 04": ("50% off", "Placeholders differ"),
               "Sample message 05": ("<b>Жуан</b>", "HTML tags differ"),
               "Sample message 06": ("\u202eүлгі", "invisible control character")}
    for msgid, (string, _) in hostile.items():
        edited.get(msgid).string = string
    edited.get(PLURAL).string = ("файл", "файлдар")  # the number dropped from every form
    response = upload(client, as_bytes(edited))
    refused = re.search(r'<table class="refused-entries">.*?</table>', unescape(response.text), re.S).group(0)
    for msgid, (_, why) in {**hostile, PLURAL[0]: ("", "Placeholders differ")}.items():
        assert re.search(re.escape(msgid) + r"</td><td[^>]*>[^<]*" + re.escape(why), refused), msgid
    assert (catalog_dir / "kk" / "LC_MESSAGES" / "messages.mo").read_bytes() == before
