"""/stats: the public accountability figures are right, name nobody, read in kk and ru, cost a fixed number of
queries and are sent cacheable with an ETag.

Complaints and corrections are written straight into the tables with back-dated moments (local time, UTC+5) and
due dates from the working-day calendar, with "today" fixed at 15 June 2026, so March and May 2026 have known
answers: a Nauryz week and the May holidays sit between some receipts and their answers.
"""

import re
from datetime import UTC, date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from sqlalchemy import event

from cabinet import i18n
from cabinet.complaints.models import Complaint, ComplaintEvent
from cabinet.complaints.numbering import due_date
from cabinet.extensions import db
from cabinet.profile.models import CorrectionRequest
from cabinet.workdays.service import calendar

TODAY = date(2026, 6, 15)
ALMATY = timezone(timedelta(hours=5))
NAME, EMAIL = "Қуанышбекова", "complainant@example.kz"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A local moment (Asia/Almaty, UTC+5) as the database keeps it, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY).astimezone(UTC)


class Tables(HTMLParser):
    """Each table's caption and rows of cell texts (the row's month header first)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption, self._cell, self._row, self._in_caption = "", None, None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in_caption, self._caption = True, ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables[self._caption.strip()] = []
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._caption.strip()].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


def row(html: str, caption: str, month: str) -> list[str]:
    found = [r for r in Tables(html).tables[caption] if r[0] == month]
    assert len(found) == 1, (caption, month, Tables(html).tables.get(caption))
    return found[0][1:]


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(i18n, "local_today", lambda: TODAY)
    return TODAY


@pytest.fixture
def complainant(create_user):
    return create_user(email=EMAIL, surname=NAME)


def add_complaint(user_id: int, n: int, received: datetime, answered: datetime | None = None,
                  status: str | None = None) -> str:
    """A complaint received at a moment, answered at another (or still open, or withdrawn); its number."""
    number = f"BE-2026-{n:06d}"
    complaint = Complaint(number=number, user_id=user_id, subject_line="Зәуреш-тақырып", body="Зәуреш-мәтін",
                          received_at=received, due_on=due_date(received), last_event_at=answered or received,
                          status=status or ("answered" if answered else "registered"),
                          submission_token=f"stats-complaint-{n:06d}-" + "x" * 16)
    db.session.add(complaint)
    db.session.flush()
    db.session.add(ComplaintEvent(complaint_id=complaint.id, kind="registered", at=received))
    if answered:
        db.session.add(ComplaintEvent(complaint_id=complaint.id, kind="answered", at=answered, text="Зәуреш-жауап"))
    return number


def add_correction(user_id: int, n: int, created: datetime, decided: datetime | None = None):
    """A name correction requested at a moment, decided at another (or still pending); due 1 working day on."""
    db.session.add(CorrectionRequest(
        user_id=user_id, changes={"surname": "Жаңа"}, reason="—", created_at=created,
        due_on=calendar().add_working_days(created.astimezone(ALMATY).date(), 1), decided_at=decided,
        status="approved" if decided else "pending", submission_token=f"stats-correction-{n:06d}-" + "x" * 16))


def march_and_may(app, user_id: int) -> list[str]:
    """The figures' data: March 2026 complaints, one April complaint, May 2026 corrections; the numbers."""
    with app.app_context():
        numbers = [
            # due Fri 17 April (30 working days after Mon 2 March, Nauryz 21–25 March skipped): on time
            add_complaint(user_id, 1, at(date(2026, 3, 2)), at(date(2026, 4, 17), 15)),
            # answered on the Saturday after its due Friday: late, though still 30 working days
            add_complaint(user_id, 2, at(date(2026, 3, 2), 11), at(date(2026, 4, 18), 9)),
            # Monday 20 April: late, 31 working days
            add_complaint(user_id, 3, at(date(2026, 3, 2), 12), at(date(2026, 4, 20))),
            # Thu 19 → Thu 26 March: a week, but only 2 working days (Fri 20, Thu 26) for Nauryz
            add_complaint(user_id, 4, at(date(2026, 3, 19)), at(date(2026, 3, 26))),
            # 23:30 on 31 March in Almaty (18:30 UTC) is March; answered the next day
            add_complaint(user_id, 5, at(date(2026, 3, 31), 23, 30), at(date(2026, 4, 1), 11)),
            # 01:00 on 1 April in Almaty is still 31 March in UTC: an April complaint
            add_complaint(user_id, 6, at(date(2026, 4, 1), 1)),
            # withdrawn by its author: received, never owed an answer
            add_complaint(user_id, 7, at(date(2026, 3, 10)), status="withdrawn"),
            # still unanswered, due Mon 20 April: overdue on 15 June, so late
            add_complaint(user_id, 8, at(date(2026, 3, 3))),
            # June 2025 is outside the twelve months (July 2025 – June 2026)
            add_complaint(user_id, 9, at(date(2025, 6, 30)), at(date(2025, 7, 1))),
        ]
        for n, (created, decided) in enumerate([
            (date(2026, 5, 8), date(2026, 5, 12)),  # Fri → Tue: on time, 1 working day (Mon 11 May is a holiday)
            (date(2026, 5, 8), date(2026, 5, 13)),  # Fri → Wed: late, 2 working days
            (date(2026, 5, 4), date(2026, 5, 5)),  # on time, 1
            (date(2026, 5, 4), date(2026, 5, 4)),  # the same day: on time, 0
            (date(2026, 5, 6), date(2026, 5, 8)),  # Wed → Fri: on time, 1 (Thu 7 May is a holiday)
            (date(2026, 5, 5), date(2026, 5, 6)),  # on time, 1
            (date(2026, 5, 29), None),  # pending since Fri 29 May, due Mon 1 June: overdue, so late
        ]):
            add_correction(user_id, n, at(created), decided and at(decided, 16))
        db.session.commit()
    return numbers


