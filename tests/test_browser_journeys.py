"""Three journeys across roles in a real browser, in Kazakh and in Russian.

1. An administrator publishes policy version 2; the subject is told on every cabinet page, reads the diff and
   acknowledges it.
2. The subject files a complaint with a PDF, downloads it as PDF; support takes it under review and answers;
   the subject reads the answer.
3. Support finds the subject, acts on their behalf with a basis document and changes the phone; the subject
   sees who did it and why.

Same machinery as tests/test_browser.py (Debian's Chromium, live server, CSRF on); screenshots go to
test-artifacts/browser/<journey>-<lang>-<step>.png.
"""

import io
import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import test_browser
from flask_babel import force_locale, pgettext
from playwright.sync_api import expect
from test_browser import DESKTOP, PHONE, run, t

from tests.helpers import PASSWORD, PDF, PNG

pytestmark = pytest.mark.browser

#: the same fixtures as the subject's journey: CSRF on, the live server, one Chromium per module
app_config, live_server, browser = test_browser.app_config, test_browser.live_server, test_browser.browser

LANGS = [pytest.param("kk", PHONE, id="kk-phone"), pytest.param("ru", DESKTOP, id="ru-desktop")]

SUBJECTS = {
    "kk": {"surname": "Бекболатова", "given_name": "Динара", "patronymic": "Асқарқызы"},
    "ru": {"surname": "Смирнова", "given_name": "Ольга", "patronymic": "Игоревна"},
}
STAFF = {"surname": "Жұмабеков", "given_name": "Ерлан"}
ADMIN = {"surname": "Әбенова", "given_name": "Гүлнар"}

OLD_POLICY = {"kk": "# Саясат\n\n**1.1.** Мәтін.", "ru": "# Политика\n\n**1.1.** Текст."}
NEW_POLICY = {"kk": "# Саясат\n\n**1.1.** Жаңартылған мәтін.\n\n**1.2.** Жаңа тармақ.",
              "ru": "# Политика\n\n**1.1.** Обновлённый текст.\n\n**1.2.** Новый пункт."}
NEW_PHONE, NEW_PHONE_E164 = "+7 705 444 33 22", "+77054443322"


# ---------------------------------------------------------------------------- shared helpers

def tp(app, lang, context, message):
    """The app's text for a source string with a gettext context, in a language."""
    with app.test_request_context(), force_locale(lang):
        return pgettext(context, message)


def almaty_today():
    """Today in the operator's zone, as the app counts days."""
    return datetime.now(ZoneInfo("Asia/Almaty")).date()


def sign_in(trip, user):
    """Sign in through the login form and wait to leave it."""
    page = trip.page
    trip.goto("/login")
    form = page.locator("main form")
    form.locator("[name=email]").fill(user.email)
    form.locator("[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    expect(page.locator("html")).to_have_attribute("lang", trip.lang)


def sign_out(trip, app):
    """Use the header's sign-out button and check the farewell."""
    page = trip.page
    page.locator("header form[action$='/logout'] button[type=submit]").click()
    expect(page.locator(".flash")).to_have_text(t(app, trip.lang, "You have signed out."))


def subject_in(create_user, lang):
    """A subject who speaks the language, with policy version 1 accepted at registration."""
    return create_user(locale=lang, **SUBJECTS[lang])


def staff_in(create_user, lang, role):
    """A staff member (support or admin) who speaks the language."""
    names = STAFF if role == "support" else ADMIN
    return create_user(roles=(role,), locale=lang, **names)


# ---------------------------------------------------------------------------- 1. policy review

def publish_version_2(trip, app):
    """Fill the admin's publish form, preview the diff, then publish."""
    page, lang = trip.page, trip.lang
    trip.goto("/admin/policies")
    form = page.locator("main form")
    form.locator("[name=label]").fill("2")
    form.locator("[name=effective_from]").fill(almaty_today().isoformat())
    form.locator("[name=text_kk]").fill(NEW_POLICY["kk"])
    form.locator("[name=text_ru]").fill(NEW_POLICY["ru"])
    form.locator("[name=summary_kk]").fill("1.1 тармақ нақтыланды.")
    form.locator("[name=summary_ru]").fill("Уточнён пункт 1.1.")
    trip.done("01-admin-filled")

    form.locator("[name=preview]").click()
    expect(page.locator("main h2").filter(has_text=t(app, lang, "Preview"))).to_have_count(1)
    expect(page.locator("table.diff ins").first).to_be_visible()
    expect(page.locator("table.diff del").first).to_be_visible()
    expect(page.locator("table.diff").first).to_contain_text("Жаңартылған")
    trip.done("02-admin-preview")

    page.locator("main form [name=publish]").click()
    expect(page.locator(".flash-success")).to_have_text(t(app, lang, "Version %(label)s is published.", label="2"))
    trip.done("03-admin-published")


def section_paths(trip) -> list[str]:
    """The cabinet's own sections, as its navigation lists them."""
    links = trip.page.locator("header .nav-full nav.sections a")  # the bar; the phone menu repeats the links
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) >= 6, f"cabinet navigation has only {hrefs}"
    return hrefs


