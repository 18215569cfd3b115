"""Every rule of `flask i18n check`, on small in-memory Babel catalogs; then the command on a copy of the catalogs."""

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po
from flask_babel import force_locale

from cabinet.app import create_app
from cabinet.extensions import db
from cabinet.translate import catalogs
from cabinet.translate.checks import Problem, placeholders, problems


def rules(msgid, string, locale="ru", context=None, fuzzy=False):
    return [p.rule for p in problems(Message(msgid, string, context=context, flags=["fuzzy"] if fuzzy else []), locale)]


def test_a_good_translation_passes():
    source = "Hello, %(name)s! <strong>Welcome</strong>"
    assert rules(source, "Привет, %(name)s! <strong>Добро пожаловать</strong>") == []


def test_the_header_entry_is_not_checked():
    assert rules("", "Language: ru\n") == []


@pytest.mark.parametrize("string", ["", ("один", ""), ("", "", "")])
def test_untranslated(string):
    msgid = ("%(num)d file", "%(num)d files") if isinstance(string, tuple) else "File"
    assert rules(msgid, string) == ["untranslated"]


def test_fuzzy_is_reported_even_when_the_text_is_fine():
    assert rules("File", "Файл", fuzzy=True) == ["fuzzy"]


def test_fuzzy_and_untranslated_both_reported():
    assert rules("File", "", fuzzy=True) == ["fuzzy", "untranslated"]


@pytest.mark.parametrize("source, translation", [
    ("Hello, %(name)s!", "Привет!"),                      # named placeholder left out
    ("Hello, %(name)s!", "Привет, %(nme)s!"),             # misspelt
    ("Hello!", "Привет, %(name)s!"),                      # added
    ("Hello, %(name)s!", "Привет, %(name)d!"),            # another conversion
    ("%s files found", "Найдено файлов"),                 # positional %s
    ("%d of %d", "%d"),                                   # one of two %d
    ("Hello, {name}!", "Привет, {имя}!"),                 # brace placeholder renamed
    ("Hello, {name}!", "Привет!"),                        # brace placeholder left out
])
def test_placeholders_must_match(source, translation):
    assert rules(source, translation) == ["placeholders"]


def test_placeholder_order_may_change():
    assert rules("%(a)s and %(b)s", "%(b)s и %(a)s") == []


def test_a_plural_form_may_leave_out_the_number():
    """Russian "one" form: "Один файл" (also for 21, 31…) often reads better written out; the count is optional."""
    assert rules(("%(num)d file", "%(num)d files"), ("%(num)d файл", "%(num)d файла", "%(num)d файлов")) == []
    assert rules(("%(num)d file", "%(num)d files"), ("Один файл", "%(num)d файла", "%(num)d файлов")) == []


def test_each_placeholder_of_a_plural_entry_is_used_in_at_least_one_form():
    """msgfmt --check-format: a form may leave a placeholder out, the entry as a whole may not."""
    msgid = ("%(num)d file in %(folder)s", "%(num)d files in %(folder)s")
    assert rules(msgid, ("Один файл", "%(num)d файла в %(folder)s", "%(num)d файлов в %(folder)s")) == []
    assert rules(msgid, ("%(num)d файл", "%(num)d файла", "%(num)d файлов")) == ["placeholders"]


def test_a_plural_entry_that_drops_the_number_from_every_form_is_refused():
    """The translation the editor once saved: the length rule without its length."""
    msgid = ("The password must be at least %(num)d character long.",
             "The password must be at least %(num)d characters long.")
    assert rules(msgid, ("Құпиясөз ұзын болсын.", "Құпиясөз ұзын болсын."), "kk") == ["placeholders"]
    assert rules(msgid, ("Пароль длинный.",) * 3) == ["placeholders"]


def test_a_plural_form_may_not_add_a_placeholder():
    assert rules(("%(num)d file", "%(num)d files"), ("%(num)d файл", "%(num)d файла", "%(num)d %(x)s")) == \
        ["placeholders"]


