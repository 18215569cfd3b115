"""The translators' editor in the browser, on small catalogs of its own in tmp_path (never the real ones)."""

import re
from html import unescape

import pytest
from babel.messages.pofile import read_po
from babel.support import Translations
from sqlalchemy import select

from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.translate.models import TranslationChange
from tests.editing import PLURAL, TOTAL, escape, hash_of, po, save


@pytest.fixture
def client(editor):
    return editor.test_client()


# --- progress, filters, search, what an entry shows --------------------------------------------------

def test_progress_page_counts_each_language(client, translator):
    html = client.get("/translate").text
    for locale in ("kk", "ru"):
        row = re.search(rf'<tr data-locale="{locale}">.*?</tr>', html, re.S).group(0)
        assert f'class="count-translated">{TOTAL - 2}<' in row
        assert re.search(r'class="count-fuzzy"><a [^>]*status=fuzzy[^>]*>1</a>', row)
        assert re.search(r'class="count-untranslated"><a [^>]*status=untranslated[^>]*>1</a>', row)
        assert f'class="count-total">{TOTAL}<' in row
        assert f'<progress max="{TOTAL}" value="{TOTAL - 2}"' in row
        assert "96" in row  # 50 of 52, as a percentage in the reader's format


@pytest.mark.parametrize("status, shown, hidden", [
    ("untranslated", ["Nobody translated this"], ["Awaiting review", "Personal cabinet"]),
    ("fuzzy", ["Awaiting review"], ["Nobody translated this", "Personal cabinet"]),
])
def test_status_filters(client, translator, status, shown, hidden):
    html = client.get(f"/translate/kk?status={status}").text
    for text in shown:
        assert text in html
    for text in hidden:
        assert f'value="{text}"' not in html


def test_all_entries_are_paged(client, translator):
    first, second = client.get("/translate/kk").text, client.get("/translate/kk?page=2").text
    assert first.count('name="entry_hash"') == 30
    assert second.count('name="entry_hash"') == TOTAL - 30
    assert "page=2" in first and 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/translate/kk?page=99").text.count('name="entry_hash"') == TOTAL - 30


def test_recently_changed_lists_what_was_saved(client, translator):
    assert 'name="entry_hash"' not in client.get("/translate/kk?status=recent").text
    assert save(client, "kk", "Sample message 07", "KK-sample seven").status_code == 302
    html = client.get("/translate/kk?status=recent").text
    assert html.count('name="entry_hash"') == 1 and "Sample message 07" in html


@pytest.mark.parametrize("q, found", [
    ("sample message 44", "Sample message 44"),   # in the source, whatever the case
    ("KK-approved", "Approved"),                  # in the translation
    ("correction", "Approved"),                   # in the context
    ("name correction", "Approved"),              # in the translator comment
])
def test_search(client, translator, q, found):
    html = client.get("/translate/kk", query_string={"q": q}).text
    assert html.count('name="entry_hash"') == 1
    assert f'name="msgid" value="{found}"' in html


def test_entry_shows_context_comment_locations_and_the_other_language(client, translator):
    html = client.get("/translate/kk", query_string={"q": "Approved"}).text
    assert '<code>correction</code>' in html
    assert "i18n: the status of a name correction" in html
    assert "templates/sample.html" in html
    assert re.search(r'<div class="reference" lang="ru">.*RU-approved', html, re.S)
    assert 'name="msgctxt" value="correction"' in html


@pytest.mark.parametrize("locale, labels", [
    ("ru", ["1, 21, 31…", "2, 3, 4, 22…", "5, 6, 0, 11…"]),
    ("kk", ["1", "2, 3, 0, 11…"]),
])
def test_plural_entry_has_one_field_per_form_labelled_by_numbers(client, translator, locale, labels):
    html = client.get(f"/translate/{locale}", query_string={"q": "files"}).text
    names = re.findall(r'<textarea [^>]*name="(msgstr[^"]*)"', html)
    assert names == [f"msgstr_{i}" for i in range(len(labels))]
    shown = [unescape(label) for label in re.findall(r"<label for=\"t-[^\"]+\">(.*?)</label>", html, re.S)]
    for label, numbers in zip(shown, labels, strict=True):
        assert numbers in label


# --- saving ------------------------------------------------------------------------------------------------

