"""Templates compiled per language with their constant strings translated in: the same pages, cheaper."""

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import force_locale
from jinja2 import ChoiceLoader, DictLoader

#: msgid: (kk, ru)
MESSAGES = {
    "Personal cabinet": ("KK кабинет", "RU кабинет"),
    "<strong>Read</strong> the notice.": ("<strong>KK оқыңыз</strong>", "<strong>RU прочтите</strong>"),
    "Fully 100%% sure": ("KK 100%% сенімді", "RU на 100%% уверен"),
    "Hello, %(name)s!": ("KK сәлем, %(name)s!", "RU привет, %(name)s!"),
    "Untranslated": ("", ""),
}
SNIPPETS = [
    '{{ _("Personal cabinet") }}',
    '<p title="{{ _("Personal cabinet") }}">{{ _("<strong>Read</strong> the notice.") }}</p>',
    '{{ _("Fully 100%% sure") }}',
    '{{ _("Hello, %(name)s!", name="<b>Ana</b>") }}',
    '{% set title = _("Personal cabinet") %}{{ title|upper }} {{ title ~ "<" }}',
    '{{ _("Untranslated") }} {{ (_("Personal cabinet"), "x")|join("|") }}',
    '{% trans name="<i>" %}Hello, {{ name }}!{% endtrans %}',
]


