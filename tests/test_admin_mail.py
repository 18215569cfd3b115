"""The administrators' page of undelivered mail: what failed and why, and a button that sends it again (issue 14)."""

import re

from sqlalchemy import select, update

from cabinet.audit.models import AuditEvent
from cabinet.extensions import db
from cabinet.mail import OutgoingMail, send
from tests.helpers import login_as


def failed_mail(app, user, closed_port) -> int:
    """A reset mail that the mail server refused until the cabinet gave up on it."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    with app.app_context():
        send(user.email, "reset", locale="kk", user=user, link="http://cabinet.test/reset/x")
        db.session.commit()
        mail_id = db.session.scalar(select(OutgoingMail.id))
        db.session.execute(update(OutgoingMail).values(state="failed", attempts=10))
        db.session.commit()
    app.config["SMTP_URL"] = None
    return mail_id


def test_an_admin_sees_what_failed_and_why_and_sends_it_again(app, create_user, closed_port, outbox):
    subject, admin = create_user(), create_user(email="admin@example.kz", roles=("admin",))
    mail_id = failed_mail(app, subject, closed_port)
    browser = login_as(app, admin)
    browser.get("/lang/ru")
    page = browser.get("/admin/mail").text
    row = re.search(rf"<tr>\s*<td[^>]*>{mail_id}</td>.*?</tr>", page, re.S).group(0)
    assert subject.email in row and "ConnectionRefusedError" in row and 'data-mail-state="failed"' in row
    assert "не доставлено: неудачных попыток — 10" in row and "Отправить снова" in row
    assert 'data-state="failed">1<' in page

    response = browser.post(f"/admin/mail/{mail_id}/resend")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/mail")
    [delivered] = [m for m in outbox() if m["To"] == subject.email]  # the tests' queue delivers at once
    with app.app_context():
        mail = db.session.get(OutgoingMail, mail_id)
        assert (mail.state, mail.attempts) == ("sent", 1) and mail.message_id == delivered["Message-ID"]
        [resent] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mail.resent")).all()
    assert resent.actor_id == admin.id and "ConnectionRefusedError" in resent.details["last_error"]
    assert "Барлық хат жеткізілді" in login_as(app, admin).get("/admin/mail").text  # nothing left to see (kk)


def test_a_mail_not_failed_is_not_sent_again(app, create_user, outbox):
    subject, admin = create_user(), create_user(email="admin@example.kz", roles=("admin",))
    with app.app_context():
        send(subject.email, "reset", locale="kk", user=subject, link="http://cabinet.test/reset/x")
        db.session.commit()
        mail_id = db.session.scalar(select(OutgoingMail.id))
    browser = login_as(app, admin)
    assert browser.post(f"/admin/mail/{mail_id}/resend").status_code == 302
    assert len([m for m in outbox() if m["To"] == subject.email]) == 1  # sent once, not twice


def test_only_admins_see_the_mail_page(app, create_user):
    support = login_as(app, create_user(email="support@example.kz", roles=("support",)))
    assert support.get("/admin/mail").status_code == 403
    assert support.post("/admin/mail/1/resend").status_code == 403
