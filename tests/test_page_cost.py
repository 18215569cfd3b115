"""What pages do once per process instead of on every request, and that each kept thing stays in its language."""

import functools
import re

import pytest
import wtforms.widgets
from babel import support
from flask_babel import force_locale
from markupsafe import Markup
from wtforms.widgets import core as widgets

from cabinet import forms, messages
from cabinet.consents.purposes import PURPOSES
from cabinet.messages import lazy_gettext
from tests.helpers import act, login_as, upload

KK_REQUIRED, RU_REQUIRED = "Бұл өріс міндетті түрде керек.", "Обязательное поле."


def test_the_forms_own_words_are_read_once_per_language_and_stay_in_it(client, monkeypatch):
    """WTForms' built-in messages (an empty required field) in the page's language; its catalog read from disk at
    most once per language, not on every request that builds a form."""
    loads = []
    real = support.Translations.load.__func__

    def counting(cls, dirname=None, locales=None, domain=None):
        loads.append((domain, tuple(str(locale) for locale in locales or ())))
        return real(cls, dirname, locales, domain)

    monkeypatch.setattr(support.Translations, "load", classmethod(counting))
    for lang, shown, other in (("kk", KK_REQUIRED, RU_REQUIRED), ("ru", RU_REQUIRED, KK_REQUIRED),
                               ("kk", KK_REQUIRED, RU_REQUIRED), ("ru", RU_REQUIRED, KK_REQUIRED)):
        client.get(f"/lang/{lang}")
        for _ in range(2):
            page = client.post("/login", data={"email": "", "password": ""}).text
            assert shown in page and other not in page
    wtforms = [locales for domain, locales in loads if domain == "wtforms"]
    assert len(wtforms) == len(set(wtforms)) <= 2


def test_kept_words_stay_in_their_language(app):
    """Strings without variables are kept once formatted: asked in kk and ru in turn, each language gets its own."""
    title = PURPOSES[0].title  # a lazy string, translated where shown
    seen: dict[str, set] = {"kk": set(), "ru": set()}
    with app.test_request_context():
        for _turn in range(2):
            for lang in ("kk", "ru"):
                with force_locale(lang):
                    seen[lang].add((messages.gettext("Sign out"), str(title), str(title.__html__())))
    (kk,), (ru,) = seen["kk"], seen["ru"]  # the same words every time in a language
    assert kk[0] == "Шығу" and ru[0] == "Выйти"
    assert kk[1] != ru[1] and kk[1] == kk[2] and ru[1] == ru[2]


def test_kept_numbers_follow_their_pattern_and_language(app):
    """Formatted numbers are kept per value, pattern and language: each asked twice reads the same as Babel's."""
    from babel.numbers import format_decimal

    with app.test_request_context():
        for _turn in range(2):
            for lang in ("kk", "ru"):
                with force_locale(lang):
                    for value, pattern in ((1234.56, "#,##0.#"), (1234.56, "#,##0.##"), (2, "#,##0.#"),
                                           (2.0, "#,##0.0")):
                        assert messages.decimal(value, pattern) == format_decimal(value, pattern, locale=lang)
                    assert messages.decimal(1234.56, "#,##0.#") == "1\xa0234,6"


def _sections(html: str) -> list[str]:
    """The section bar's links as a signed-in person sees them: the nav labels and their targets."""
    bar = html.split('<div class="nav-full">', 1)[1].split("</div>", 1)[0] if 'class="nav-full"' in html else ""
    return re.findall(r'<nav class="wrap sections" aria-label="([^"]+)">|href="([^"]+)"', bar)


def test_the_kept_section_links_follow_roles_acting_and_language(app, create_user):
    """The layout's section links are rendered once and kept: each person still gets the bars of their own roles,
    in the page's language, and staff acting for a subject get the subject's sections too."""
    subject = create_user(email="subject@example.kz")
    support = create_user(email="support@example.kz", roles=("support",))
    admin = create_user(email="admin@example.kz", roles=("admin", "subject"))
    browsers = {name: login_as(app, user) for name, user in
                (("subject", subject), ("support", support), ("admin", admin))}
    expected = {
        "kk": {"subject": ["Кабинет бөлімдері"], "support": ["Қызметкерлерге"],
               "admin": ["Кабинет бөлімдері", "Қызметкерлерге", "Әкімшілендіру", "Аудармалар"]},
        "ru": {"subject": ["Разделы кабинета"], "support": ["Сотрудникам"],
               "admin": ["Разделы кабинета", "Сотрудникам", "Администрирование", "Переводы"]},
    }
    for _turn in range(2):
        for lang in ("kk", "ru"):
            for name, browser in browsers.items():
                browser.get(f"/lang/{lang}")
                page = browser.get("/policy").text
                bars = [label for label, _href in _sections(page) if label]
                assert bars == expected[lang][name], (lang, name, bars)
                hrefs = [href for _label, href in _sections(page) if href]
                assert ("/cabinet" in hrefs) == (name != "support")
                assert ("/admin/users" in hrefs) == (name == "admin")
            overview = browsers["subject"].get("/cabinet").text  # its cards are kept too, per language
            cards = {"kk": "Барлық деректерімді жүктеп алу", "ru": "Скачать все мои данные"}
            assert cards[lang] in overview and cards["ru" if lang == "kk" else "kk"] not in overview
    staff = browsers["support"]
    assert act(staff, subject.id, basis=upload()).status_code == 302
    hrefs = [href for _label, href in _sections(staff.get("/cabinet").text) if href]
    assert "/cabinet/profile" in hrefs and "/staff/complaints" in hrefs  # the subject's sections beside their own
    anonymous = app.test_client().get("/policy").text
    assert 'class="nav-full"' not in anonymous


def test_hooks_are_asked_about_once_and_per_request_callables_cannot_fill_the_memory(app):
    """Flask's ensure_sync is kept per function (hooks and views); a callable made for each request (a deferred
    job's partial) is not kept, and made functions fill the dict only to its limit."""
    app.synced = {}  # as a new worker starts
    with app.test_request_context():
        app.preprocess_request()
    assert app.synced  # the hooks that ran
    kept = dict(app.synced)
    with app.test_request_context():
        app.preprocess_request()
    assert app.synced == kept  # asked once

    def hook():
        return "plain"

    assert app.ensure_sync(hook) is hook and app.synced[hook] is hook
    assert app.ensure_sync(functools.partial(hook)) is not None and len(app.synced) == len(kept) + 1
    for _ in range(app.SYNCED_LIMIT + 10):
        app.ensure_sync(lambda: None)
    assert len(app.synced) <= app.SYNCED_LIMIT


ATTRIBUTES = [{"id": "a", "name": "b", "class_": "x y", "required": True, "readonly": False, "value": "\"<&>'",
               "data_foo_bar": "1", "aria_describedby": "q r"},
              {"type": "hidden", "value": Markup('<b>"x"</b>')}, {"value": 5, "checked": True}, {},
              {"for": "f", "value": "Қазақ", "x<y": "z", "placeholder": lazy_gettext("Sign out")}]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_the_widgets_attributes_are_written_as_wtforms_writes_them(app, attributes):
    """The widgets render through the cabinet's html_params (no string.Formatter): the very output of WTForms' own,
    escaping included."""
    assert widgets.html_params is wtforms.widgets.html_params is widgets.Input.html_params is forms.html_params
    with app.test_request_context():
        ours, theirs = forms.html_params(**attributes), forms.WTFORMS_HTML_PARAMS(**attributes)
    assert ours == theirs and type(ours) is type(theirs)
