"""Issue 12: a translation is text. Escaped in pages (folded or not), markup only as the source has it, and a
translation that cannot be formatted shows the source, logged once, never a 500."""

import logging
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import flash, render_template_string
from flask_babel import force_locale
from wtforms import Form, StringField

from cabinet import messages

ROOT = Path(__file__).resolve().parents[1]
BREAKOUT = 'Тіл"><meta http-equiv="refresh" content="0;url=http://127.0.0.1:5309/phish" x="'
LINK = 'Read the <a href="%(url)s">privacy policy</a> first.'
PLURAL = ("The password must be at least %(num)d character long.",
          "The password must be at least %(num)d characters long.")
#: msgid: kk translation (ru: the same); each a hostile one that the doors refuse but a file on disk can hold
HOSTILE = {
    "Language": BREAKOUT,
    "Password": "Құпиясөз<img src=x onerror=alert(2) x=",
    "Sign in": "50% off",
    "Hello, %(name)s!": "Сәлем, %(other)s!",
    "Files: %(count)s": "Файлдар: %(count)d",
    LINK: 'Алдымен <a href="javascript:alert(1)" onclick="x()">саясатты</a> <a href="%(url)s">оқыңыз</a>.',
    "Right to left": "\u202eлеж\u202c",
}


@pytest.fixture
def app(app_config, own_app, tmp_path):
    folder = tmp_path / "translations"
    for locale, plurals in (("kk", ("%(num)d", "%(num)d")), ("ru", ("a", "b", "c"))):
        catalog = Catalog(locale=locale)
        for msgid, string in HOSTILE.items():
            catalog.add(msgid, string)
        catalog.add(PLURAL, plurals)  # the number dropped from every form (the kk one formats, the ru one too)
        (folder / locale / "LC_MESSAGES").mkdir(parents=True)
        with open(folder / locale / "LC_MESSAGES" / "messages.mo", "wb") as f:
            write_mo(f, catalog)
    made = own_app({**app_config, "TRANSLATIONS_DIR": str(folder)})
    with made.test_request_context():
        made.preprocess_request()  # another test's app may have filled the process-wide catalog cache
    return made


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch):
    monkeypatch.setattr(messages, "_reported", set())


def render(app, source, folded, **context):
    env = app.jinja_env.in_language("kk") if folded else app.jinja_env
    return env.from_string(source).render(**context)


@pytest.mark.parametrize("folded", [False, True], ids=["while-rendering", "folded"])
def test_a_translation_is_escaped_in_text_and_attributes(app, folded):
    with app.test_request_context(), force_locale("kk"):
        page = render(app, '<nav aria-label="{{ _("Language") }}">{{ _("Password") }}</nav>', folded)
    assert page == ('<nav aria-label="Тіл&#34;&gt;&lt;meta http-equiv=&#34;refresh&#34; '
                    'content=&#34;0;url=http://127.0.0.1:5309/phish&#34; x=&#34;">'
                    "Құпиясөз&lt;img src=x onerror=alert(2) x=</nav>")


@pytest.mark.parametrize("folded", [False, True], ids=["while-rendering", "folded"])
def test_markup_survives_only_as_the_source_has_it(app, folded):
    with app.test_request_context(), force_locale("kk"):
        constant = render(app, '{{ _("Read the <a href=\\"%(url)s\\">privacy policy</a> first.") }}', folded)
        page = render(app, '{{ _("Read the <a href=\\"%(url)s\\">privacy policy</a> first.", url=url) }}', folded,
                      url='/policy?a=1&b="2"')
    assert page == 'Алдымен <a>саясатты</a> <a href="/policy?a=1&amp;b=&#34;2&#34;">оқыңыз</a>.'
    assert "javascript" not in constant and "onclick" not in constant


