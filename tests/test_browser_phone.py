"""The cabinet on a 390 px phone, in Kazakh and in Russian: nothing is cut off and nothing scrolls sideways.

Tables turn into cards whose every value carries its column's name, a 200-character word in a complaint
subject wraps, the section links fold into a menu that opens without JavaScript, and the focus ring is
the product's own. Same machinery as tests/test_browser.py; screenshots go to
test-artifacts/browser/phone-<lang>-<step>.png (and desktop-<lang>-<step>.png at 1280 px).
"""

import re

import pytest
import test_browser
from playwright.sync_api import expect
from test_browser import DESKTOP, PHONE, run, t
from test_browser_journeys import sign_in, sign_out, staff_in, subject_in

pytestmark = pytest.mark.browser

#: the same fixtures as the subject's journey: CSRF on, the live server, one Chromium per module
app_config, live_server, browser = test_browser.app_config, test_browser.live_server, test_browser.browser

LANGS = [pytest.param("kk", id="kk"), pytest.param("ru", id="ru")]
LONG_WORD = "Ұ" * 100 + "Ж" * 100
COMPLAINT = {
    "kk": {"subject": f"Телефон {LONG_WORD} дұрыс емес", "body": f"Нөмір қате: {LONG_WORD}.",
           "desired_outcome": "Нөмірді түзетуді сұраймын."},
    "ru": {"subject": f"Телефон {LONG_WORD} неверный", "body": f"Номер неверен: {LONG_WORD}.",
           "desired_outcome": "Прошу исправить номер."},
}
NEW_PHONE, NEW_PHONE_E164 = "+7 705 111 22 33", "+77051112233"
#: the focus ring, 5.0:1 against white (static/cabinet.css --focus)
FOCUS_RING = "rgb(180, 83, 9)"


def page_width(trip) -> int:
    """How wide the page is, sideways scrolling included."""
    return trip.page.evaluate("document.documentElement.scrollWidth")


def fits(trip, step):
    """Screenshot the step and check that the page is no wider than the screen."""
    trip.done(step)
    width = trip.page.viewport_size["width"]
    assert page_width(trip) <= width, f"{step}: page is {page_width(trip)} px wide at {width}"


def opened(trip, path):
    """Open a path and check that it answered, not with an error page."""
    response = trip.page.goto(trip.base_url + path)
    assert response.ok, f"{path} answered {response.status}"


def file_long_complaint(trip, app) -> str:
    """File a complaint whose subject and text hold a 200-character word, checking the preview fits."""
    page, words = trip.page, COMPLAINT[trip.lang]
    trip.goto("/cabinet/complaints/new")
    form = page.locator("main form")
    for name, value in words.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[name=preview]").click()
    expect(page.locator(".complaint-preview")).to_contain_text(LONG_WORD)
    fits(trip, "02-complaint-preview")
    page.locator("main form button[name=file]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/complaints/[^/]+$"))
    return page.url.rsplit("/", 1)[1]


def change_phone(trip, app):
    """Correct the phone number, so that the history has a change row."""
    page = trip.page
    trip.goto("/cabinet/profile/edit")
    page.locator("main form [name=phone]").fill(NEW_PHONE)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_have_text(t(app, trip.lang, "Your phone number has been changed."))


def check_menu(trip, errors):
    """The section links hide behind one menu whose summary opens it, without a script error."""
    page = trip.page
    expect(page.locator("header .nav-full")).to_be_hidden()
    menu = page.locator("header details.nav-menu")
    summary = menu.locator("summary")
    expect(summary).to_have_text(t(trip.app, trip.lang, "Menu"))
    links = menu.locator("nav.sections a")
    expect(links.first).to_be_hidden()
    header_height = page.locator("header").bounding_box()["height"]
    summary.click()
    expect(menu).to_have_attribute("open", "")
    expect(links.first).to_be_visible()
    assert links.count() >= 6
    assert not errors, f"script errors on opening the menu: {errors}"
    fits(trip, "01-menu-open")
    summary.click()
    expect(links.first).to_be_hidden()
    # brand, language, account and the menu: at most about four short lines of 16 px text
    assert header_height < 220, f"the closed header is {header_height} px tall at {PHONE['width']} px"


