"""A subject's whole journey in a real browser, in Kazakh and in Russian.

Register with a scan, confirm the address from the mail, sign in, correct the phone, see the history,
sign out — through Debian's Chromium, against the app served over HTTP with CSRF protection on.
Screenshots of every step go to test-artifacts/browser/ (git-ignored) for a human to look at.
"""

import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from live_server import LiveServer

from tests.helpers import PASSWORD, PDF

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if os.access(p, os.X_OK)), None)
if CHROMIUM is None:
    pytest.skip("no Chromium executable (/usr/lib/chromium/chromium or /usr/bin/chromium): "
                "run `make browser` or `apt-get install chromium`; never `playwright install`",
                allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402  (only once Chromium is known to exist)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGE_LINKS = {"kk": "Қазақша", "ru": "Русский"}
#: the language the browser asks for first, so that the journey has to switch away from it
OTHER = {"kk": "ru", "ru": "kk"}
BROWSER_LOCALE = {"kk": "kk-KZ", "ru": "ru-RU"}

#: English source strings of the pages on the journey; none may show once a language is chosen
ENGLISH_UI = ["Personal cabinet", "Sign in", "Sign out", "Register", "Registration", "My data", "Overview",
              "Documents", "Consents", "Privacy policy", "Surname", "Given name", "Phone", "Password", "Save",
              "Cancel", "Check your e-mail", "History of changes", "Old value", "New value", "Correct my data",
              "Kazakh", "Russian"]

PEOPLE = {
    "kk": {"surname": "Сейітова", "given_name": "Әсел", "patronymic": "Серікқызы"},
    "ru": {"surname": "Иванова", "given_name": "Мария", "patronymic": "Петровна"},
}
OLD_PHONE, OLD_PHONE_E164 = "8 701 123 45 67", "+77011234567"
NEW_PHONE, NEW_PHONE_E164 = "+7 702 555 12 34", "+77025551234"


@pytest.fixture
def app_config(app_config):
    """CSRF protection on, as in production: the browser must send the real tokens."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def live_server(app):
    """The app over real HTTP on loopback, stopped before the tables are emptied."""
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module; each test gets its own context."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def t(app, lang, message, **variables):
    """The text the app itself shows for a source string in a language, translated or not yet."""
    with app.test_request_context(), force_locale(lang):
        return gettext(message, **variables)


def english_shown(text: str) -> list[str]:
    """The English source strings that appear as whole words in a page's visible text."""
    return [s for s in ENGLISH_UI if re.search(rf"(?<![A-Za-z]){re.escape(s)}(?![A-Za-z])", text)]


class Journey:
    """One page in one language: names the steps, screenshots them, and notes translation and layout gaps."""

    def __init__(self, page, lang, base_url, name=None):
        self.page, self.lang, self.base_url = page, lang, base_url
        #: screenshots are prefixed with the journey's name, so journeys never overwrite each other's
        self.prefix = f"{name}-{lang}" if name else lang
        self.step = "start"
        self.untranslated: dict[str, list[str]] = {}
        self.overflow: dict[str, int] = {}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for stale in ARTIFACTS.glob(f"{self.prefix}-*-failure.png"):
            stale.unlink()

    def goto(self, path):
        """Open a path of the live server, as typing it in the address bar would."""
        self.page.goto(self.base_url + path)

    def path(self) -> str:
        return urlsplit(self.page.url).path

    def done(self, step):
        """Screenshot the finished step and look for English words and sideways scrolling on it."""
        self.step = step
        self.page.screenshot(path=ARTIFACTS / f"{self.prefix}-{step}.png", full_page=True)
        found = english_shown(self.page.inner_text("body"))
        if found:
            self.untranslated[step] = found
        excess = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if excess > 0:
            self.overflow[step] = excess

    def failed(self):
        """Keep the page as it was when the journey broke, for the person reading the failure."""
        self.page.screenshot(path=ARTIFACTS / f"{self.prefix}-after-{self.step}-failure.png", full_page=True)


def switch_language(journey, lang):
    """Choose the language with the header link, the way a visitor does."""
    page = journey.page
    journey.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", OTHER[lang])
    page.locator("header nav.lang").get_by_role("link", name=LANGUAGE_LINKS[lang]).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert journey.path() == "/"
    journey.done("01-home")


def register(journey, person, email, scan: Path):
    """Fill in every registration field, attach the scan and send the form."""
    page = journey.page
    journey.goto("/register")
    form = page.locator("main form")
    for name, value in {**person, "email": email, "phone": OLD_PHONE,
                        "password": PASSWORD, "password_confirm": PASSWORD}.items():
        form.locator(f"[name={name}]").fill(value)
    for box in ("accept_policy", "consent_marketing", "consent_research", "consent_third_party"):
        form.locator(f"[name={box}]").check()
    form.locator("[name=documents]").set_input_files(scan)
    journey.done("02-register-filled")
    form.locator("button[type=submit]").click()


def confirm_from_mail(journey, app, outbox, email):
    """Open the link of the confirmation mail, pointed at the live server instead of BASE_URL."""
    deadline = time.monotonic() + 15  # the mail is written after the response, as for an unknown address
    while not (mails := [m for m in outbox() if m["To"] == email]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mails) == 1, f"expected one confirmation mail to {email}, got {len(mails)}"
    body = mails[0].get_body(("plain",)).get_content()
    base = app.config["BASE_URL"]
    link = re.search(rf"{re.escape(base)}/confirm/\S+", body)
    assert link, f"no confirmation link in the mail:\n{body}"
    journey.page.goto(journey.base_url + link.group(0).removeprefix(base))


def sign_in(journey, email):
    """Sign in through the login form."""
    form = journey.page.locator("main form")
    form.locator("[name=email]").fill(email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()


def change_phone(journey):
    """Correct the phone number on the edit form, leaving everything else as it is."""
    journey.goto("/cabinet/profile/edit")
    form = journey.page.locator("main form")
    expect(form.locator("[name=phone]")).to_have_value(OLD_PHONE_E164)
    form.locator("[name=phone]").fill(NEW_PHONE)
    journey.done("06-edit-filled")
    form.locator("button[type=submit]").click()


def sign_out(journey):
    """Use the sign-out button in the header (a POST form with its CSRF token)."""
    journey.page.locator("header form[action$='/logout'] button[type=submit]").click()


def walk(journey, app, outbox, tmp_path):
    """Register, confirm, sign in, correct the phone, read the history, sign out — checking each page."""
    page, lang = journey.page, journey.lang
    person = PEOPLE[lang]
    email = f"browser-{lang}-{uuid.uuid4().hex[:10]}@example.kz"
    scan = tmp_path / "udostoverenie.pdf"
    scan.write_bytes(PDF)

    switch_language(journey, lang)

    register(journey, person, email, scan)
    expect(page.locator("h1")).to_have_text(t(app, lang, "Check your e-mail"))
    expect(page.locator("main")).to_contain_text(email)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    journey.done("03-registered")

    confirm_from_mail(journey, app, outbox, email)
    expect(page.locator(".flash-success")).to_have_text(t(app, lang, "Your e-mail address is confirmed."))
    assert journey.path() == "/login"
    journey.done("04-confirmed")

    sign_in(journey, email)
    expect(page).to_have_url(journey.base_url + "/cabinet")
    expect(page.locator("h1")).to_have_text(t(app, lang, "Hello, %(name)s", name=person["given_name"]))
    expect(page.locator("header .who")).to_contain_text(person["given_name"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    journey.done("05-cabinet")

    change_phone(journey)
    expect(page).to_have_url(journey.base_url + "/cabinet/profile")
    expect(page.locator(".flash-success")).to_have_text(t(app, lang, "Your phone number has been changed."))
    expect(page.locator("dl.facts").first).to_contain_text(NEW_PHONE_E164)
    journey.done("07-profile")

    journey.goto("/cabinet/profile/history")
    change = page.locator("tbody tr").filter(has_text=NEW_PHONE_E164)
    expect(change).to_have_count(1)
    expect(change.locator("td").nth(2)).to_have_text(OLD_PHONE_E164)
    expect(change.locator("td").nth(3)).to_have_text(NEW_PHONE_E164)
    journey.done("08-history")

    sign_out(journey)
    expect(page.locator(".flash")).to_have_text(t(app, lang, "You have signed out."))
    assert journey.path() == "/"
    journey.done("09-signed-out")

    journey.goto("/cabinet")
    assert journey.path() == "/login", f"/cabinet after signing out ended at {page.url}"
    journey.done("10-cabinet-after-sign-out")


@pytest.mark.parametrize("lang, viewport", [pytest.param("kk", PHONE, id="kk"), pytest.param("ru", DESKTOP, id="ru")])
def test_subject_journey(browser, live_server, app, policy, outbox, tmp_path, lang, viewport):
    """A newcomer registers, confirms, signs in, corrects the phone and signs out, all in one language."""
    run(browser, live_server.url, lang, viewport, lambda journey, _context: walk(journey, app, outbox, tmp_path),
        browser_lang=OTHER[lang])


def run(browser, base_url, lang, viewport, walk, *, name=None, browser_lang=None):
    """A fresh browser context (asking for browser_lang, else lang) walks the journey; a failure keeps a
    screenshot; then no page may have scrolled sideways or shown English."""
    context = browser.new_context(viewport=viewport, locale=BROWSER_LOCALE[browser_lang or lang],
                                  is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
    context.set_default_timeout(10_000)
    journey = Journey(context.new_page(), lang, base_url, name)
    try:
        walk(journey, context)
    except Exception:
        journey.failed()
        raise
    finally:
        context.close()
    assert not journey.overflow, f"pages scroll sideways at {viewport['width']}px (excess px): {journey.overflow}"
    if journey.untranslated:
        pytest.fail(untranslated_report(lang, journey.untranslated), pytrace=False)


def untranslated_report(lang, untranslated: dict[str, list[str]]) -> str:
    """Which English strings showed and where first, short enough to read in a test summary."""
    first_seen: dict[str, str] = {}
    for step, words in untranslated.items():
        for word in words:
            first_seen.setdefault(word, step)
    shown = ", ".join(f"{word!r} ({step})" for word, step in first_seen.items())
    return (f"English UI text in '{lang}' on {len(untranslated)} pages: {shown}. "
            "The catalog entries are untranslated, fuzzy or not compiled (`flask --app wsgi i18n compile`), "
            "or Flask-Babel is not looking in the live catalogs (CABINET_TRANSLATIONS_DIR).")
