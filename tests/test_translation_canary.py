"""Issue 12: a translator changes words, never a page.

Hostile translations are written straight into a copy of the compiled catalogs (past every door, as a file
edited on the server would be), into every entry at once; then every page of every role is crawled in both
languages beside the same page under the real catalogs. No page may answer 5xx, and no page may have an element
or attribute that it has with the real catalogs' text: the tag/attribute skeleton of the DOM must be the same.
"""

import difflib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from cabinet import messages
from cabinet.app import create_app
from cabinet.extensions import db
from cabinet.translate.checks import placeholders
from tests.crawling import COMPLAINT, ERROR_PAGES, LANDING, ROLES, crawl
from tests.helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[1]

#: what a hostile translator types, HTML first: each must come out as text (a literal % written %%)
MARKUP = ['Тіл"><meta http-equiv="refresh" content="0;url=http://127.0.0.1:5309/phish" x="',
          "'><img src=x onerror=alert(1)>", "</textarea></title><script>alert(2)</script>",
          '<a href="javascript:alert(3)">x</a>', "{{ 7 * 7 }}{%% if true %%}jinja{%% endif %%}", "\u202egnp.exe",
          "<!-- comment --><![CDATA[x]]>", "Құпиясөз<img src=x onerror=alert(4) x="]
#: what the payloads would put into a page if they were not escaped
RAW = ['"><meta', "<meta http-equiv", "<img src=x", "<script>alert", 'href="javascript:', "<![CDATA[", "‮"]
#: a 10 kB string, in every seventh entry (pages stay a few hundred kB)
LONG = "Ұзын мәтін " * 1000
#: formats that cannot be formatted with the entry's variables: the page shows the source instead
BROKEN_FORMATS = ["50% off", "100%", "%(other)s", "%(num)d %(num)d %s"]


def markup_payload(index: int, msgid: str) -> str:
    """Every HTML payload, then the entry's own placeholders so that it still formats."""
    own = " ".join(p for p in placeholders(msgid) if p.startswith("%("))
    return "".join(MARKUP) + (LONG if index % 7 == 0 else "") + " " + own


def format_payload(index: int, msgid: str) -> str:
    """A broken format; for an entry with placeholders, also the same names with the wrong type."""
    own = [p for p in placeholders(msgid) if p.startswith("%(") and p.endswith("s")]
    choices = BROKEN_FORMATS + ([own[0][:-1] + "d"] if own else [])
    return choices[index % len(choices)] + MARKUP[index % len(MARKUP)]


def hostile_copy(folder: Path, parity: int) -> Path:
    """The real catalogs, every entry replaced: even entries (odd with parity 1) get the HTML payloads, the
    others a broken format, so each entry meets each kind in one of the two languages."""
    shutil.copytree(ROOT / "cabinet" / "translations", folder)
    for lang_parity, lang in enumerate(("kk", "ru")):
        path = folder / lang / "LC_MESSAGES" / "messages.po"
        with open(path, "rb") as f:
            catalog = read_po(f, locale=lang)
        for index, message in enumerate(m for m in catalog if m.id):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            make = markup_payload if (index + parity + lang_parity) % 2 == 0 else format_payload
            forms = tuple(make(index + n, ids[min(n, len(ids) - 1)]) for n in range(len(message.string)
                                                                                    if isinstance(message.string,
                                                                                                  tuple) else 1))
            message.string = forms if isinstance(message.id, tuple) else forms[0]
            message.flags.discard("fuzzy")
        with open(path.with_suffix(".mo"), "wb") as f:
            write_mo(f, catalog)
    return folder


