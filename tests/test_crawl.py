"""Issue 6: a crawl of every page in both languages that fails when any source (English) string shows through.

For each language and each role the crawl starts where that role lands, follows every same-site link and GETs
each page once; every page must answer without a server error, declare `<html lang="…">` in the chosen
language, and show no fragment of an English msgid of the catalog in its visible text.
"""

import time

import flask_babel
import pytest
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from tests.crawling import (
    COMPLAINT,
    ERROR_PAGES,
    ISO_DATE,
    LANDING,
    LANGUAGES,
    ROLES,
    ROOT,
    SourceStrings,
    _fragments,
    _worth_checking,
    crawl,
    visible_text,
)
from tests.helpers import PASSWORD

# --- the checker checked ----------------------------------------------------------------------------------


def _catalog_entry(lang):
    """A translated msgid of at least two words with a fragment to find, and its translation."""
    with open(ROOT / "cabinet" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=lang)
    for message in catalog:
        if isinstance(message.id, str) and message.string and message.string != message.id \
                and "%" not in message.id and len(message.id.split()) >= 3 and len(message.id) > 20:
            return message.id, message.string
    raise AssertionError("no usable entry in the catalog")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_checker_reports_an_english_source_string_and_passes_its_translation(lang):
    checker = SourceStrings.of(lang)
    msgid, translation = _catalog_entry(lang)
    page = '<html lang="{}"><body><main><p>{}</p></main></body></html>'
    assert any(repr(msgid) in hit for hit in checker.found_in(page.format(lang, msgid)))
    assert not checker.found_in(page.format(lang, translation))
    # hidden places are not the visible text
    hidden = f'<script>var s = "{msgid}";</script><input value="{msgid}"><textarea>{msgid}</textarea>'
    assert not checker.found_in(page.format(lang, hidden))
    # what the page marks as English (the translators' source column) is meant to be English
    marked = f'<div lang="en"><p>{msgid}<br>{msgid}</p></div><p>{translation}</p>'
    assert not checker.found_in(page.format(lang, marked))
    assert checker.found_in(page.format(lang, marked + f"<p>{msgid}</p>"))
    # an English string split by markup still shows through
    words = msgid.split(" ")
    split = " ".join(words[:1]) + " <strong>" + " ".join(words[1:]) + "</strong>"
    assert checker.found_in(page.format(lang, split))


def test_checker_splits_msgids_on_placeholders():
    assert _fragments("Complaint %(number)s was answered on %(date)s by the operator") == \
        ["was answered on", "by the operator"]
    assert _fragments("%(count)s") == []
    assert not _worth_checking("%(name)s")
    assert not _worth_checking("PDF")
    assert _worth_checking("Sign in")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_is_in_the_chosen_language(app, client, login, crawl_world, lang, role):
    checker = SourceStrings.of(lang, ignore=[*COMPLAINT.values()])
    if role != "anonymous":
        login(crawl_world[role], PASSWORD)
    assert client.get(f"/lang/{lang}").status_code == 302

    problems: list[str] = []
    dates: list[str] = []

    def check(url, response):
        if f'<html lang="{lang}"' not in response.text:
            problems.append(f"{url}: no <html lang=\"{lang}\">")
        for hit in checker.found_in(response.text):
            problems.append(f"{url}: {hit}")
        for shown in ISO_DATE.findall(visible_text(response.text)):  # <time>'s text is the localised date
            dates.append(f"{url}: {shown}")

    started = time.perf_counter()
    visited = crawl(client, [LANDING[role], *ERROR_PAGES], check)
    elapsed = time.perf_counter() - started
    ok = sum(1 for status in visited.values() if status == 200)
    print(f"\n{lang} {role}: {len(visited)} requests ({ok} × 200) in {elapsed:.1f}s: "
          + ", ".join(f"{u} {s}" for u, s in visited.items()))
    assert ok >= 3, visited
    assert len(checker.fragments) > 300  # the checker has something to look for
    assert not dates, "dates shown outside <time datetime>:\n  " + "\n  ".join(dates)
    assert not problems, "English source strings or a wrong <html lang> on these pages:\n  " + \
        "\n  ".join(problems)


def test_the_crawl_fails_when_the_catalog_is_not_applied(app, client, policy, monkeypatch):
    """End to end: with no translations at all every page shows its English source, and the check says so."""
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: NullTranslations())
    checker = SourceStrings.of("kk")
    client.get("/lang/kk")
    problems = []
    crawl(client, ["/"], lambda url, response: problems.extend(checker.found_in(response.text)))
    assert any("Sign in" in p or "personal data" in p for p in problems), problems