def write_catalogs(folder, messages=MESSAGES):
    for column, locale in enumerate(("kk", "ru")):
        catalog = Catalog(locale=locale)
        for msgid, strings in messages.items():
            catalog.add(msgid, strings[column])
        (folder / locale / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        with open(folder / locale / "LC_MESSAGES" / "messages.mo", "wb") as f:
            write_mo(f, catalog)
    return str(folder)


@pytest.fixture
def app(app_config, own_app, tmp_path):
    app = own_app({**app_config, "TRANSLATIONS_DIR": write_catalogs(tmp_path / "translations")})
    with app.test_request_context():
        app.preprocess_request()  # another test's app may have filled the process-wide catalog cache
    return app


@pytest.mark.parametrize("locale", ["kk", "ru"])
@pytest.mark.parametrize("source", SNIPPETS)
def test_folded_templates_render_what_translating_while_rendering_gives(app, locale, source):
    with app.test_request_context(), force_locale(locale):
        while_rendering = app.jinja_env.from_string(source).render()  # the shared environment folds nothing
        folded = app.jinja_env.in_language(locale).from_string(source).render()
    assert folded == while_rendering
    assert "Personal cabinet" not in folded and "<b>" not in folded and "<i>" not in folded


def test_constant_strings_are_in_the_compiled_template_and_the_rest_stays_a_call(app):
    source = '{{ _("Personal cabinet") }} {{ _("Hello, %(name)s!", name=who) }} {{ obj._("Personal cabinet") }}'
    with app.app_context():
        code = app.jinja_env.in_language("ru").compile(source, raw=True)
    assert "RU кабинет" in code and code.count("'Personal cabinet'") == 1  # the attribute call is not ours
    assert "'Hello, %(name)s!'" in code


def test_a_percent_sign_reads_as_one_and_html_in_a_translation_is_kept(app):
    with app.test_request_context(), force_locale("kk"):
        page = app.jinja_env.in_language("kk").from_string(SNIPPETS[1] + SNIPPETS[2]).render()
    assert "<strong>KK оқыңыз</strong>" in page and "KK 100% сенімді" in page


def test_pages_come_from_the_visitors_language(app):
    client = app.test_client()
    client.get("/lang/ru")
    assert "RU кабинет" in client.get("/").text
    client.get("/lang/kk")
    assert "KK кабинет" in client.get("/").text
    assert set(app.jinja_env.languages) == {"kk", "ru"}


def test_the_layouts_links_follow_the_script_root(client, create_user, login):
    """Links kept from one request are not served to a request mounted elsewhere (another script root)."""
    login(create_user())
    assert 'href="/cabinet/profile"' in client.get("/cabinet").text
    mounted = client.get("/cabinet", base_url="http://localhost/mount").text
    assert 'href="/mount/cabinet/profile"' in mounted and 'href="/cabinet/profile"' not in mounted
    page = client.get("/cabinet").text
    assert 'href="/cabinet/profile"' in page and "/mount/" not in page


def test_a_global_added_after_a_template_was_compiled_reaches_it(app, monkeypatch):
    """Templates hold copies of the globals (cheaper than Jinja's ChainMap): changing one drops the compiled
    templates, so a page compiled before the change sees it, in every language and through an import."""
    env = app.jinja_env
    monkeypatch.setattr(env, "loader", ChoiceLoader([DictLoader({
        "t/page.html": '{% from "t/macros.html" import m %}{{ m() }}|{{ greeting|default("none") }}',
        "t/macros.html": '{% macro m() %}{{ greeting|default("none") }}{% endmacro %}'}), env.loader]))
    env.drop_compiled()  # the overlays copy the loader when they are made
    with app.test_request_context():
        for lang in ("kk", "ru"):
            with force_locale(lang):
                assert env.get_template("t/page.html").render() == "none|none"
        env.globals["greeting"] = "<hello>"
        for lang in ("kk", "ru"):
            with force_locale(lang):
                assert env.get_template("t/page.html").render() == "&lt;hello&gt;|&lt;hello&gt;"
        del env.globals["greeting"]
        assert env.get_template("t/page.html").render() == "none|none"
        # every other way of changing a dict reaches the compiled templates too
        changes = [lambda g: g.update(greeting="u"), lambda g: g.setdefault("greeting", "d"),
                   lambda g: g.__ior__({"greeting": "o"})]
        for change, shown in zip(changes, ("u", "d", "o"), strict=True):
            env.globals.pop("greeting", None)
            env.get_template("t/page.html").render()
            change(env.globals)
            assert env.get_template("t/page.html").render() == f"{shown}|{shown}"
        env.get_template("t/page.html").render()
        env.globals.pop("greeting")
        assert env.get_template("t/page.html").render() == "none|none"


def test_kept_links_with_values_are_the_links_flask_builds(app):
    """Links with values are kept per endpoint, values and their types and script root: each reads as Flask's own."""
    from flask import url_for

    asks = [("complaints.show", {"number": "BE-2026-000001"}), ("complaints.show", {"number": "BE-2026-000002"}),
            ("i18n.switch", {"code": "ru", "next": "/cabinet?x=<1>&y=2"}), ("static", {"filename": "cabinet.css"}),
            ("policies.version", {"label": 1}), ("policies.version", {"label": True}),
            ("policies.version", {"label": 1, "_anchor": "a b"}), ("i18n.switch", {"code": "kk", "next": ["/a"]})]
    for base_url in ("http://localhost/", "http://localhost/mount/", "http://localhost/"):
        with app.test_request_context(base_url=base_url):
            kept = app.jinja_env.globals["url_for"]
            for _turn in range(2):
                for endpoint, values in asks:
                    assert kept(endpoint, **values) == url_for(endpoint, **values)


def test_what_a_person_typed_is_never_kept_in_memory(app):
    """A search text, a cursor holding a surname, or a path with a query are built each time, never kept."""
    from flask import url_for

    typed = [("staff.subjects", {"q": "Smith"}), ("staff.subjects", {"q": "Иванов", "page": 2}),
             ("staff.subjects", {"q": "x", "after": "WzAsIlNtaXRoIiwxMl0"}),
             ("i18n.switch", {"code": "ru", "next": "/staff/search?q=Иванов"})]
    with app.test_request_context():
        kept = app.jinja_env.globals["url_for"]
        kept.kept.clear()
        for endpoint, values in typed:
            assert kept(endpoint, **values) == url_for(endpoint, **values)
        assert kept.kept == {}
        kept("complaints.show", number="BE-2026-000001")
        assert len(kept.kept) == 1


def test_a_template_compiled_with_one_catalog_is_never_served_with_another(app, app_config, own_app, tmp_path,
                                                                           monkeypatch):
    """The session's apps share compiled templates (tests/sharing.py), translations folded in: an app
    with other catalogs, or with its folder's catalog saved again, compiles its own."""
    page = DictLoader({"t/title.html": '{{ _("Personal cabinet") }}'})

    def title(made):
        monkeypatch.setattr(made.jinja_env, "loader", ChoiceLoader([page, made.jinja_env.loader]))
        made.jinja_env.drop_compiled()
        with made.test_request_context(), force_locale("ru"):
            made.preprocess_request()  # the process-wide catalog cache follows this app's files
            return made.jinja_env.get_template("t/title.html").render()

    def saying(word):
        return {**MESSAGES, "Personal cabinet": ("KK " + word, "RU " + word)}

    assert title(app) == "RU кабинет"
    assert title(own_app({**app_config, "TRANSLATIONS_DIR": write_catalogs(tmp_path / "o", saying("другой"))})) \
        == "RU другой"
    saved = write_catalogs(tmp_path / "translations", saying("сохранённый"))  # a translator's save, same folder
    assert title(own_app({**app_config, "TRANSLATIONS_DIR": saved})) == "RU сохранённый"
    assert title(app) == "RU сохранённый"
