"""Pages make a bounded number of queries whatever the data size (DESIGN: Scale).

Each page is measured for a subject with a little of every kind of data (one of each), then again
after that subject has collected a lot of history (60 phone changes, 30 scans, 60 consent toggles,
210 trail events, 30 corrections, disclosures and complaints, more policy versions) and the database holds 50
other subjects: the count must not move, and must stay within a small budget.
"""

import hashlib
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from cabinet.accounts.models import User
from cabinet.audit import trail
from cabinet.extensions import db
from tests.helpers import PDF

PAGES = ["/cabinet", "/cabinet/profile", "/cabinet/profile/edit", "/cabinet/profile/history", "/cabinet/documents",
         "/cabinet/policies", "/cabinet/consents", "/cabinet/consents/withdraw-all", "/cabinet/access-log",
         "/cabinet/disclosures", "/cabinet/complaints", "/cabinet/export", "/policy"]
BUDGET = 12
#: the export reads every kind of record (twelve of them, files kept on a preview among them) and appends its own
#: audit event (four statements)
BUDGETS = {"/cabinet/export": 22}


@pytest.fixture
def count_queries(app):
    """GET a page and return the SQL statements it ran (every one, as the driver saw them)."""

    def count(client, url) -> list[str]:
        statements = []

        def listen(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert response.status_code == 200, url
        return statements

    return count


def load(app, create_user, policy, subject_id, *, n: int, versions: tuple[str, ...], others: int):
    """Use of the cabinet, scaled by n: phone changes by the subject and by staff, scans, consent toggles, staff
    look-ups in the trail, decided and pending corrections, policy versions accepted, disclosures, other subjects."""
    from cabinet.audit.actor import Actor
    from cabinet.complaints import operations as complaint_operations
    from cabinet.consents import service as consents
    from cabinet.disclosures import service as disclosures
    from cabinet.documents import storage
    from cabinet.policies.service import get_version, record_acceptance
    from cabinet.profile import service as profile
    from cabinet.profile.models import CorrectionRequest

    other_refs = [create_user(email=f"other{n}-{i}@example.kz") for i in range(others)]
    staff = create_user(email=f"staff{n}@example.kz", roles=("support",))
    for label in versions:
        policy(label, effective_from=date(2026, 1, 1) + timedelta(days=int(label)))
    with app.test_request_context():
        subject, worker = db.session.get(User, subject_id), db.session.get(User, staff.id)
        act = acting_session(worker, subject, n)
        for i in range(2 * n):
            profile.change_phone(subject, f"+7701{n:02d}{i:05d}", actor=subject if i % 2 else worker,
                                 act=None if i % 2 else act)
        for i in range(n):
            data = PDF + f"{n}-{i}".encode()
            storage.store(storage.CheckedFile(f"scan-{i}.pdf", "application/pdf", data,
                                              hashlib.sha256(data).hexdigest()),
                          actor=subject if i % 2 else worker, subject=subject, kind="registration")
        for i in range(2 * n):
            consents.change(subject, "marketing" if i % 4 < 2 else "research", "grant" if i % 2 == 0 else "withdraw",
                            actor=Actor(subject), channel="cabinet")
        for i in range(7 * n):
            trail.record("staff.subject_viewed", actor=worker, subject=subject, details={"reason": f"call {i}"})
        for label in versions:
            record_acceptance(get_version(label), actor=subject, subject=subject, method="cabinet", locale="ru")
        for i in range(n):
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=worker.id,
                                             changes={"surname": "Ахметова"}, reason=f"reason {i}",
                                             status="rejected", due_on=date(2026, 1, 5) + timedelta(days=i),
                                             submission_token=f"token-{n:02d}-{i:03d}-" + "x" * 20))
        for i in range(n):
            disclosures.record(subject, actor=worker, recipient=f"Body {i}", basis="3.4.1", categories="name",
                               disclosed_on=date(2026, 1, 1) + timedelta(days=i), reference=f"ref {i}")
            data = PDF + f"complaint {n}-{i}".encode()
            complaint_operations.file(Actor(subject if i % 2 else worker), subject, subject_line=f"Complaint {i}",
                                      body="Text", desired_outcome="", token=f"complaint-{n:02d}-{i:03d}-" + "x" * 20,
                                      scans=[storage.CheckedFile("c.pdf", "application/pdf", data,
                                                                 hashlib.sha256(data).hexdigest())])
        for ref in other_refs:
            other = db.session.get(User, ref.id)
            profile.change_phone(other, "+77019999999", actor=other)
            trail.record("staff.subject_viewed", actor=worker, subject=other, details={"reason": "x"})
        db.session.commit()


def acting_session(worker, subject, n):
    """The worker's acting session for the subject, on a stored basis document, so their changes carry it."""
    from cabinet.acting.models import ActingSession
    from cabinet.database import utcnow
    from cabinet.documents import storage

    data = PDF + f"basis {n}".encode()
    basis = storage.store(storage.CheckedFile("basis.pdf", "application/pdf", data, hashlib.sha256(data).hexdigest()),
                          actor=worker, subject=subject, kind="basis")
    act = ActingSession(staff_id=worker.id, subject_id=subject.id, reason="call", basis_document_id=basis.id,
                        started_at=utcnow(), expires_at=utcnow() + timedelta(minutes=30))
    db.session.add(act)
    db.session.flush()
    return act


def pending_correction(app, subject_id):
    from cabinet.profile.models import CorrectionRequest

    with app.app_context():
        db.session.add(CorrectionRequest(user_id=subject_id, requested_by_id=subject_id,
                                         changes={"surname": "Жаңа"}, reason="pending", due_on=date(2026, 2, 2),
                                         submission_token="p" * 30))
        db.session.commit()


