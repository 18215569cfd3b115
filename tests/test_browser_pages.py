"""Every page a subject reads, and the public ones, at 390 and 1280 px in Kazakh and in Russian.

For a person to look at: test-artifacts/browser/<page>-<lang>-<width>.png, one full-page screenshot each. Each
page must answer, say it is in the language, fit the screen without sideways scrolling and show no English: no
source string of the journeys' list and no other Latin word, once the subject's own e-mail, the complaint number
and the visitor's IP address are set aside. Same machinery as tests/test_browser.py: one Chromium, one live
server; the subject signs in once per language and both widths reuse that session.
"""

import hashlib
import re
from datetime import date

import pytest
import test_browser
from playwright.sync_api import expect
from test_browser import ARTIFACTS, BROWSER_LOCALE, DESKTOP, PHONE, english_shown
from test_browser_journeys import SUBJECTS, sign_in, staff_in

from cabinet.accounts.models import User
from cabinet.audit.actor import Actor
from cabinet.complaints import operations as complaint_operations
from cabinet.consents import service as consents
from cabinet.disclosures import service as disclosures
from cabinet.documents import storage
from cabinet.extensions import db
from cabinet.profile import service as profile
from cabinet.profile.models import CorrectionRequest
from tests.helpers import PDF

pytestmark = pytest.mark.browser

app_config, live_server, browser = test_browser.app_config, test_browser.live_server, test_browser.browser

#: (name in the file, path); {number} is the subject's complaint
PAGES = [
    ("home", "/"),
    ("cabinet", "/cabinet"),
    ("profile", "/cabinet/profile"),
    ("profile-edit", "/cabinet/profile/edit"),
    ("profile-history", "/cabinet/profile/history"),
    ("profile-history-page-2", "/cabinet/profile/history?page=2"),
    ("profile-corrections-page-2", "/cabinet/profile/history?corrections_page=2"),
    ("documents", "/cabinet/documents"),
    ("policies", "/cabinet/policies"),
    ("consents", "/cabinet/consents"),
    ("consents-page-2", "/cabinet/consents?page=2"),
    ("consent-receipt", "/cabinet/consents/service/receipt"),
    ("withdraw-all", "/cabinet/consents/withdraw-all"),
    ("complaints", "/cabinet/complaints"),
    ("complaint-new", "/cabinet/complaints/new"),
    ("complaint", "/cabinet/complaints/{number}"),
    ("access-log", "/cabinet/access-log"),
    ("disclosures", "/cabinet/disclosures"),
    ("password", "/cabinet/password"),
    ("stats", "/stats"),
    ("policy", "/policy"),
]
COMPLAINT = {"kk": ("Телефон нөмірі қате", "Профильдегі телефон нөмірі қате көрсетілген."),
             "ru": ("Неверный номер телефона", "В профиле указан неверный номер телефона.")}
#: Latin words a Kazakh or Russian page may show: the names of file formats and of a checksum, and the address
#: kind; the subject's file names, e-mail and complaint number are set aside per page
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ACRONYMS = {"PDF", "JPEG", "PNG", "JSON", "SHA", "IP", "ZIP"}
FILE_NAMES = ("id.pdf", "scan.pdf")


def with_history(app, subject_id: int, worker_id: int, lang: str) -> str:
    """Phone and consent changes and name corrections enough for a second page of each history, a disclosure and a
    complaint with a scan, so no page is an empty list; the number."""
    with app.test_request_context():
        subject, worker = db.session.get(User, subject_id), db.session.get(User, worker_id)
        for i in range(30):
            profile.change_phone(subject, f"+770599988{i:02d}", actor=subject)
            consents.change(subject, "marketing", "grant" if i % 2 == 0 else "withdraw", actor=Actor(subject),
                            channel="cabinet")
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=subject.id, status="rejected",
                                             changes={"surname": SUBJECTS[lang]["surname"] + "а"},
                                             reason=COMPLAINT[lang][0], decision_reason=COMPLAINT[lang][1],
                                             due_on=date(2026, 11, 2), submission_token=f"pages-{lang}-{i:02d}" * 2))
        disclosures.record(subject, actor=worker, recipient="Қазақстан Республикасының Бас прокуратурасы",
                           basis="3.4.1", categories="тегі, аты", disclosed_on=date(2026, 11, 2),
                           reference="№ 12-34/567")
        data = PDF + lang.encode()
        scan = storage.CheckedFile("scan.pdf", "application/pdf", data, hashlib.sha256(data).hexdigest())
        subject_line, body = COMPLAINT[lang]
        complaint, _ = complaint_operations.file(Actor(subject), subject, subject_line=subject_line, body=body,
                                                 desired_outcome="", scans=[scan], token=f"pages-{lang}-" + "x" * 24)
        db.session.commit()
        return complaint.number


def latin_words(text: str, set_aside: tuple[str, ...]) -> list[str]:
    for allowed in set_aside:
        text = text.replace(allowed, " ")
    text = re.sub(r"\b\d{1,3}(\.\d{1,3}){3}\b", " ", text)  # the visitor's IP address in the access log
    text = re.sub(r"\b(?=[0-9a-f]*\d)[0-9a-f]{8,}", " ", text)  # a checksum
    return sorted(set(LATIN_WORD.findall(text)) - ACRONYMS)


@pytest.mark.parametrize("lang", ["kk", "ru"])  # one language a test: xdist gives each its own worker
def test_every_subject_page_at_both_widths(lang, browser, live_server, app, create_user):
    problems: list[str] = []
    subject = create_user(locale=lang, email=f"pages-{lang}@example.kz", **SUBJECTS[lang])
    worker = staff_in(create_user, lang, "support")
    number = with_history(app, subject.id, worker.id, lang)
    set_aside = (subject.email, app.config["OPERATOR_EMAIL"], number, *FILE_NAMES)
    session = None
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, locale=BROWSER_LOCALE[lang], storage_state=session,
                                      is_mobile=viewport == PHONE, has_touch=viewport == PHONE)
        context.set_default_timeout(10_000)
        page = context.new_page()
        trip = test_browser.Journey(page, lang, live_server.url, name="pages")
        try:
            if session is None:
                sign_in(trip, subject)
                session = context.storage_state()
            for name, path in PAGES:
                path = path.format(number=number)
                where = f"{name} ({path}) {lang} {viewport['width']}px"
                response = page.goto(live_server.url + path)
                page.screenshot(path=ARTIFACTS / f"{name}-{lang}-{viewport['width']}.png", full_page=True)
                if not response.ok:
                    problems.append(f"{where}: answered {response.status}")
                    continue
                expect(page.locator("html")).to_have_attribute("lang", lang)
                excess = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if excess > 0:
                    problems.append(f"{where}: {excess} px of sideways scrolling")
                text = page.inner_text("body")
                english = english_shown(text) or latin_words(text, set_aside)
                if english:
                    problems.append(f"{where}: English {english}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