def get(client, lang: str, **headers):
    client.set_cookie(i18n.LANG_COOKIE, lang)
    return client.get("/stats", headers=headers)


EXPECTED = {
    # received, answered, on time (3 of A B C D E + overdue H: 3 of 6), median of 1 2 30 30 31 working days
    "kk": {"march": "2026 жылғы наурыз", "april": "2026 жылғы сәуір", "may": "2026 жылғы мамыр",
           "complaints": ["7", "5", "50%", "30"], "corrections": ["7", "6", "71%", "1"],
           "fewer": "5-тен аз", "complaints_caption": "Шағымдар, қабылданған айы бойынша",
           "corrections_caption": "Аты-жөнін түзету туралы өтініштер, қабылданған айы бойынша"},
    "ru": {"march": "март 2026 г.", "april": "апрель 2026 г.", "may": "май 2026 г.",
           "complaints": ["7", "5", "50 %", "30"], "corrections": ["7", "6", "71 %", "1"],
           "fewer": "менее 5", "complaints_caption": "Жалобы по месяцу получения",
           "corrections_caption": "Заявления об исправлении ФИО по месяцу получения"},
}


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_counts_on_time_share_and_median_per_month(app, client, complainant, today, lang):
    """March: 7 complaints, 5 answered, half of the 6 due by now on time, a median of 30 working days; May: the
    corrections, where a holiday Monday keeps a Friday's request on time and the median is 1 working day, not
    the 1.5 calendar days a count without the calendar would give."""
    march_and_may(app, complainant.id)
    html = get(client, lang).get_data(as_text=True)
    words = EXPECTED[lang]
    assert row(html, words["complaints_caption"], words["march"]) == words["complaints"]
    assert row(html, words["corrections_caption"], words["may"]) == words["corrections"]
    # one complaint in April: a count that small is held back, with its share and median
    assert row(html, words["complaints_caption"], words["april"]) == [words["fewer"], "0", "—", "—"]
    assert len(Tables(html).tables[words["complaints_caption"]]) == 1 + 12  # header and twelve months
    assert "2025" in Tables(html).tables[words["complaints_caption"]][-1][0]  # July 2025, the oldest
    assert "2026 жылғы маусым" in html or "июнь 2026 г." in html


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_personal_data_and_no_english(app, client, complainant, today, lang):
    """Nobody's name, address or complaint number is on the page, and the whole page is in one language."""
    numbers = march_and_may(app, complainant.id)
    response = get(client, lang)
    html = response.get_data(as_text=True)
    for secret in (NAME, EMAIL, "Зәуреш", *numbers):
        assert secret not in html
    text = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1]).replace(app.config["OPERATOR_EMAIL"], "")
    assert not re.findall(r"[A-Za-z]{2,}", text), "English on the page (the operator's e-mail in the footer aside)"
    assert f'<html lang="{lang}">' in html
    assert re.search(r'<caption>[^<]+</caption>', html) and '<th scope="row">' in html
    assert html.count('<th scope="col">') == 10


def test_query_count_is_fixed_and_the_figures_are_cached(app, client, create_user, today):
    """Three statements (calendar, complaints, corrections) for 9 complaints or 60; none while cached."""
    user = create_user()

    def statements(fresh: bool = True) -> list[str]:
        if fresh:
            app.extensions.pop("cabinet_stats", None)
        seen = []
        listen = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert get(client, "kk").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return [s for s in seen if s != "BEGIN"]

    march_and_may(app, user.id)
    few = statements()
    with app.app_context():
        for n in range(100, 160):
            add_complaint(user.id, n, at(date(2026, 1, 5) + timedelta(days=n % 90)), at(date(2026, 4, 30)))
            add_correction(user.id, n, at(date(2026, 2, 2) + timedelta(days=n % 60)), at(date(2026, 4, 30)))
        db.session.commit()
    many = statements()
    assert len(many) == len(few) <= 3, many
    assert statements(fresh=False) == []


def test_etag_answers_304_and_the_page_may_be_cached_publicly(app, client, policy, today):
    first = get(client, "ru")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=600"
    assert {"Cookie", "Accept-Language"} <= set(first.vary)
    etag = first.headers["ETag"]
    again = get(client, "ru", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert get(client, "kk", **{"If-None-Match": etag}).status_code == 200  # another language, another page


def test_a_signed_in_visitor_gets_it_uncached(app, client, complainant, login, today):
    """The header then shows the visitor's own name: no shared cache may keep that copy."""
    login(complainant)
    response = get(client, "kk")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_linked_from_the_front_page(client, policy):
    assert 'href="/stats"' in client.get("/").get_data(as_text=True)
