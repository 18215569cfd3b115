"""The staff's long lists page from where the last page ended: next and previous reach every row once, in order,
and a deep page is one stretch of an index (no offset, no sort); `?page=N` still jumps to page N."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cabinet import paging
from cabinet.complaints.models import Complaint
from cabinet.consents.models import Withdrawal
from cabinet.extensions import db
from cabinet.paging import encode
from cabinet.profile.models import CorrectionRequest
from tests.helpers import login_as, statements_run

ROWS = 60  # three pages of 25
#: the list, how a row shows on its page, the model
LISTS = {
    "/staff/corrections": (r'action="/staff/corrections/(\d+)"', CorrectionRequest),
    "/staff/withdrawals": (r'action="/staff/withdrawals/(\d+)"', Withdrawal),
    "/staff/complaints": (r'data-number="([^"]+)"', Complaint),
    "/staff/complaints?status=all": (r'data-number="([^"]+)"', Complaint),
    "/staff/complaints?status=registered": (r'data-number="([^"]+)"', Complaint),
}


@pytest.fixture
def staff(app, create_user):
    return login_as(app, create_user(email="support@example.kz", roles=("support",)))


def fill(app, owner_id: int, model, rows: int = ROWS) -> list[str]:
    """ROWS waiting rows of the list, due on a few dates (many share one) and created out of due order; returns how
    each shows on the page, in the order the list must show them (due date, then creation)."""
    made = []
    with app.app_context():
        for n in range(rows):
            due = date(2026, 12, 1) + timedelta(days=(n * 7) % 5)
            if model is CorrectionRequest:
                row = CorrectionRequest(user_id=owner_id, changes={"surname": "Жаңа"}, reason="—", due_on=due,
                                        submission_token=f"paging-{model.__name__}-{rows}-{n}")
            elif model is Withdrawal:
                row = Withdrawal(user_id=owner_id, status="scheduled", due_on=due)
            else:
                row = Complaint(number=f"BE-2026-{n + 1:06}", user_id=owner_id, subject_line="—", body="—",
                                due_on=due, submission_token=f"paging-complaint-{n}")
            db.session.add(row)
            db.session.flush()
            made.append((due, row.id, str(row.id) if model is not Complaint else row.number))
        db.session.commit()
    return [shown for _due, _id, shown in sorted(made)]


def link(text: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', text)
    return html.unescape(found.group(1)) if found else None


def label(text: str) -> tuple[int, ...]:
    """The pager's "page N of M" as (N, M)."""
    return tuple(int(n) for n in re.findall(r"\d+", re.search(r'<nav class="pages".*?<span>(.*?)</span>', text,
                                                               re.S).group(1)))


def walk(staff, url: str, rel: str, shown: str) -> tuple[list[list[str]], list[tuple[int, ...]], str]:
    """Follow the pager's `rel` links from `url` to the end: the rows of each page, its label, the last URL."""
    pages, labels = [], []
    while url:
        response = staff.get(url)
        assert response.status_code == 200, url
        pages.append(re.findall(shown, response.text))
        labels.append(label(response.text))
        last, url = url, link(response.text, rel)
    return pages, labels, last


@pytest.mark.parametrize("url", LISTS)
def test_next_and_previous_reach_every_row_once_in_order(app, staff, create_user, url):
    shown, model = LISTS[url]
    expected = fill(app, create_user().id, model)
    forward, labels, last = walk(staff, url, "next", shown)
    assert [row for page in forward for row in page] == expected
    assert [len(page) for page in forward] == [25, 25, 10] and labels == [(1, 3), (2, 3), (3, 3)]
    assert "after=" in last and "page=3" in last  # the next page is found from a cursor, labelled by its number
    backward, labels, _first = walk(staff, last, "prev", shown)
    assert [row for page in reversed(backward) for row in page] == expected
    assert labels == [(3, 3), (2, 3), (1, 3)]
    jumped = [re.findall(shown, staff.get(f"{url}{'&' if '?' in url else '?'}page={n}").text) for n in (1, 2, 3)]
    assert jumped == forward  # a page number still jumps straight there