@pytest.mark.parametrize("translation", [
    "Прочтите политику.",                                 # tag dropped
    "<em>Прочтите</em> политику.",                        # another tag
    "<strong>Прочтите</strong> <strong>политику</strong>.",  # one more
])
def test_html_tags_must_match(translation):
    assert rules("<strong>Read</strong> the policy.", translation) == ["tags"]


def test_tags_may_move_and_keep_their_attributes():
    source = 'Read <a href="%(url)s">the policy</a> first.'
    assert rules(source, 'Сначала прочтите <a href="%(url)s">политику</a>.') == []


@pytest.mark.parametrize("locale, forms, ok", [
    ("kk", 2, True), ("kk", 1, False), ("kk", 3, False),
    ("ru", 3, True), ("ru", 2, False), ("ru", 4, False),
])
def test_plural_form_counts(locale, forms, ok):
    string = tuple(f"{i} %(num)d" for i in range(forms))
    found = rules(("%(num)d file", "%(num)d files"), string, locale=locale)
    assert found == ([] if ok else ["plural_count"])


def test_problem_words_name_the_details():
    problem = problems(Message("Hello, %(name)s!", "Привет!"), "ru")[0]
    assert str(problem) == "Placeholders differ: the source has %(name)s, the translation has —."
    count = problems(Message(("%(num)d file", "%(num)d files"), ("a %(num)d", "b %(num)d")), "ru")[0]
    assert "2 given, 3 needed" in str(count)


def test_problem_text_is_translated_at_request_time():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "TESTING": True})
    problem = Problem("tags", {"expected": "a", "got": "—"})
    english = "HTML tags differ: the source has a, the translation has —."
    with app.test_request_context():
        app.preprocess_request()  # as a request does: catalogs cached by an earlier app in this process are dropped
        with force_locale("kk"):
            kk = problem.text()
        with force_locale("ru"):
            ru = problem.text()
    assert english not in (kk, ru) and kk != ru
    assert "a" in kk and "—" in ru  # the details survive the translation
    with app.app_context():
        db.engine.dispose()


# --- catalog level: template drift, missing and extra entries -------------------------------------

def catalog(*entries, locale=None):
    made = Catalog(locale=locale)
    for msgid, string, context in entries:
        made.add(msgid, string, context=context)
    return made


@pytest.fixture
def ctx(tmp_path):
    """An app context whose catalogs live in tmp_path, for functions that name the files."""
    (tmp_path / "translations").mkdir()
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "TESTING": True,
                      "TRANSLATIONS_DIR": str(tmp_path / "translations")})
    with app.app_context():
        yield app
        db.engine.dispose()


def test_a_template_matching_the_code_is_not_stale(ctx):
    fresh = catalog(("A", "", None), (("%(num)d b", "%(num)d bs"), "", None))
    assert catalogs.template_drift(fresh, catalog(("A", "", None), (("%(num)d b", "%(num)d bs"), "", None))) == []


@pytest.mark.parametrize("committed", [
    catalog(("A", "", None)),                                         # a string added to the code
    catalog(("A", "", None), ("B", "", None), ("C", "", None)),       # a string removed from the code
    catalog(("A", "", "verb"), ("B", "", None)),                      # a context added
    catalog(("A", "", None), (("B", "Bs"), "", None)),                # a plural added
])
def test_a_template_out_of_date_with_the_code_is_reported(ctx, committed):
    fresh = catalog(("A", "", None), ("B", "", None))
    report = catalogs.template_drift(fresh, committed)
    assert len(report) == 1 and "out of date" in report[0]


def test_catalog_report_names_missing_extra_and_broken_entries(ctx):
    template = catalogs.keys(catalog(("A", "", None), ("B", "", None)))
    ru = catalog(("A", "", None), ("Gone", "Ушло", None), locale="ru")
    report = catalogs.catalog_report(ru, "ru", template)
    assert "ru: 'A': Not translated yet." in report
    assert any("1 strings of the code are missing" in line for line in report)
    assert any("1 entries are no longer in the code" in line for line in report)


# --- the command, end to end, on a copy of the catalogs ------------------------------------------------