@pytest.mark.parametrize("folded", [False, True], ids=["while-rendering", "folded"])
def test_a_translation_that_cannot_be_formatted_shows_the_source(app, folded, caplog):
    caplog.set_level(logging.WARNING, "cabinet.messages")
    with app.test_request_context(), force_locale("kk"):
        sign_in = render(app, '{{ _("Sign in") }}', folded)
        hello = render(app, '{{ _("Hello, %(name)s!", name="<b>Ana</b>") }}', folded)
        files = render(app, '{{ _("Files: %(count)s", count="many") }}', folded)
        render(app, '{{ _("Sign in") }}', folded)  # the second time: not logged again
    assert (sign_in, hello, files) == ("Sign in", "Hello, &lt;b&gt;Ana&lt;/b&gt;!", "Files: many")
    logged = [r.getMessage() for r in caplog.records if r.name == "cabinet.messages"]
    assert len([m for m in logged if "'Sign in'" in m]) == 1
    assert any("'50% off'" in m and "kk" in m for m in logged), logged


def test_a_plural_translation_without_its_number_is_shown_as_translated(app):
    """It formats (a dropped placeholder is no error for %): the doors refuse it, the page does not break."""
    with app.test_request_context(), force_locale("ru"):
        assert messages.ngettext(*PLURAL, 3) == "b"
        assert render(app, "{{ ngettext(p[0], p[1], 5) }}", False, p=PLURAL) == "c"


def test_bidirectional_controls_never_reach_a_page(app):
    with app.test_request_context(), force_locale("kk"):
        assert render(app, '{{ _("Right to left") }}', True) == "леж"
        assert messages.gettext("Right to left") == "леж"


def test_python_gettext_falls_back_and_flashes_are_escaped(app, caplog):
    with app.test_request_context(), force_locale("kk"):
        assert messages.gettext("Sign in") == "Sign in"
        assert messages.gettext("Hello, %(name)s!", name="Ana") == "Hello, Ana!"
        flash(messages.gettext("Language"))
        page = render_template_string("{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}")
    assert "<meta" not in page and "&lt;meta" in page


def test_lazy_strings_are_escaped_in_templates_and_form_labels(app):
    """Flask-Babel's lazy string passes itself to Jinja as safe HTML; ours does not."""

    class Sample(Form):
        password = StringField(messages.lazy_gettext("Password"))

    with app.test_request_context(), force_locale("kk"):
        label = str(Sample().password.label)
        page = render_template_string("{{ text }}", text=messages.lazy_gettext("Language"))
    assert "<img" not in label and "&lt;img" in label
    assert "<meta" not in page and "&lt;meta" in page


@pytest.mark.parametrize("folded", [False, True], ids=["while-rendering", "folded"])
def test_text_templates_get_plain_text(app, folded):
    """A mail's text part is not HTML: the translation comes as typed (but formatted safely)."""
    env = app.jinja_env.in_language("kk") if folded else app.jinja_env
    code = env.compile('{{ _("Password") }}|{{ _("Sign in") }}|{{ _("Hello, %(name)s!", name="<Ana>") }}',
                       name="mail/sample.txt")
    with app.test_request_context(), force_locale("kk"):
        text = env.template_class.from_code(env, code, env.make_globals(None)).render()
    assert text == "Құпиясөз<img src=x onerror=alert(2) x=|Sign in|Hello, <Ana>!"


def test_no_module_translates_past_cabinet_messages():
    """Flask-Babel's own gettext would format unsafely and its lazy strings would skip escaping."""
    offenders = []
    for path in (ROOT / "cabinet").rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.match(r"\s*from flask_babel import .*\b(n?p?gettext|lazy_\w+)\b", line):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert not offenders, offenders


def test_kept_constant_strings_keep_escaping_and_their_type():
    """Formatted strings without variables are kept: a str equal to a Markup already seen is still escaped, and
    text asked for as plain text is not served the HTML kept for the same words (or the other way round)."""
    hostile = "<b>Тіл</b> & co"
    assert str(messages.formatted("Language", messages.Markup(hostile), {}, True)) == hostile  # already safe
    assert str(messages.formatted("Language", hostile, {}, True)) == "&lt;b&gt;Тіл&lt;/b&gt; &amp; co"
    assert messages.formatted("Language", hostile, {}, False) == hostile
    assert str(messages.formatted("Language", hostile, {}, True)) == "&lt;b&gt;Тіл&lt;/b&gt; &amp; co"