def check_history_cards(trip, app):
    """A change row is a card: the new value carries its visible "New value" label."""
    page = trip.page
    trip.goto("/cabinet/profile/history")
    row = page.locator("tbody tr").filter(has_text=NEW_PHONE_E164)
    expect(row).to_have_count(1)
    cell = row.locator("td").nth(3)
    expect(cell).to_have_text(NEW_PHONE_E164)
    label = t(app, trip.lang, "New value")
    expect(cell).to_have_attribute("data-label", label)
    before = cell.evaluate("td => { const s = getComputedStyle(td, '::before');"
                           " return {content: s.content, display: s.display, visibility: s.visibility} }")
    assert before == {"content": f'"{label}"', "display": "block", "visibility": "visible"}, before
    # every cell of the row is on screen: no column is cut off
    for box in row.locator("td").evaluate_all("tds => tds.map(td => td.getBoundingClientRect().right)"):
        assert box <= PHONE["width"], f"a history cell ends at {box} px"
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    fits(trip, "04-history")


def walk_phone(app, create_user):
    """A subject and a support member read every page they have on a phone, in one language."""
    def walk(trip, context):
        page, lang = trip.page, trip.lang
        trip.app = app
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        subject = subject_in(create_user, lang)
        support = staff_in(create_user, lang, "support")
        admin = staff_in(create_user, lang, "admin")

        sign_in(trip, subject)
        check_menu(trip, errors)
        number = file_long_complaint(trip, app)
        expect(page.locator("main")).to_contain_text(LONG_WORD)
        fits(trip, "03-complaint-filed")
        change_phone(trip, app)
        check_history_cards(trip, app)

        paths = page.locator("header nav.sections a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        for path in dict.fromkeys(paths):
            trip.goto(path)
            fits(trip, "05-section" + path.replace("/", "-"))
        page.keyboard.press("Tab")
        ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
        assert ring == FOCUS_RING, f"the first focused element's ring is {ring}"
        sign_out(trip, app)

        sign_in(trip, support)
        for path in ("/staff", "/staff/complaints", f"/staff/complaints/{number}", "/staff/corrections",
                     "/staff/withdrawals"):
            opened(trip, path)
            fits(trip, "06-staff" + path.replace("/", "-"))
        sign_out(trip, app)

        sign_in(trip, admin)
        for path in ("/admin/mail", "/admin/users"):
            opened(trip, path)
            fits(trip, "07-admin" + path.replace("/", "-"))
        opened(trip, "/admin/audit")
        page.locator("main form[action='/admin/audit/verify'] button").click()  # a verification: its card
        expect(page.locator("main tr[data-verification] [data-finding='intact']")).to_be_visible()
        fits(trip, "07-admin-audit")
        assert not errors, f"script errors: {errors}"
    return walk


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_fits_a_phone(browser, live_server, app, create_user, lang):
    """At 390 px tables are labelled cards, long words wrap and the sections sit in a menu."""
    run(browser, live_server.url, lang, PHONE, walk_phone(app, create_user), name="phone")


def walk_desktop(app, create_user):
    """The same pages at 1280 px keep their tables and the full bar of sections."""
    def walk(trip, context):
        page, lang = trip.page, trip.lang
        subject = subject_in(create_user, lang)
        sign_in(trip, subject)
        expect(page.locator("header details.nav-menu")).to_be_hidden()
        expect(page.locator("header .nav-full nav.sections a").first).to_be_visible()
        trip.done("01-cabinet")
        file_long_complaint(trip, app)
        trip.done("03-complaint-filed")
        change_phone(trip, app)
        trip.goto("/cabinet/profile/history")
        expect(page.locator("thead").last).to_be_visible()
        assert page.locator("tbody td").first.evaluate("td => getComputedStyle(td).display") == "table-cell"
        trip.done("04-history")
        region = page.locator("main .table-scroll").last
        expect(region).to_have_attribute("role", "region")
        expect(region).to_have_attribute("tabindex", "0")
        expect(region).to_have_attribute("aria-label", t(app, lang, "Changes"))
        region.focus()
        assert region.evaluate("el => getComputedStyle(el).outlineColor") == FOCUS_RING
        page.set_viewport_size({"width": 600, "height": 900})  # a table wider than this scrolls in its region
        assert page_width(trip) <= 600, f"the history is {page_width(trip)} px wide at 600"
        assert page.locator("tbody td").first.evaluate("td => getComputedStyle(td).display") == "table-cell"
        trip.done("04-history-600")
        page.set_viewport_size(DESKTOP)
        for path in ("/cabinet/complaints", "/cabinet/consents", "/cabinet/access-log"):
            opened(trip, path)
            trip.done("05-section" + path.replace("/", "-"))
    return walk


@pytest.mark.parametrize("lang", LANGS)
def test_desktop_keeps_tables_and_the_bar(browser, live_server, app, create_user, lang):
    """Above 480 px a table stays a table and the sections stay a bar."""
    run(browser, live_server.url, lang, DESKTOP, walk_desktop(app, create_user), name="desktop")