def _fill(path, locale):
    """Translate every entry with its own source text: that passes every rule."""
    with open(path, "rb") as f:
        filled = read_po(f, locale=locale)
    for message in filled:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else None
            message.string = tuple(ids[min(i, 1)] for i in range(filled.num_plurals)) if ids else message.id
    with open(path, "wb") as f:
        write_po(f, filled, width=None)


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> dict:
    """The catalogs as `i18n extract` and `i18n update` make them from the code, every entry then filled: made once
    for the module (extracting reads every module and template), copied into each test's folder by `completed`."""
    folder = tmp_path_factory.mktemp("complete")
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "TESTING": True,
                      "TRANSLATIONS_DIR": str(folder)})
    with app.app_context():
        runner = app.test_cli_runner()
        for command in ("extract", "update"):
            result = runner.invoke(args=["i18n", command])
            assert result.exit_code == 0, result.output
        for locale in ("kk", "ru"):
            _fill(catalogs.po_path(locale), locale)
        db.engine.dispose()
    return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def completed(complete: dict) -> None:
    """The complete catalogs written into the current app's folder."""
    for relative, data in complete.items():
        path = catalogs.translations_dir() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_check_passes_on_complete_catalogs_and_fails_on_a_stale_template(ctx, complete):
    runner = ctx.test_cli_runner()
    completed(complete)
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 0, result.output
    assert "complete" in result.output

    pot = catalogs.pot_path()
    with open(pot, "rb") as f:
        template = read_po(f)
    template.add("A string the code no longer has")
    with open(pot, "wb") as f:
        write_po(f, template, width=None)
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 1
    assert "out of date with the code" in result.output


@pytest.mark.parametrize("kind, make, words", [
    ("placeholder", lambda m: "без подстановки", "Placeholders differ"),
    ("markup", lambda m: 'Тіл"><meta http-equiv="refresh" x="' + " ".join(placeholders(m.id)), "Broken HTML"),
    ("percent", lambda m: "50% off " + " ".join(placeholders(m.id)), "Placeholders differ"),
    ("lone percent", lambda m: " ".join(placeholders(m.id)) + " 100%", "Not a valid format"),
])
def test_check_fails_on_a_broken_entry_in_a_catalog(ctx, complete, kind, make, words):
    runner = ctx.test_cli_runner()
    completed(complete)
    path = catalogs.po_path("ru")
    with open(path, "rb") as f:
        ru = read_po(f, locale="ru")
    broken = next(m for m in ru if m.id and not isinstance(m.id, tuple) and "%(" in m.id and "<" not in m.id)
    broken.string = make(broken)
    with open(path, "wb") as f:
        write_po(f, ru, width=None)
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 1
    assert words in result.output and f"ru: {broken.id[:70]!r}" in result.output


def test_compile_writes_each_mo_without_fuzzy_entries(ctx):
    from babel.support import Translations

    for locale in ("kk", "ru"):
        made = catalog(("Done", "Дайын" if locale == "kk" else "Готово", None), locale=locale)
        made.add("Unsure", "Күмәнді", flags=["fuzzy"])
        catalogs.po_path(locale).parent.mkdir(parents=True, exist_ok=True)  # seeded from the package
        with open(catalogs.po_path(locale), "wb") as f:
            write_po(f, made, width=None)
    assert ctx.test_cli_runner().invoke(args=["i18n", "compile"]).exit_code == 0
    with open(catalogs.po_path("ru").with_suffix(".mo"), "rb") as f:
        compiled = Translations(f)
    assert compiled.ugettext("Done") == "Готово" and compiled.ugettext("Unsure") == "Unsure"


# --- python-format as msgfmt reads it, markup as the source has it, no hidden characters ----------------------

@pytest.mark.parametrize("translation", ["%(name)s: 100%", "%(name)s, скидка 50%!", "%(name)s %(", "%(name)s %(x)"])
def test_a_percent_sign_that_is_no_format_is_refused(translation):
    assert rules("Hello, %(name)s!", translation) == ["format"]


@pytest.mark.parametrize("translation", ["50% off", "50 % o"])
def test_a_percent_sign_that_reads_as_another_conversion_is_refused(translation):
    """"% o" is a conversion (space flag, octal): the % operator would want a number there."""
    assert rules("Half price", translation) == ["placeholders"]