def test_save_writes_the_catalog_compiles_it_and_records_the_change(client, translator, editor, catalog_dir):
    response = save(client, "kk", "Hello, %(name)s!", "Сәлем, %(name)s!")
    assert response.status_code == 302 and response.headers["Location"].endswith("#e-" + entry_key("Hello, %(name)s!"))
    catalog = po(catalog_dir)
    assert catalog.get("Hello, %(name)s!").string == "Сәлем, %(name)s!"
    assert catalog.last_translator == f"Nurova Dana <{translator.email}>"  # full name, surname first
    headers = dict(catalog.mime_headers)
    assert headers["PO-Revision-Date"] != "YEAR-MO-DA HO:MI+ZONE"
    with open(catalog_dir / "kk" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        assert Translations(f).ugettext("Hello, %(name)s!") == "Сәлем, %(name)s!"
    assert po(catalog_dir, "ru").get("Hello, %(name)s!").string == "RU-hello %(name)s"  # the other file untouched
    with editor.app_context():
        change = db.session.scalar(select(TranslationChange))
        assert (change.locale, change.msgid, change.old, change.new, change.via, change.actor_id) == \
            ("kk", "Hello, %(name)s!", ["KK-hello %(name)s"], ["Сәлем, %(name)s!"], "editor", translator.id)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "translation.changed"))
        assert event.actor_id == translator.id and event.subject_id is None
        assert event.details == {"locale": "kk", "msgid": "Hello, %(name)s!"}


def entry_key(msgid, context=None):
    from cabinet.translate.entries import entry_key as key

    return key(context, msgid)


def test_save_a_plural_entry_and_one_with_a_context(client, translator, catalog_dir):
    assert save(client, "ru", PLURAL[0], ("%(num)d файл", "%(num)d файла", "%(num)d файлов")).status_code == 302
    assert save(client, "ru", "Approved", "Одобрено", context="correction").status_code == 302
    catalog = po(catalog_dir, "ru")
    assert catalog.get(PLURAL[0]).string == ("%(num)d файл", "%(num)d файла", "%(num)d файлов")
    assert catalog.get("Approved", "correction").string == "Одобрено"


def test_save_clears_the_fuzzy_flag(client, translator, catalog_dir):
    assert po(catalog_dir).get("Awaiting review").fuzzy
    assert save(client, "kk", "Awaiting review", "KK-awaiting").status_code == 302
    assert not po(catalog_dir).get("Awaiting review").fuzzy
    assert "Awaiting review" not in client.get("/translate/kk?status=fuzzy").text


def test_browser_line_breaks_are_stored_as_the_catalogs_write_them(client, translator, catalog_dir):
    assert save(client, "kk", "Personal cabinet", "Жеке\r\nкабинет").status_code == 302
    assert po(catalog_dir).get("Personal cabinet").string == "Жеке\nкабинет"