def shown_label(text: str) -> str:
    return re.search(r'<nav class="pages".*?<span>(.*?)</span>', text, re.S).group(1)


@pytest.mark.parametrize("url", LISTS)
def test_a_list_past_the_count_limit_says_so_and_its_rows_tell_where_it_ends(app, staff, create_user, url,
                                                                             monkeypatch):
    """Counted only as far as COUNT_LIMIT (a count that costs the same at a million rows): "of 2+" until the rows
    show the end; next and previous still reach every row once, in order."""
    monkeypatch.setattr(paging, "COUNT_LIMIT", 30)
    shown, model = LISTS[url]
    expected = fill(app, create_user().id, model)
    first = staff.get(url).text
    assert shown_label(first) == "Бет: 1 / 2+"
    forward, labels, last = walk(staff, url, "next", shown)
    assert [row for page in forward for row in page] == expected and [len(p) for p in forward] == [25, 25, 10]
    assert labels == [(1, 2), (2, 2), (3, 3)]  # the last page is known from its rows
    backward, labels, _first = walk(staff, last, "prev", shown)
    assert [row for page in reversed(backward) for row in page] == expected
    assert labels[-1] == (1, 2)


def test_a_count_reads_no_further_than_its_limit(app, staff, create_user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_LIMIT", 30)
    fill(app, create_user().id, Complaint)
    with statements_run(app) as statements:
        staff.get("/staff/complaints")
    [(statement, parameters)] = [(s, p) for s, p in statements if "count(" in s and "complaints" in s]
    assert "LIMIT" in statement and 31 in (parameters.values() if isinstance(parameters, dict) else parameters)


def test_a_row_answered_meanwhile_neither_hides_nor_repeats_one_on_the_next_page(app, staff, create_user):
    """Page 1 read, its last correction decided by a colleague: page 2 starts right after what was read."""
    shown, _model = LISTS["/staff/corrections"]
    expected = fill(app, create_user().id, CorrectionRequest)
    first = staff.get("/staff/corrections").text
    assert re.findall(shown, first) == expected[:25]
    with app.app_context():
        db.session.get(CorrectionRequest, int(expected[24])).status = "approved"
        db.session.commit()
    assert re.findall(shown, staff.get(link(first, "next")).text) == expected[25:50]


@pytest.mark.parametrize("cursor", ["garbage!", encode(["soon", 1]), encode([1]), "e30", "x" * 500,
                                    encode(["2026-13-01", 1]), encode([True, 1])])
def test_a_hand_edited_cursor_shows_the_numbered_page(app, staff, create_user, cursor):
    shown, _model = LISTS["/staff/corrections"]
    expected = fill(app, create_user().id, CorrectionRequest)
    for way in ("after", "before"):
        response = staff.get(f"/staff/corrections?page=2&{way}={cursor}")
        assert response.status_code == 200 and re.findall(shown, response.text) == expected[25:50]


def plan(statement: str, parameters) -> str:
    """The database's plan for a statement as the page ran it (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN with
    scans and sorts priced as on a large table, where they cost most: a table of a few rows is read whole and
    sorted otherwise; a Sort still shows when no index gives the order)."""
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return " ".join(str(row[-1]) for row in rows)
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.exec_driver_sql(f"SET {setting} = off")
        found = " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        connection.rollback()
        return found


@pytest.mark.parametrize(("url", "table", "index"), [
    ("/staff/corrections", "correction_requests", "ix_correction_requests_pending_due_on"),
    ("/staff/withdrawals", "withdrawals", "ix_withdrawals_scheduled_due_on"),
    ("/staff/complaints", "complaints", "ix_complaints_open_due_on"),
    ("/staff/complaints?status=all", "complaints", "ix_complaints_due_on"),
    ("/staff/complaints?status=registered", "complaints", "ix_complaints_status_due_on"),
])
def test_a_deep_page_reads_one_stretch_of_an_index(app, staff, create_user, url, table, index):
    """The page after a cursor asks for the rows past it on the index in the list's order: no offset, no sort."""
    shown, model = LISTS[url]
    fill(app, create_user().id, model)
    second = link(staff.get(url).text, "next")
    with statements_run(app) as statements:
        assert staff.get(second).status_code == 200
    [(statement, parameters)] = [(s, p) for s, p in statements
                                 if f"FROM {table}" in s and "LIMIT" in s and "count(" not in s]
    assert ") > (" in statement  # from the cursor on, and no rows skipped (SQLite's dialect writes OFFSET 0)
    assert "OFFSET" not in statement or (statement.endswith("OFFSET ?") and parameters[-1] == 0), statement
    with app.app_context():
        found = plan(statement, parameters)
    assert index in found, found
    assert "TEMP B-TREE" not in found and "Sort" not in found and "Seq Scan" not in found, found
    assert f"SCAN {table}" not in found, found



def fill_deadlines(app, owner_id: int) -> list[str]:
    """40 waiting rows of each kind on a few shared due dates; the deadlines page's order of them."""
    order = {"correction": 0, "withdrawal": 1, "complaint": 2}
    made = []
    for url, kind in (("/staff/corrections", "correction"), ("/staff/withdrawals", "withdrawal"),
                      ("/staff/complaints", "complaint")):
        with app.app_context():
            model = LISTS[url][1]
            before = {row.id for row in db.session.scalars(select(model))}
        fill(app, owner_id, model, rows=40)
        with app.app_context():
            made += [(row.due_on, order[kind], row.id, f"{kind}:{row.id}")
                     for row in db.session.scalars(select(model)) if row.id not in before]
    return [shown for *_key, shown in sorted(made)]


def test_the_deadlines_page_pages_every_kind_by_due_date(app, staff, create_user):
    """120 matters of three kinds: 50 a page, every one reached once by next and once by previous."""
    shown = r'data-item="([a-z]+:\d+)"'
    expected = fill_deadlines(app, create_user().id)
    forward, labels, last = walk(staff, "/staff", "next", shown)
    assert [row for page in forward for row in page] == expected
    assert [len(page) for page in forward] == [50, 50, 20] and labels == [(1, 3), (2, 3), (3, 3)]
    backward, labels, _first = walk(staff, last, "prev", shown)
    assert [row for page in reversed(backward) for row in page] == expected and labels == [(3, 3), (2, 3), (1, 3)]
    assert [re.findall(shown, staff.get(f"/staff?page={n}").text) for n in (1, 2, 3)] == forward
    assert re.findall(shown, staff.get("/staff?page=2&after=garbage").text) == forward[1]


def test_a_deep_deadlines_page_asks_as_much_as_the_first(app, staff, create_user):
    fill_deadlines(app, create_user().id)
    first = staff.get("/staff").text
    with statements_run(app) as statements:
        staff.get("/staff")
        few = len(statements)
        staff.get(link(first, "next"))
    assert len(statements) - few == few <= 10, statements  # the count, a page of each kind, the reminders


# --- the staff search --------------------------------------------------------------------------------------------

SEARCHES = {"surname": "Омар", "given name": "Дана", "e-mail": "dana", "e-mail with @": "dana@"}


@pytest.mark.parametrize("q", SEARCHES.values(), ids=SEARCHES.keys())
def test_a_search_reads_a_stretch_of_an_index_per_kind(app, staff, create_user, q):
    """However many people share a name, a search page reads each kind of match from its index in the order it shows:
    no scan of every account, no sort of every match (an OR of the kinds sorted by surname scanned the accounts)."""
    for n in range(30):
        create_user(email=f"dana@omar{n:02}.example.kz", surname="Омарова", given_name="Дана")
    with statements_run(app) as statements:
        first = staff.get("/staff/subjects", query_string={"q": q}).text
        assert "page=2" in first
        staff.get(link(first, "next"))  # the next page from where the first ended
    searches = [(s, p) for s, p in statements if "FROM users" in s and "LIMIT" in s and "user_roles.role" in s]
    assert searches
    for statement, parameters in searches:
        with app.app_context():
            found = plan(statement, parameters)
        assert "SCAN users" not in found and "Seq Scan" not in found, found
        assert "TEMP B-TREE" not in found and "Sort" not in found, found


def test_a_search_shows_surnames_first_then_given_names_each_person_once(staff, create_user):
    by_given = create_user(email="g@example.kz", surname="Ахметова", given_name="Омарбек")
    by_surname = [create_user(email=f"s{n}@example.kz", surname="Омарова", given_name="Дана") for n in range(2)]
    by_both = create_user(email="b@example.kz", surname="Омаров", given_name="Омар")
    found = re.findall(r'href="/staff/subjects/(\d+)"', staff.get("/staff/subjects?q=омар").text)
    assert found == [str(u.id) for u in (by_both, *by_surname, by_given)]


def test_a_search_pages_across_the_kinds_of_match(staff, create_user):
    surnames = [create_user(email=f"s{n:02}@example.kz", surname="Omarova", given_name="Dana").id for n in range(20)]
    both = create_user(email="omar@example.kz", surname="Bekova", given_name="Omar").id  # a given name and an e-mail
    given = [create_user(email=f"g{n:02}@example.kz", surname="Bekova", given_name="Omargul").id for n in range(30)]
    mail = [create_user(email=f"omar{n:02}@example.kz", surname="Bekova", given_name="Dana").id for n in range(3)]
    expected = surnames + [both] + given + mail
    found = lambda text: [int(i) for i in re.findall(r'href="/staff/subjects/(\d+)"', text)]  # noqa: E731
    by_number = [found(staff.get(f"/staff/subjects?q=omar&page={n}").text) for n in (1, 2, 3, 4)]
    assert [i for page in by_number for i in page] == expected  # each person once, in the order of the kinds
    assert [len(page) for page in by_number] == [25, 25, 4, 0]
    by_cursor, url = [], "/staff/subjects?q=omar"
    while url:
        text = staff.get(url).text
        by_cursor.append(found(text))
        url = link(text, "next")
    assert by_cursor == by_number[:3]


def test_a_deep_search_page_reads_from_where_the_page_before_ended(app, staff, create_user):
    for n in range(60):
        create_user(email=f"d{n:02}@example.kz", surname="Омарова", given_name="Дана")
    second = staff.get("/staff/subjects?q=Омар&page=2").text
    with statements_run(app) as statements:
        third = staff.get(link(second, "next")).text
    limits = [list(p.values() if isinstance(p, dict) else p)[-1]  # the LIMIT is the last parameter
              for s, p in statements if "FROM users" in s and "LIMIT" in s and "user_roles.role" in s]
    assert limits and all(limit <= 26 for limit in limits), limits  # a page and one more, not the pages before
    assert re.findall(r'href="/staff/subjects/(\d+)"', third) == \
        re.findall(r'href="/staff/subjects/(\d+)"', staff.get("/staff/subjects?q=Омар&page=3").text)


def test_the_deadlines_past_the_count_limit_say_so_and_reach_every_matter(app, staff, create_user, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_LIMIT", 30)
    shown = r'data-item="([a-z]+:\d+)"'
    expected = fill_deadlines(app, create_user().id)
    assert shown_label(staff.get("/staff").text) == "Бет: 1 / 2+"
    forward, labels, last = walk(staff, "/staff", "next", shown)
    assert [row for page in forward for row in page] == expected and [len(p) for p in forward] == [50, 50, 20]
    assert labels == [(1, 2), (2, 2), (3, 3)]
    backward, _labels, _first = walk(staff, last, "prev", shown)
    assert [row for page in reversed(backward) for row in page] == expected
