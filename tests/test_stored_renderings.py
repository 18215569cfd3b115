"""A stored PDF is served only while its bytes match the hash stored with them: an altered one is an error page and
a log line, never a silently re-rendered, different document (issue 17)."""

import pytest
from sqlalchemy import select, text

from cabinet.complaints.models import ComplaintRendering
from cabinet.documents.models import IssuedRendering
from cabinet.extensions import db
from tests.test_complaints import file_complaint
from tests.test_issued_documents import grant_marketing, latest_event


@pytest.fixture
def subject(create_user, login):
    user = create_user(email="aigerim.s@mail.kz", surname="Сейітова", given_name="Айгерім")
    login(user)
    return user


def alter_stored_pdf(app, table: str) -> bytes:
    """What a writer with database access could do: lift the write-once trigger and change the stored bytes."""
    with app.app_context():
        on = f" ON {table}" if db.engine.dialect.name == "postgresql" else ""
        db.session.execute(text(f"DROP TRIGGER {table}_frozen{on}"))
        db.session.execute(text(f"UPDATE {table} SET pdf = :pdf"), {"pdf": b"%PDF-1.7 altered"})
        db.session.commit()
        return b"%PDF-1.7 altered"


def served_after_alteration(app, client, url: str, table: str, caplog):
    first = client.get(url)
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    assert client.get(url).data == first.data  # intact: the same bytes again
    altered = alter_stored_pdf(app, table)
    with caplog.at_level("ERROR", logger="cabinet.documents"):
        response = client.get(url)
    assert response.status_code == 500 and altered not in response.data and first.data not in response.data
    assert [r for r in caplog.records if "does not match its hash" in r.getMessage()]
    return first.data


def test_an_altered_complaint_pdf_is_refused_not_re_rendered(app, client, subject, caplog):
    number = file_complaint(client)
    served_after_alteration(app, client, f"/cabinet/complaints/{number}.pdf", "complaint_renderings", caplog)
    with app.app_context():  # nothing re-rendered in its place
        assert db.session.scalars(select(ComplaintRendering.pdf)).all() == [b"%PDF-1.7 altered"]


def test_an_altered_consent_receipt_is_refused_not_re_rendered(app, client, subject, caplog):
    grant_marketing(client)
    url = f"/cabinet/consents/receipts/{latest_event(app, subject, 'marketing')}.pdf"
    served_after_alteration(app, client, url, "issued_renderings", caplog)
    with app.app_context():
        assert db.session.scalars(select(IssuedRendering.pdf)).all() == [b"%PDF-1.7 altered"]