@pytest.mark.parametrize("msgid, strings, words", [
    ("Hello, %(name)s!", "Сәлем!", "Placeholders differ"),
    ("Hello, %(name)s!", "Сәлем, %(nme)s!", "Placeholders differ"),
    ("<strong>Read</strong> the notice.", "Оқыңыз.", "HTML tags differ"),
    ("Personal cabinet", "", "Not translated yet"),
    (PLURAL[0], ("%(num)d файл", "%(num)d файлов"), "Wrong number of plural forms: 2 given, 3 needed"),
    (PLURAL[0], ("%(num)d файл", "", "%(num)d файлов"), "Not translated yet"),
    # issue 12: what a hostile translator saved, each refused by name
    ("Personal cabinet", 'Тіл"><meta http-equiv="refresh" content="0;url=http://127.0.0.1:5309/phish" x="',
     "Broken HTML"),
    ("Personal cabinet", 'Кабинет <meta http-equiv="refresh">', "HTML tags differ"),
    ("Personal cabinet", "Құпиясөз<img src=x onerror=alert(2) x=", "Broken HTML"),
    ("Personal cabinet", "50% off", "Placeholders differ"),
    ("Hello, %(name)s!", "Скидка 100%, %(name)s", "Not a valid format"),
    (PLURAL[0], ("файл", "файла", "файлов"), "Placeholders differ"),
    ("Personal cabinet", "Личный \u202eкабинет", "invisible control character (U+202E)"),
])
def test_broken_translations_are_refused_with_the_reason(client, translator, catalog_dir, msgid, strings, words):
    before = (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes()
    response = save(client, "ru", msgid, strings)
    assert response.status_code == 422
    assert words in unescape(response.text)
    assert f"“{msgid}”" in unescape(response.text)  # the refusal names the entry
    assert 'role="alert"' in response.text
    assert (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes() == before
    sent = strings[0] if isinstance(strings, tuple) else strings
    if sent:
        kept = (escape(sent), escape(sent).replace("&#34;", '"'))  # the translator's text is kept in the field
        assert any(text in response.text for text in kept)


def test_a_stale_edit_is_refused(client, translator, create_user, make_editor_app, login, catalog_dir):
    seen = hash_of(client, "kk", "Personal cabinet")
    colleague_client = make_editor_app().test_client()
    colleague = create_user(roles=("translator",))
    colleague_client.post("/login", data={"email": colleague.email, "password": colleague.password})
    assert save(colleague_client, "kk", "Personal cabinet", "Әріптестің нұсқасы").status_code == 302
    response = save(client, "kk", "Personal cabinet", "Менің нұсқам", entry_hash=seen)
    assert response.status_code == 409
    assert po(catalog_dir).get("Personal cabinet").string == "Әріптестің нұсқасы"
    assert "Әріптестің нұсқасы" in response.text and "Менің нұсқам" in response.text
    assert save(client, "kk", "Personal cabinet", "Менің нұсқам").status_code == 302  # with the fresh hash


def test_an_entry_missing_from_the_catalog_or_an_incomplete_form(client, translator):
    assert save(client, "kk", "No such entry", "x", entry_hash="0" * 64).status_code == 404
    assert client.post("/translate/kk", data={"msgstr": "x"}).status_code == 400


def test_history_lists_every_change_of_an_entry(client, translator):
    save(client, "kk", "Personal cabinet", "Бірінші")
    save(client, "kk", "Personal cabinet", "Екінші")
    html = client.get(f"/translate/kk/history/{entry_key('Personal cabinet')}").text
    assert html.count("<tr>") == 3  # the heading and two changes
    assert html.index("<ins>Екінші</ins>") < html.index("<ins>Бірінші</ins>")
    assert "<del>KK-cabinet-1</del>" in html and "Dana Nurova" in html and "<time datetime=" in html
    assert f'href="/translate/kk/history/{entry_key("Personal cabinet")}"' in client.get("/translate/kk").text
    assert client.get("/translate/kk/history/0123456789abcdef").status_code == 404


def test_a_saved_translation_reaches_another_worker_without_a_restart(client, translator, make_editor_app):
    other_worker = make_editor_app().test_client()
    other_worker.get("/lang/kk")
    assert "KK-cabinet-1" in other_worker.get("/").text  # its cache holds the old text now
    assert save(client, "kk", "Personal cabinet", "KK-cabinet-2").status_code == 302
    page = other_worker.get("/").text
    assert "KK-cabinet-2" in page and "KK-cabinet-1" not in page


def test_an_unchanged_catalog_keeps_the_cache(client, translator):
    """The per-request check costs a few stat() calls; it drops the cache only when a .mo file changed."""
    from flask_babel import get_babel

    client.get("/lang/kk")
    client.get("/")
    with client.application.app_context():
        domain = get_babel().instance.domain_instance
    cache = domain.cache
    client.get("/")
    assert domain.cache is cache and cache


def test_a_save_touches_only_the_entry_and_the_header_of_a_real_catalog(editor, catalog_dir, create_user):
    """On a copy of the real Russian catalog: the file keeps pybabel's layout, so a save makes a small diff."""
    from cabinet import ROOT
    from cabinet.accounts.models import User
    from cabinet.translate import saving
    from cabinet.translate.entries import entry_hash

    real = (ROOT / "cabinet" / "translations" / "ru" / "LC_MESSAGES" / "messages.po").read_bytes()
    (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").write_bytes(real)
    target = next(m for m in read_po(iter(real.splitlines(keepends=True)), locale="ru")
                  if isinstance(m.id, str) and m.id and m.string and not m.fuzzy and not set("%<") & set(m.id))
    user = create_user(roles=("translator",))
    with editor.test_request_context():
        saving.save_entry("ru", target.id, target.context, ["Новый текст"], entry_hash(target),
                          actor=db.session.get(User, user.id))
        db.session.commit()
    after = (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes()
    changed = [(a, b) for a, b in zip(real.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 3  # PO-Revision-Date, Last-Translator and the msgstr
    assert changed[-1][1] == 'msgstr "Новый текст"'.encode()


# --- who may do what ---------------------------------------------------------------------------------

EDITOR_URLS = ["/translate", "/translate/kk", "/translate/kk/history/0123456789abcdef", "/translate/kk/download",
               "/translate/kk/upload"]


@pytest.mark.parametrize("url", EDITOR_URLS)
@pytest.mark.parametrize("roles", [("subject",), ("support",)])
def test_subjects_and_support_staff_are_kept_out(client, create_user, login, url, roles):
    login(create_user(roles=roles))
    assert client.get(url).status_code == 403
    assert client.post("/translate/kk", data={"msgid": "Personal cabinet", "msgstr": "x",
                                              "entry_hash": "0" * 64}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/translate/kk")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/cabinet", "/cabinet/profile", "/staff", "/staff/subjects", "/admin/users",
                                 "/admin/policies", "/translate/translators"])
def test_translators_see_no_personal_data(client, translator, url):
    assert client.get(url).status_code == 403


def test_a_translator_limited_to_kazakh(client, create_user, login, editor, catalog_dir):
    from cabinet.accounts.models import User
    from cabinet.translate.access import set_languages

    user = create_user(roles=("translator",))
    with editor.test_request_context():
        set_languages(db.session.get(User, user.id), ["kk"], actor=None)
        db.session.commit()
    login(user)
    index = client.get("/translate").text
    assert 'data-locale="kk"' in index and 'data-locale="ru"' not in index
    assert client.get("/translate/kk").status_code == 200
    for url in ("/translate/ru", "/translate/ru/download", "/translate/ru/upload",
                f"/translate/ru/history/{entry_key('Personal cabinet')}"):
        assert client.get(url).status_code == 403
    before = (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes()
    assert save(client, "ru", "Personal cabinet", "x", entry_hash="0" * 64).status_code == 403
    assert (catalog_dir / "ru" / "LC_MESSAGES" / "messages.po").read_bytes() == before
    assert client.get("/translate/en").status_code == 404


def test_administrators_edit_and_set_translators_languages(client, create_user, login, editor, catalog_dir):
    from cabinet.translate.access import restricted_to

    admin, colleague = create_user(roles=("admin",)), create_user(roles=("translator",), email="tr@example.kz")
    login(admin)
    assert save(client, "ru", "Personal cabinet", "Личный кабинет").status_code == 302
    page = client.get("/translate/translators").text
    assert "tr@example.kz" in page and page.count('type="checkbox" name="locales"') == 2
    response = client.post("/translate/translators", data={"user_id": colleague.id, "locales": ["ru"]})
    assert response.status_code == 302
    with editor.test_request_context():
        from cabinet.accounts.models import User

        assert restricted_to(db.session.get(User, colleague.id)) == ["ru"]
        assert db.session.scalar(select(AuditEvent.details).where(
            AuditEvent.action == "translator.languages_changed")) == {"old": ["kk", "ru"], "new": ["ru"]}
    client.post("/translate/translators", data={"user_id": colleague.id, "locales": ["kk", "ru"]})
    with editor.test_request_context():
        assert restricted_to(db.session.get(User, colleague.id)) == []
    assert client.post("/translate/translators", data={"user_id": colleague.id}).status_code == 400
    assert client.post("/translate/translators", data={"user_id": admin.id, "locales": ["kk"]}).status_code == 404


def test_the_command_line_limits_a_translator(editor, create_user):
    from cabinet.accounts.models import User
    from cabinet.translate.access import restricted_to

    user = create_user(roles=("translator",), email="cli@example.kz")
    runner = editor.test_cli_runner()
    result = runner.invoke(args=["users", "languages", "CLI@example.kz", "kk"])
    assert result.exit_code == 0 and "kk" in result.output
    with editor.app_context():
        assert restricted_to(db.session.get(User, user.id)) == ["kk"]
    assert runner.invoke(args=["users", "languages", "cli@example.kz"]).exit_code == 0
    with editor.app_context():
        assert restricted_to(db.session.get(User, user.id)) == []
    assert runner.invoke(args=["users", "languages", "cli@example.kz", "en"]).exit_code != 0
    assert runner.invoke(args=["users", "languages", "nobody@example.kz", "kk"]).exit_code != 0


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("url", ["/translate", "/translate/ru", "/translate/kk?status=fuzzy",
                                 f"/translate/kk/history/{entry_key('Personal cabinet')}", "/translate/ru/upload",
                                 "/translate/translators"])
def test_editor_pages_render_in_both_languages(client, create_user, login, url, lang):
    login(create_user(roles=("translator", "admin")))
    client.get(f"/lang/{lang}")
    if "history" in url:
        save(client, "kk", "Personal cabinet", "Жеке кабинет")
    response = client.get(url)
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_the_nav_shows_translations_to_translators_only(client, translator):
    html = client.get("/translate").text
    assert 'href="/translate"' in html and 'href="/translate/translators"' not in html


def test_saving_needs_the_csrf_token(make_editor_app, create_user, catalog_dir):
    guarded = make_editor_app(WTF_CSRF_ENABLED=True).test_client()
    user = create_user(roles=("translator",))
    login_page = guarded.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    guarded.post("/login", data={"email": user.email, "password": user.password, "csrf_token": token})
    before = (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes()
    response = save(guarded, "kk", "Personal cabinet", "x")
    assert response.status_code == 400
    assert (catalog_dir / "kk" / "LC_MESSAGES" / "messages.po").read_bytes() == before