@pytest.mark.parametrize("url", PAGES)
def test_page_query_count_does_not_grow_with_data(app, client, create_user, login, policy, count_queries, url):
    user = create_user()
    pending_correction(app, user.id)
    login(user)
    load(app, create_user, policy, user.id, n=1, versions=("2",), others=1)
    count_queries(client, url)  # warm-up: anything a first request does once
    few = count_queries(client, url)
    load(app, create_user, policy, user.id, n=30, versions=("3", "4", "5"), others=50)
    count_queries(client, url)  # the new version in effect is looked up once, then remembered
    many = count_queries(client, url)
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= BUDGETS.get(url, BUDGET), "\n".join(many)


def test_public_policy_page_is_bounded_for_visitors(app, client, policy, count_queries):
    few = count_queries(client, "/policy")
    for label in ("2", "3", "4", "5", "6"):
        policy(label, effective_from=date(2026, 1, int(label)))
    many = count_queries(client, "/policy")
    assert len(many) == len(few) <= BUDGET


def many_changes(app, subject_id, n: int, start: int = 0) -> None:
    """n consent toggles, n phone changes and n name corrections: histories several pages long."""
    from cabinet.audit.actor import Actor
    from cabinet.consents import service as consents
    from cabinet.profile import service as profile
    from cabinet.profile.models import CorrectionRequest

    with app.test_request_context():
        subject = db.session.get(User, subject_id)
        for i in range(start, start + n):
            consents.change(subject, "marketing", "grant" if i % 2 == 0 else "withdraw", actor=Actor(subject),
                            channel="cabinet")
            profile.change_phone(subject, f"+7701{i:07d}", actor=subject)
            db.session.add(CorrectionRequest(user_id=subject.id, requested_by_id=subject.id, changes={"surname": "Ә"},
                                             reason=f"reason-{i:03d}", status="rejected", due_on=date(2026, 1, 5),
                                             submission_token=f"history-{i:03d}-" + "x" * 20))
        db.session.commit()


def _last_table(html: str) -> str:
    return html.rsplit("<table>", 1)[-1]


CHANGE_ROW = re.compile(r"<tr>\s*<td[^>]*>.*?</td>\s*<td[^>]*>.*?</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>",
                        re.S)
#: each history: its page, the prefix of its pager's parameters, what tells its rows apart on a page (a consent
#: event's receipt link; a change's old and new value, in the page's last table; a correction's reason)
HISTORIES = {
    "consents": ("/cabinet/consents", "", lambda html: re.findall(r'href="/cabinet/consents/receipts/(\d+)"', html)),
    "changes": ("/cabinet/profile/history", "", lambda html: CHANGE_ROW.findall(_last_table(html))),
    "corrections": ("/cabinet/profile/history", "corrections_", lambda html: re.findall(r"(reason-\d+)</span>", html)),
}


def stored(app, subject_id: int, history: str) -> list:
    """The history's rows as its page shows them, newest first, read from the database."""
    from sqlalchemy import select

    from cabinet.consents.models import ConsentEvent
    from cabinet.profile.models import CorrectionRequest, ProfileChange

    with app.app_context():
        if history == "consents":
            return [str(i) for i in db.session.scalars(select(ConsentEvent.id).where(
                ConsentEvent.user_id == subject_id).order_by(ConsentEvent.id.desc()))]
        if history == "corrections":
            return list(db.session.scalars(select(CorrectionRequest.reason).where(
                CorrectionRequest.user_id == subject_id).order_by(CorrectionRequest.id.desc())))
        return [(old or "—", new or "—") for old, new in db.session.execute(
            select(ProfileChange.old_value, ProfileChange.new_value).where(ProfileChange.user_id == subject_id)
            .order_by(ProfileChange.id.desc()))]


def _link(html: str, rel: str, prefix: str) -> str | None:
    """The pager's link of that list: its own parameter comes first (`?page=`, `?corrections_page=`)."""
    found = re.search(rf'<a href="([^"?]+\?{prefix}page=[^"]*)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.mark.parametrize("history", HISTORIES)
def test_a_long_history_is_paged_every_row_once_either_way(app, client, create_user, login, count_queries, history):
    from cabinet.paging import PAGE_SIZE

    url, prefix, rows = HISTORIES[history]
    user = create_user()
    login(user)
    many_changes(app, user.id, 1)
    client.get(url)  # warm-up
    short = count_queries(client, url)
    many_changes(app, user.id, 70, start=1)
    forward, costs, pages, link = [], [], [], url
    while link:
        costs.append(len(count_queries(client, link)))
        html = client.get(link).text
        pages.append(rows(html))
        forward += pages[-1]
        link = _link(html, "next", prefix)
    assert len(pages) >= 3 and all(0 < len(page) <= PAGE_SIZE for page in pages)
    assert forward == stored(app, user.id, history)  # every row once, newest first
    assert costs == [len(short)] * len(costs), costs  # the first page, the middle ones, the last: one price
    backward, link = pages[-1], _link(html, "prev", prefix)
    while link:
        html = client.get(link).text
        backward = rows(html) + backward
        link = _link(html, "prev", prefix)
    assert backward == forward


@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("query", ["after=x", "before=%ZZ", "after=W10", "before=WyJhIl0", "page=-3", "page=999",
                                   "after=" + "A" * 400])
def test_a_hand_edited_cursor_shows_a_page(app, client, create_user, login, history, query):
    url, prefix, rows = HISTORIES[history]
    user = create_user()
    many_changes(app, user.id, 1)
    login(user)
    response = client.get(f"{url}?{prefix}{query}")
    assert response.status_code == 200
    assert rows(response.text)