def test_a_literal_percent_is_written_twice():
    assert rules("Half price", "Скидка 50%%") == []
    assert rules("%(num)d%% done", "Готово на %(num)d%%") == []


def test_a_conversion_of_another_type_is_refused_flags_and_width_are_not():
    assert rules("%(num)d files", "%(num)s файлов") == ["placeholders"]
    assert rules("%(num)d files", "%(num)5d файлов") == []
    assert rules("%(num)d files", "%(num)i файлов") == []


@pytest.mark.parametrize("translation", [
    'Тіл"><meta http-equiv="refresh" content="0;url=http://127.0.0.1:5309/phish" x="',
    "Құпиясөз<img src=x onerror=alert(2) x=",
    "a <b>bold</b> word",
    "<script>alert(1)</script>",
])
def test_markup_in_a_translation_of_plain_text_is_refused(translation):
    found = rules("Language", translation)
    assert found and set(found) <= {"tags", "unclosed"}


@pytest.mark.parametrize("translation", [
    "Прочтите <a>политику</a>.",                     # first tag loses its unclosed
    "Прочтите <a href=\"%(url)s\">политику.",         # not closed
    "Прочтите политику</a> <a href=\"%(url)s\">.",   # closed before opened
    "Прочтите <!-- --> <a href=\"%(url)s\">политику</a>.",
    "Прочтите <a href=\"%(url)s\">политику</a> >",
])
def test_broken_markup_is_refused(translation):
    assert rules('Read <a href="%(url)s">the policy</a>.', translation)


@pytest.mark.parametrize("translation, rule", [
    ('Прочтите <a href="javascript:alert(1)">политику</a>.', "attributes"),
    ('Прочтите <a href="%(url)s" onclick="x()">политику</a>.', "attributes"),
    ('Прочтите <a href="https://evil.example/">политику</a>.', "attributes"),
    ('Прочтите <a href="%(url)s">политику</a> <img src="x">.', "tags"),
])
def test_attributes_and_protocols_must_be_the_sources(translation, rule):
    found = rules('Read <a href="%(url)s">the policy</a>.', translation)
    assert rule in found


def test_a_refusal_names_the_offending_attribute():
    problem = problems(Message('<a href="/policy">Go</a>', '<a href="javascript:x">Бар</a>'), "ru")[0]
    assert str(problem) == 'HTML attributes differ from the source\'s: <a href="javascript:x"> is not in the source.'


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\x00", "\x1b", "\u200f", "\ufeff"])
def test_control_and_bidirectional_characters_are_refused(char):
    assert rules("File", f"Фа{char}йл") == ["control"]
    assert str(problems(Message("File", f"Фа{char}йл"), "ru")[0]).endswith(f"(U+{ord(char):04X}).")


def test_line_breaks_and_tabs_are_fine():
    assert rules("One\nTwo", "Один\nДва\t") == []


def test_a_translation_far_longer_than_its_source_is_refused():
    assert rules("File", "Ф" * 221) == ["length"]
    assert rules("File", "Ф" * 220) == []


def test_the_template_a_check_extracts_is_extracted_again_when_the_code_changes(ctx, tmp_path, monkeypatch):
    """A check keeps the template it extracted for the next check in the process, only while no source changed."""
    project = tmp_path / "project"
    (project / "cabinet").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[[tool.babel.mappings]]\nmethod = "python"\npattern = "cabinet/**.py"\n')
    module = project / "cabinet" / "words.py"
    module.write_text('_("First")\n')
    monkeypatch.setattr(catalogs, "ROOT", project)
    catalogs._extracted.cache_clear()  # nothing kept from the real project (keyed by its stamp anyway)
    ids = lambda: {m.id for m in catalogs.fresh_template() if m.id}  # noqa: E731
    assert ids() == {"First"}
    assert catalogs.fresh_template() is catalogs.fresh_template()  # kept while nothing changed
    module.write_text('_("First")\n_("Second one")\n')
    assert ids() == {"First", "Second one"}
    (project / "cabinet" / "more.py").write_text('_("Third")\n')
    assert ids() == {"First", "Second one", "Third"}