def walk_policy_review(app, create_user):
    """The journey of issue 3, for run()."""
    def walk(trip, context):
        page, lang = trip.page, trip.lang
        subject = subject_in(create_user, lang)
        admin = staff_in(create_user, lang, "admin")

        sign_in(trip, admin)
        publish_version_2(trip, app)
        sign_out(trip, app)

        sign_in(trip, subject)
        expect(page).to_have_url(re.compile(r"/cabinet$"))
        paths = section_paths(trip)
        for path in paths:
            trip.goto(path)
            notice = page.locator("main p.notice")
            expect(notice, f"no policy notice on {path}").to_have_count(1)
            expect(notice.locator("a")).to_have_attribute("href", "/cabinet/policies/review")
        page.goto(trip.base_url + "/cabinet")
        trip.done("04-subject-notice")

        page.locator("main p.notice a").click()
        expect(page).to_have_url(re.compile(r"/cabinet/policies/review$"))
        expect(page.locator("main > h1")).to_have_text(t(app, lang, "Privacy policy, version %(label)s", label="2"))
        expect(page.locator("table.diff ins").first).to_be_visible()
        expect(page.locator("table.diff")).to_contain_text(NEW_POLICY[lang].split("**1.1.** ")[1].split()[0])
        trip.done("05-review-diff")

        page.get_by_role("button", name=t(app, lang, "I have read it")).click()
        expect(page).to_have_url(re.compile(r"/cabinet/policies$"))
        expect(page.locator(".flash-success")).to_have_text(
            t(app, lang, "Thank you: your acknowledgement of version %(label)s is recorded.", label="2"))
        row = page.locator("tbody tr").filter(has=page.locator("td:first-child a", has_text=re.compile(r"^2$")))
        expect(row).to_have_count(1)
        expect(row.locator(".warn")).to_have_count(0)
        expect(row).not_to_contain_text(t(app, lang, "Not accepted"))
        expect(page.locator("main p.notice")).to_have_count(0)
        trip.done("06-policies-accepted")

        for path in paths:
            trip.goto(path)
            expect(page.locator("main p.notice"), f"policy notice still on {path}").to_have_count(0)
        trip.goto("/cabinet")
        trip.done("07-notice-gone")
    return walk


@pytest.mark.parametrize("lang, viewport", LANGS)
def test_policy_review_journey(browser, live_server, app, policy, create_user, lang, viewport):
    """Version 2 published by an admin is reviewed and acknowledged by the subject."""
    walk = walk_policy_review(app, create_user)
    run(browser, live_server.url, lang, viewport, walk, name="policy")


# ---------------------------------------------------------------------------- 2. complaint

COMPLAINT = {
    "kk": {"subject": "Деректерім жаңартылмады", "body": "Телефон нөмірім бір ай бойы ескі күйінде тұр.",
           "desired_outcome": "Нөмірді түзетуді сұраймын.", "answer": "Нөміріңіз түзетілді, кешірім сұраймыз."},
    "ru": {"subject": "Мои данные не обновлены", "body": "Мой номер телефона уже месяц остаётся старым.",
           "desired_outcome": "Прошу исправить номер.", "answer": "Ваш номер исправлен, приносим извинения."},
}


