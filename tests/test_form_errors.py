"""Issue 15: a form sent back says what is wrong, where, and in the page's title; no page repeats an id.

What a person relying on a screen reader or the keyboard checks: the summary first in the main content and
focused, each of its entries a link to the field; each field's error announced with the field
(aria-describedby naming elements that exist); «Қате: »/«Ошибка: » before the title; the act-on-behalf form
keeping the typed reason and naming the field that is missing.
"""

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from tests.crawling import ERROR_PAGES, LANDING, ROLES, crawl
from tests.helpers import PASSWORD, login_as, registration, upload

TITLE_PREFIX = {"kk": "Қате: ", "ru": "Ошибка: "}
REASON = "Өтініш №17, 2026-03-02 / заявление №17"


class Page(HTMLParser):
    """The ids of a page (with repeats), the aria-describedby references, the summary's links and the title."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.described: list[tuple[str, list[str]]] = []  # (the control's name, ids it names)
        self.summary_links: list[str] = []
        self.summary: dict | None = None
        self.title, self._in_title, self._summary_depth = "", False, 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if a.get("aria-describedby"):
            self.described.append((a.get("name") or tag, a["aria-describedby"].split()))
        if tag == "title":
            self._in_title = True
        if "error-summary" in (a.get("class") or "").split():
            self.summary, self._summary_depth = a, 1
        elif self._summary_depth:
            if tag == "a":
                self.summary_links.append(a.get("href", ""))
            if tag not in ("input", "br", "img"):
                self._summary_depth += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self._summary_depth:
            self._summary_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def duplicates(self) -> list[str]:
        return sorted({i for i in self.ids if self.ids.count(i) > 1})


def summary_html(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return match.group(0) if match else ""


def field_error_ids(html: str) -> set[str]:
    return set(re.findall(r'<p class="error" id="([^"]+)"', html))


def assert_well_formed_errors(html: str) -> Page:
    """The summary is there, focused on load, and links to controls that exist; every describedby resolves."""
    page = Page(html)
    assert page.summary is not None, "no error summary"
    assert page.summary.get("tabindex") == "-1" and "autofocus" in page.summary
    assert page.summary.get("role") == "alert"
    main = html.split('<main id="main" class="wrap">', 1)[1].lstrip()
    assert main.startswith("{% if") or main.startswith('<div class="error-summary"'), "the summary is not first in main"
    assert page.summary_links, "the summary links to no field"
    for href in page.summary_links:
        assert href.startswith("#") and href[1:] in page.ids, f"{href} leads nowhere"
    for name, refs in page.described:
        missing = [r for r in refs if r not in page.ids]
        assert not missing, f"{name}: aria-describedby names {missing}, not on the page"
    # each error paragraph is named by its control
    named = {r for _name, refs in page.described for r in refs}
    assert field_error_ids(html) <= named, field_error_ids(html) - named
    assert not page.duplicates(), page.duplicates()
    return page


def set_language(client, lang):
    assert client.get(f"/lang/{lang}").status_code == 302


# --- registration -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_failed_registration_sums_up_its_errors_with_links_and_says_so_in_the_title(client, policy, lang):
    set_language(client, lang)
    response = client.post("/register", data=registration(surname="", email="not-an-address", documents=None),
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = assert_well_formed_errors(response.text)
    assert page.title.startswith(TITLE_PREFIX[lang]), page.title
    # the three fields, in the order shown, each with its error beside it
    assert page.summary_links == ["#surname", "#email", "#documents"]
    for name in ("surname", "email", "documents"):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', response.text).group(0)
        assert 'aria-invalid="true"' in tag and f"{name}-error" in tag
    # the scan is required and says so; the file must be chosen again, and the page says that too
    documents = re.search(r'<input[^>]*name="documents"[^>]*>', response.text).group(0)
    assert " required" in documents
    assert 'id="documents-note"' in response.text and "documents-note" in documents


def test_a_page_without_errors_has_no_summary_and_no_prefix(client, policy):
    set_language(client, "kk")
    response = client.get("/register")
    page = Page(response.text)
    assert page.summary is None and not page.title.startswith(TITLE_PREFIX["kk"])
    assert not page.duplicates()
    # required fields are marked in words, optional ones too, and the controls carry `required`
    assert re.search(r'<label for="documents">[^<]*<span class="req">', response.text)
    assert re.search(r'<label for="surname">[^<]*<span class="req">', response.text)
    assert re.search(r'<input[^>]*name="surname"[^>]*required', response.text)
    assert '<span class="opt">' not in re.search(r'<label for="patronymic">.*?</label>', response.text).group(0)


def test_hints_stay_named_beside_the_errors(client, policy):
    response = client.post("/register", data=registration(password="short", password_confirm="short"),
                           content_type="multipart/form-data")
    assert_well_formed_errors(response.text)
    tag = re.search(r'<input[^>]*name="password"[^>]*>', response.text).group(0)
    refs = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
    assert refs[0] == "password-hint" and "password-error" in refs


def test_an_error_of_the_whole_form_is_listed_without_a_link(app, create_user):
    subject = create_user(email="whole@example.kz")
    browser = login_as(app, subject)
    response = browser.post("/cabinet/complaints/new", data={"subject": "Тақырып", "body": "Мәтін",
                                                              "submission_token": "x", "file": "1"},
                            content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    summary = summary_html(response.text)
    items = re.findall(r"<li>(.*?)</li>", summary, re.S)
    assert any("<a " not in item and item.strip() for item in items), summary


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_a_wrong_sign_in_is_an_error_of_the_whole_form(client, create_user, lang):
    create_user(email="known@example.kz")
    set_language(client, lang)
    response = client.post("/login", data={"email": "known@example.kz", "password": "wrong-password-1"})
    page = Page(response.text)
    assert page.summary is not None and page.summary_links == []
    assert page.title.startswith(TITLE_PREFIX[lang])
    assert re.search(r"<li>[^<]+</li>", summary_html(response.text))


# --- acting on a subject's behalf -----------------------------------------------------------------------

@pytest.fixture
def staff_on_record(app, create_user):
    subject = create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім")
    support = create_user(email="support@example.kz", roles=("support",))
    browser = login_as(app, support)
    assert browser.post(f"/staff/subjects/{subject.id}", data={"reason": REASON}).status_code == 302
    return browser, subject


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_act_form_keeps_the_reason_and_names_the_missing_basis(staff_on_record, lang):
    browser, subject = staff_on_record
    set_language(browser, lang)
    response = browser.post(f"/staff/subjects/{subject.id}/act", data={"reason": "Өтініш бойынша <b>шұғыл</b>"},
                            content_type="multipart/form-data")
    assert response.status_code == 200
    page = assert_well_formed_errors(response.text)
    assert page.title.startswith(TITLE_PREFIX[lang])
    assert page.summary_links == ["#basis"]
    # the summary names the field by its label, and the error sits in the field's block
    label = re.search(r'<label for="basis">([^<]*)', response.text).group(1).strip()
    assert label and label in unescape(summary_html(response.text))
    block = re.search(r'<div class="field has-error">\s*<label for="basis">.*?</div>', response.text, re.S).group(0)
    assert 'id="basis-error"' in block and 'id="basis-note"' in block  # "choose the file again"
    # what was typed is still there (escaped)
    assert "Өтініш бойынша &lt;b&gt;шұғыл&lt;/b&gt;" in response.text
    assert browser.get("/cabinet").status_code == 403


def test_the_act_form_puts_a_short_reason_error_by_the_reason(staff_on_record):
    browser, subject = staff_on_record
    response = browser.post(f"/staff/subjects/{subject.id}/act", data={"reason": "abc", "basis": upload()},
                            content_type="multipart/form-data")
    page = assert_well_formed_errors(response.text)
    assert page.summary_links == ["#reason"]
    assert re.search(r'<textarea[^>]*aria-describedby="reason-error"[^>]*aria-invalid="true"|'
                     r'<textarea[^>]*aria-invalid="true"[^>]*aria-describedby="reason-error"', response.text)
    assert "abc</textarea>" in response.text


def test_a_refused_scan_is_named_by_the_basis_field(staff_on_record):
    browser, subject = staff_on_record
    response = browser.post(f"/staff/subjects/{subject.id}/act",
                            data={"reason": REASON, "basis": upload(b"plain words", "request.txt")},
                            content_type="multipart/form-data")
    page = assert_well_formed_errors(response.text)
    assert page.summary_links == ["#basis"] and "request.txt" in summary_html(response.text)
    assert REASON in response.text


# --- no page repeats an id ----------------------------------------------------------------------------



@pytest.mark.parametrize("role", ROLES)
def test_no_page_repeats_an_id(client, login, crawl_world, role):
    if role != "anonymous":
        login(crawl_world[role], PASSWORD)
    set_language(client, "kk")
    problems: list[str] = []

    def check(url, response):
        page = Page(response.text)
        if page.duplicates():
            problems.append(f"{url}: {page.duplicates()}")
        for name, refs in page.described:
            if missing := [r for r in refs if r not in page.ids]:
                problems.append(f"{url}: {name} describedby {missing}")

    visited = crawl(client, [LANDING[role], *ERROR_PAGES], check)
    assert sum(1 for status in visited.values() if status == 200) >= 3
    assert not problems, "\n".join(problems)


def test_a_complaint_page_with_two_forms_sent_back_repeats_no_id(app, create_user):
    """The supplement and the withdrawal forms on one page, one of them sent back with errors."""
    subject = create_user(email="two@example.kz")
    browser = login_as(app, subject)
    token = re.search(r'name="submission_token" type="hidden" value="([^"]+)"',
                      browser.get("/cabinet/complaints/new").text).group(1)
    filed = browser.post("/cabinet/complaints/new", data={"subject": "Тақырып", "body": "Мәтін", "file": "1",
                                                           "submission_token": token},
                         content_type="multipart/form-data")
    number = filed.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    shown = browser.get(f"/cabinet/complaints/{number}").text
    assert shown.count('name="csrf_token"') >= 2 and 'id="csrf_token"' not in shown
    assert not Page(shown).duplicates()
    response = browser.post(f"/cabinet/complaints/{number}/withdraw", data={})
    page = assert_well_formed_errors(response.text)
    assert page.summary_links == ["#confirm"]


# --- the favicon and /admin ---------------------------------------------------------------------------

def test_the_favicon_is_linked_and_answers_at_its_usual_address(client, policy):
    html = client.get("/").text
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html).group(1)
    assert client.get(href).status_code == 200
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_admin_leads_to_the_first_administration_page(app, create_user):
    admin = login_as(app, create_user(email="admin@example.kz", roles=("admin",)))
    response = admin.get("/admin", follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/admin/policies"


# --- styling: the controls and their targets ----------------------------------------------------------

def test_every_control_kind_is_styled_and_buttons_are_44_px():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[1] / "cabinet" / "static" / "cabinet.css").read_text(encoding="utf-8")
    for selector in ("input[type=search]", "input[type=date]", "input[type=file]", "input[type=submit]",
                     ".error-summary"):
        assert selector in css, selector
    button_rule = re.search(r"button, \.button, input\[type=submit\] \{[^}]*\}", css).group(0)
    assert "min-height: 44px" in button_rule and "min-width: 44px" in button_rule
    assert "--focus: #b45309" in css


# --- every form sent back empty ---------------------------------------------------------------------------

EMPTY_POSTS = {
    "anonymous": ["/register", "/login", "/reset", "/verify"],
    "subject": ["/cabinet/profile/edit", "/cabinet/password", "/cabinet/complaints/new",
                "/cabinet/consents/withdraw-all"],
    "support": ["/staff/disclosures/new", "/staff/complaints/verify"],
    "admin": ["/admin/policies", "/admin/calendar"],
    "translator": ["/translate/kk/upload"],
}


@pytest.mark.parametrize("role", EMPTY_POSTS)
def test_every_form_sent_back_empty_links_its_errors_to_fields_on_the_page(client, login, crawl_world, role):
    if role != "anonymous":
        login(crawl_world[role], PASSWORD)
    set_language(client, "ru")
    for url in EMPTY_POSTS[role]:
        response = client.post(url, data={}, content_type="multipart/form-data")
        assert response.status_code in (200, 400), (url, response.status_code)
        page = Page(response.text)
        assert page.summary is not None, f"{url}: no error summary"
        assert page.title.startswith(TITLE_PREFIX["ru"]), (url, page.title)
        assert not page.duplicates(), (url, page.duplicates())
        for href in page.summary_links:
            assert href[1:] in page.ids, f"{url}: {href} leads nowhere"
        for name, refs in page.described:
            assert all(r in page.ids for r in refs), (url, name, refs)
