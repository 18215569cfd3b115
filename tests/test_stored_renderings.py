"""A stored PDF is served only while its bytes match the hash stored with them: an altered one is an error page and
a log line, never a silently re-rendered, different document (issue 17)."""

from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from cabinet.complaints.models import ComplaintRendering
from cabinet.documents.models import IssuedRendering
from cabinet.extensions import db
from tests.helpers import file_complaint, grant_marketing, latest_event, lifted_trigger

ALTERED = b"%PDF-1.7 altered"


@pytest.fixture
def subject(create_user, login):
    user = create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім")
    login(user)
    return user


@contextmanager
def altered_stored_pdf(app, table: str):
    """What a writer with database access could do: lift the write-once trigger and change the stored bytes."""
    with lifted_trigger(app, table):
        with app.app_context():
            db.session.execute(text(f"UPDATE {table} SET pdf = :pdf"), {"pdf": ALTERED})
            db.session.commit()
        yield


def served_after_alteration(app, client, url: str, table: str, caplog):
    first = client.get(url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert client.get(url).data == first.data  # intact: the same bytes again
    with altered_stored_pdf(app, table), caplog.at_level("ERROR", logger="cabinet.documents"):
        response = client.get(url)
    assert response.status_code == 500 and ALTERED not in response.data and first.data not in response.data
    assert [r for r in caplog.records if "does not match its hash" in r.getMessage()]
    return first.data


def test_an_altered_complaint_pdf_is_refused_not_re_rendered(app, client, subject, caplog):
    number = file_complaint(client)
    served_after_alteration(app, client, f"/cabinet/complaints/{number}.pdf", "complaint_renderings", caplog)
    with app.app_context():  # nothing re-rendered in its place
        assert db.session.scalars(select(ComplaintRendering.pdf)).all() == [ALTERED]


def test_an_altered_consent_receipt_is_refused_not_re_rendered(app, client, subject, caplog):
    grant_marketing(client)
    url = f"/cabinet/consents/receipts/{latest_event(app, subject, 'marketing')}.pdf"
    served_after_alteration(app, client, url, "issued_renderings", caplog)
    with app.app_context():
        assert db.session.scalars(select(IssuedRendering.pdf)).all() == [ALTERED]