def file_complaint(trip, app, scan) -> str:
    """Fill the complaint form, attach the PDF, preview it (the PDF is kept) and file it; the registration number."""
    page, lang = trip.page, trip.lang
    words = COMPLAINT[lang]
    trip.goto("/cabinet/complaints/new")
    form = page.locator("main form")
    for name in ("subject", "body", "desired_outcome"):
        form.locator(f"[name={name}]").fill(words[name])
    photo = scan.with_name("Жеке-деректерді-өңдеу-туралы-хабарламаның-суреті.png")  # a long name must wrap
    photo.write_bytes(PNG)
    form.locator("[name=attachments]").set_input_files([scan, photo])
    form.locator("button[name=preview]").click()
    preview = page.locator(".complaint-preview")
    expect(preview).to_contain_text(words["subject"])
    expect(preview).to_contain_text(words["body"])
    expect(preview).to_contain_text(scan.name)
    expect(page.locator("main form [name=subject]")).to_have_value(words["subject"])
    expect(page.locator("main form .kept-files li")).to_have_count(2)
    expect(page.locator("main form .kept-files li").first).to_contain_text(scan.name)
    trip.done("01-complaint-preview")

    page.locator("main form button[name=file]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/complaints/[^/]+$"))
    number = urlsplit(page.url).path.rsplit("/", 1)[1]
    expect(page.locator(".flash-success")).to_have_text(
        t(app, lang, "Your complaint is registered under number %(number)s.", number=number))
    return number


def expected_due(app):
    """Thirty working days after today (Almaty), by the app's own calendar."""
    from cabinet.workdays.service import calendar

    with app.app_context():
        return calendar().add_working_days(almaty_today(), 30)


def check_pdf(trip, context, number):
    """Fetch the printable complaint with the page's cookies; its text names the number."""
    from pypdf import PdfReader

    href = trip.page.locator("main a.button[href$='.pdf']").get_attribute("href")
    response = context.request.get(trip.base_url + href)
    assert response.ok, f"{href} answered {response.status}"
    assert response.headers["content-type"].startswith("application/pdf")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.body())).pages)
    assert number in text, f"complaint number {number} not in the PDF's text: {text[:300]!r}"


def answer_as_support(trip, app, number):
    """Open the complaint from the queue, take it under review and send the answer."""
    page, lang = trip.page, trip.lang
    trip.goto("/staff/complaints")
    row = page.locator(f"tbody tr[data-number='{number}']")
    expect(row).to_have_count(1)
    trip.done("03-staff-queue")
    row.locator("a").first.click()
    expect(page.locator("main > h1")).to_have_text(t(app, lang, "Complaint %(number)s", number=number))

    page.get_by_role("button", name=t(app, lang, "Take under review")).click()
    expect(page.locator(".flash-success")).to_have_text(t(app, lang, "The complaint is under review."))
    expect(page.locator(".complaint-status")).to_have_text(tp(app, lang, "complaint", "Under review"))

    page.locator("main form [name=answer]").fill(COMPLAINT[lang]["answer"])
    trip.done("04-staff-answer-filled")
    page.get_by_role("button", name=t(app, lang, "Check the answer")).click()
    expect(page.locator("[data-answer-check] [data-check=answer]")).to_have_text(COMPLAINT[lang]["answer"])
    trip.done("04-staff-answer-check")
    page.get_by_role("button", name=t(app, lang, "Send the answer")).click()
    expect(page.locator(".flash-success")).to_have_text(
        t(app, lang, "The answer is recorded; the mail to the complainant is on its way (its state is below)."))
    trip.done("05-staff-answered")


def walk_complaint(app, create_user, tmp_path):
    """The journey of issue 4, for run()."""
    def walk(trip, context):
        page, lang = trip.page, trip.lang
        subject = subject_in(create_user, lang)
        support = staff_in(create_user, lang, "support")
        scan = tmp_path / "shagym-qosymsha.pdf"
        scan.write_bytes(PDF)

        sign_in(trip, subject)
        number = file_complaint(trip, app, scan)
        expect(page.locator("main > h1")).to_have_text(t(app, lang, "Complaint %(number)s", number=number))
        expect(page.locator("dl.facts strong")).to_have_text(number)
        due = expected_due(app)
        expect(page.locator(f"dl.facts time[datetime='{due.isoformat()}']")).to_have_count(1)
        expect(page.locator(".complaint-status")).to_have_text(tp(app, lang, "complaint", "Registered"))
        expect(page.locator("ul.attachments")).to_contain_text(scan.name)
        trip.done("02-complaint-filed")
        check_pdf(trip, context, number)
        sign_out(trip, app)

        sign_in(trip, support)
        answer_as_support(trip, app, number)
        sign_out(trip, app)

        sign_in(trip, subject)
        trip.goto(f"/cabinet/complaints/{number}")
        expect(page.locator(".complaint-answer")).to_contain_text(COMPLAINT[lang]["answer"])
        expect(page.locator(".complaint-status")).to_have_text(tp(app, lang, "complaint", "Answered"))
        trip.done("06-subject-reads-answer")
    return walk


