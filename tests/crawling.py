"""The crawl of every page the language tests share: the world it starts from, the links it follows, the English
source strings it looks for in what a reader sees."""

import hashlib
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from cabinet.accounts.models import User
from cabinet.disclosures import service as disclosures
from cabinet.documents import storage
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.profile import service as profile
from tests.helpers import PDF, upload

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("kk", "ru")
ROLES = ("anonymous", "subject", "support", "translator", "admin")
LANDING = {"anonymous": "/", "subject": "/cabinet", "support": "/staff", "translator": "/translate",
           "admin": "/staff"}
MAX_PAGES = 150  # per role and language
PER_SHAPE = 3  # pages of one shape (/staff/complaints/<number>, …) visited per crawl
MIN_FRAGMENT = 12  # characters of a msgid fragment that must not show through verbatim

#: links never followed: signing out, switching language, files rather than pages
SKIP = re.compile(r"^/logout\b|^/lang/|\.pdf$|/export\b|/documents/\d+|/download\b|^/static/")

#: %(name)s, %s, %d, {name}: a msgid is split on these and only the literal fragments are searched for
PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{[^{}]*\}|<[^<>]+>|&\w+;")
#: ISO dates shown as text rather than inside <time datetime>
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- the checker ------------------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a reader sees: text nodes and the attributes shown as text (title, alt, placeholder,
    aria-label), without <script>, <style>, <textarea> contents or <input value>s, and without what the page
    itself marks as English (`lang="en"`: the source column of the translators' area)."""

    HIDDEN = {"script", "style", "textarea", "template"}
    SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.english: list[str] = []  # open elements from the one marked lang="en" inwards

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.HIDDEN:
            self.hidden += 1
        if tag not in self.VOID and (self.english or (attributes.get("lang") or "").lower().startswith("en")):
            self.english.append(tag)
        self.parts.append(" ")
        if not self.hidden and not self.english:
            for name, value in attrs:
                if name in self.SHOWN_ATTRIBUTES and value:
                    self.parts.append(f" {value} ")

    def handle_startendtag(self, tag, attrs):
        if tag not in self.VOID:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)
        else:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1
        if tag in self.english:  # close up to the matching element (tolerates unclosed <p>, <li>)
            while self.english and self.english.pop() != tag:
                pass
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden and not self.english:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return _squash("".join(parser.parts))


def _fragments(msgid: str) -> list[str]:
    return [f for f in (_squash(part) for part in PLACEHOLDER.split(msgid)) if len(f) >= MIN_FRAGMENT
            and re.search(r"[A-Za-z]", f)]


def _worth_checking(msgid: str) -> bool:
    literal = _squash(PLACEHOLDER.sub(" ", msgid))
    return bool(re.search(r"[A-Za-z]", literal)) and (len(literal.split()) >= 2 or len(literal) >= 8)


class SourceStrings:
    """The English msgids of one catalog, as fragments to look for in a page's text."""

    def __init__(self, catalog, ignore=()):
        translations: list[str] = []
        wanted: dict[str, str] = {}  # fragment → its msgid
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
            strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
            translations.extend(s for s in strings if s)
            for msgid in ids:
                if msgid in strings or not _worth_checking(msgid):
                    continue  # "PDF", a code, a placeholder alone: the same in every language
                for fragment in _fragments(msgid):
                    wanted.setdefault(fragment, msgid)
        # a fragment that a translation itself contains (a brand, an e-mail address) is no evidence
        shown_anyway = " ".join(_squash(t) for t in translations) + " " + " ".join(ignore)
        self.fragments = {f: m for f, m in wanted.items() if f not in shown_anyway}

    @classmethod
    def of(cls, lang: str, ignore=()):
        with open(ROOT / "cabinet" / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
            return cls(read_po(po, locale=lang), ignore)

    def found_in(self, html: str) -> list[str]:
        """The msgids (with the fragment found) whose English shows through in the page."""
        text = visible_text(html)
        return sorted({f"{msgid!r} (shown: {fragment!r})" for fragment, msgid in self.fragments.items()
                       if fragment in text})


# --- the world --------------------------------------------------------------------------------------------

#: what the test's own data says, in the languages of the site (never English, so it cannot be mistaken)
COMPLAINT = {"subject": "Деректерге қол жеткізу", "body": "Менің деректерімді көрсетіңіз.",
             "desired_outcome": "Көшірме беріңіз."}


@pytest.fixture
def crawl_world(app, client, create_user, login, policy):
    """A subject with a complaint filed through the app, a pending name correction and a disclosure; a second
    policy version in effect; support, translator and admin accounts."""
    subject = create_user(email="subject@example.kz")
    users = {"subject": subject}
    for role in ("support", "translator", "admin"):
        users[role] = create_user(email=f"{role}@example.kz", roles=(role,))

    # the complaint, through the form as the subject files it
    login(subject)
    form = client.get("/cabinet/complaints/new")
    assert form.status_code == 200
    token = re.search(r'name="submission_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_token"',
                      form.text)
    assert token, "the complaint form has no submission_token"
    filed = client.post("/cabinet/complaints/new", data={**COMPLAINT, "submission_token": token.group(1) or
                                                          token.group(2), "attachments": upload()},
                        content_type="multipart/form-data")
    assert filed.status_code in (302, 303), filed.status_code
    client.post("/logout")

    scan = storage.CheckedFile("scan.pdf", "application/pdf", PDF, hashlib.sha256(PDF).hexdigest())
    with app.test_request_context():
        person = db.session.get(User, subject.id)
        profile.request_name_correction(person, {"surname": "Жаңабаева"}, "Неке", [scan], actor=person,
                                        token="crawl-test-" + "r" * 20, due_on=local_today())
        staff = db.session.get(User, users["support"].id)
        disclosures.record(person, actor=staff, recipient="Мемлекеттік кіріс департаменті", basis="3.4.1",
                           categories="Аты-жөні", disclosed_on=local_today(), reference="№ 12-34")
        db.session.commit()
    policy(label="2", effective_from=date(2026, 11, 1), kk="# Саясат 2\n\n**1.1.** Жаңа мәтін.",
           ru="# Политика 2\n\n**1.1.** Новый текст.")
    return users


# --- the crawl --------------------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href.split("#")[0])


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def shape(path: str) -> str:
    """/staff/complaints/2026-000001 and /staff/complaints/2026-000002 are pages of one shape."""
    return "/".join("*" if re.search(r"\d", part) or len(part) > 24 else part for part in path.split("/"))


#: an error page too: it is rendered in the visitor's language like any other
ERROR_PAGES = ["/policy/no-such-version"]


def crawl(client, starts: list[str], check) -> dict:
    """Breadth first from the starts; each path once (its first query variant), a few pages of each shape."""
    queue, seen_paths, shapes, visited = list(starts), set(), {}, {}
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen_paths or SKIP.search(path) or shapes.get(shape(path), 0) >= PER_SHAPE:
            continue
        seen_paths.add(path)
        shapes[shape(path)] = shapes.get(shape(path), 0) + 1
        response = client.get(url)
        visited[url] = response.status_code
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code in (301, 302, 303):
            location = urlsplit(response.headers["Location"])
            if not location.netloc or location.netloc == "localhost":
                queue.append(location.path + (f"?{location.query}" if location.query else ""))
            continue
        if not response.mimetype == "text/html":
            continue
        check(url, response)
        queue.extend(links(response.text))
    return visited