class Skeleton(HTMLParser):
    """Every element and the names of its attributes, in document order: what a translation must not change."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.shape: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.shape.append(f"<{tag} {' '.join(sorted(name for name, _ in attrs))}>")

    def handle_endtag(self, tag):
        self.shape.append(f"</{tag}>")

    def handle_comment(self, data):
        self.shape.append("<!-- -->")

    handle_decl = handle_pi = unknown_decl = handle_comment


def skeleton(html: str) -> list[str]:
    return Skeleton(html).shape


def added_markup(plain: list[str], hostile: list[str]) -> list[str]:
    """Elements and attributes the hostile page has beyond the plain one (a link the translation lost is not one:
    that is a wrong translation, which the doors refuse, not an attack)."""
    opcodes = difflib.SequenceMatcher(None, plain, hostile, autojunk=False).get_opcodes()
    return [item for op, _, _, j1, j2 in opcodes if op in ("insert", "replace") for item in hostile[j1:j2]]


def test_the_skeleton_sees_an_injected_element_and_attribute():
    page = '<nav class="lang" aria-label="{}"><a href="/">x</a></nav>'
    assert skeleton(page.format("Тіл")) == skeleton(page.format("Тіл &#34;&gt;"))
    assert skeleton(page.format('Тіл"><meta http-equiv="refresh" x="')) != skeleton(page.format("Тіл"))
    plain = skeleton(page.format("Тіл"))
    assert added_markup(plain, skeleton(page.format('Тіл"><meta http-equiv="refresh" x="'))) == [
        "<meta http-equiv x>"]
    assert added_markup(plain, skeleton(page.format("Тіл").replace("x<", "<img src=x onerror=y>x<"))) == [
        "<img onerror src>"]
    assert added_markup(plain, skeleton(page.format("Тіл").replace(' href="/"', ''))) == ["<a >"]
    assert added_markup(plain, skeleton(page.format("Тіл").replace('<a href="/">x</a>', "x"))) == []


@pytest.fixture(params=[0, 1], ids=["kk-html-ru-format", "kk-format-ru-html"])
def hostile_app(request, app, tmp_path):
    """A second worker on the same database, reading the hostile copy of the catalogs."""
    keys = ("DATABASE_URL", "SECRET_KEY", "TESTING", "WTF_CSRF_ENABLED", "RATELIMIT_ENABLED", "UPLOAD_DIR",
            "OUTBOX_DIR", "BASE_URL")
    folder = hostile_copy(tmp_path / "hostile", request.param)
    made = create_app({**{k: app.config[k] for k in keys}, "TRANSLATIONS_DIR": str(folder)})
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def sign_in(client, user, lang):
    if user is not None:
        answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert answer.status_code == 302, answer.status_code
    client.get(f"/lang/{lang}")
    if user is not None:  # the account's own language, for pages drawn without the cookie
        client.post(f"/lang/{lang}")
    client.get("/")  # shows (and so drops) any message left from before, such as the world fixture's sign-out


@pytest.mark.parametrize("role", ROLES)
def test_no_catalog_content_breaks_a_page_or_adds_markup(app, client, hostile_app, crawl_world, role, caplog,
                                                         monkeypatch):
    monkeypatch.setattr(messages, "_reported", set())  # what earlier tests reported is reported again here
    hostile = hostile_app.test_client()
    pages, differences = 0, []
    for lang in ("kk", "ru"):
        user = crawl_world.get(role)
        sign_in(client, user, lang)
        sign_in(hostile, user, lang)

        def check(url, response, lang=lang):
            nonlocal pages
            pages += 1
            assert f'<html lang="{lang}"' in response.text, url
            for raw in RAW:
                assert raw not in response.text, f"{lang} {url}: {raw} reached the page unescaped"
            plain = client.get(url)
            if added := added_markup(skeleton(plain.text), skeleton(response.text)):
                differences.append(f"{lang} {url}: {added}")

        visited = crawl(hostile, [LANDING[role], *ERROR_PAGES], check)
        assert all(status < 500 for status in visited.values()), visited
        assert sum(status == 200 for status in visited.values()) >= 3, visited
        client.post("/logout")
        hostile.post("/logout")
    print(f"\n{role}: {pages} pages in two languages under hostile catalogs")
    assert not differences, "pages whose elements or attributes changed:\n  " + "\n  ".join(differences)
    broken = [r for r in caplog.records if r.name == "cabinet.messages"]
    assert broken, "the broken formats were logged"
    assert len({r.getMessage() for r in broken}) == len(broken), "each broken translation logged once"
    assert re.search(r"translation of .+ cannot be formatted", broken[0].getMessage())
    assert COMPLAINT  # the world's own text is in the languages of the site