@pytest.mark.parametrize("lang, viewport", LANGS)
def test_complaint_journey(browser, live_server, app, create_user, tmp_path, lang, viewport):
    """A complaint is filed with a PDF, printed, answered by support and read by the subject."""
    walk = walk_complaint(app, create_user, tmp_path)
    run(browser, live_server.url, lang, viewport, walk, name="complaint")


# ---------------------------------------------------------------------------- 3. acting on behalf

VIEW_REASON = {"kk": "Субъектінің бүгінгі қоңырауы бойынша", "ru": "Звонок субъекта сегодня"}
ACT_REASON = {"kk": "Субъектінің жазбаша өтініші бойынша телефонды ауыстыру",
              "ru": "Смена телефона по письменному заявлению субъекта"}


def find_and_open(trip, app, subject_surname):
    """Search by the surname's beginning in lower case, open the record with a reason."""
    page, lang = trip.page, trip.lang
    trip.goto("/staff/subjects")
    page.locator("form[role=search] [name=q]").fill(subject_surname[:3].lower())
    page.locator("form[role=search] button[type=submit]").click()
    found = page.locator("tbody tr").filter(has_text=subject_surname)
    expect(found).to_have_count(1)
    trip.done("01-staff-search")
    found.locator("a").click()

    page.locator("main form [name=reason]").fill(VIEW_REASON[lang])
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main form[action$='/act']")).to_be_visible()
    trip.done("02-staff-record")


def start_acting(trip, basis):
    """Give a reason and the written request, and start acting."""
    page = trip.page
    form = page.locator("main form[action$='/act']")
    form.locator("[name=reason]").fill(ACT_REASON[trip.lang])
    form.locator("[name=basis]").set_input_files(basis)
    form.locator("button[type=submit]").click()


def change_phone(trip, app):
    """Change the subject's phone on the edit form."""
    page = trip.page
    trip.goto("/cabinet/profile/edit")
    form = page.locator("main form")
    form.locator("[name=phone]").fill(NEW_PHONE)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cabinet/profile$"))
    expect(page.locator(".flash-success")).to_have_text(t(app, trip.lang, "Your phone number has been changed."))


def walk_acting(app, create_user, tmp_path):
    """The journey of issue 5, for run()."""
    def walk(trip, context):
        page, lang = trip.page, trip.lang
        person = SUBJECTS[lang]
        subject = subject_in(create_user, lang)
        support = staff_in(create_user, lang, "support")
        basis = tmp_path / "otinish.pdf"
        basis.write_bytes(PDF)

        sign_in(trip, support)
        find_and_open(trip, app, person["surname"])
        start_acting(trip, basis)
        expect(page).to_have_url(re.compile(r"/cabinet$"))
        banner = page.locator(".acting-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(" ".join(person.values()))
        expect(banner).to_contain_text(ACT_REASON[lang])
        trip.done("03-acting-banner")

        change_phone(trip, app)
        expect(banner).to_be_visible()
        expect(page.locator("dl.facts").first).to_contain_text(NEW_PHONE_E164)
        trip.done("04-acting-phone-changed")

        banner.get_by_role("button", name=t(app, lang, "Stop acting")).click()
        expect(page.locator(".flash-info")).to_have_text(t(app, lang, "You no longer act on the subject's behalf."))
        expect(page.locator(".acting-banner")).to_have_count(0)
        trip.done("05-acting-stopped")
        sign_out(trip, app)

        sign_in(trip, subject)
        trip.goto("/cabinet/access-log")
        staff_name = f"{STAFF['given_name']} {STAFF['surname']}"
        by_staff = page.locator("tbody tr").filter(has_text=staff_name)
        expect(by_staff.first).to_be_visible()
        expect(by_staff.filter(has_text=VIEW_REASON[lang]).first).to_be_visible()
        expect(by_staff.filter(has_text=ACT_REASON[lang]).first).to_be_visible()
        trip.done("06-subject-access-log")

        trip.goto("/cabinet/profile/history")
        change = page.locator("tbody tr").filter(has_text=NEW_PHONE_E164)
        expect(change).to_have_count(1)
        expect(change.locator("td").nth(3)).to_have_text(NEW_PHONE_E164)
        trip.done("07-subject-history")
    return walk


@pytest.mark.parametrize("lang, viewport", LANGS)
def test_acting_on_behalf_journey(browser, live_server, app, create_user, tmp_path, lang, viewport):
    """Support acts on the subject's behalf with a basis; the subject sees who, why and what changed."""
    walk = walk_acting(app, create_user, tmp_path)
    run(browser, live_server.url, lang, viewport, walk, name="acting")
