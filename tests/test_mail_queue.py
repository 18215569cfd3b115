"""Mail is queued with the change that caused it and sent after the commit: never lost, never sent for nothing."""

from datetime import timedelta

from sqlalchemy import select

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import OutgoingMail, send
from cabinet.mail.delivery import MAX_ATTEMPTS
from tests.test_accounts import EMAIL, registration


def mail_queue(app) -> list[OutgoingMail]:
    """Every queued or sent message, oldest first, detached from the session."""
    with app.app_context():
        rows = list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        db.session.expunge_all()
        db.session.remove()
    return rows


def send_queued(app, older_than=0):
    return app.test_cli_runner().invoke(args=["mail", "send-queued", "--older-than", str(older_than)])


def test_registration_goes_through_while_the_mail_server_is_down(app, client, policy, closed_port, outbox):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    response = client.post("/register", data=registration())
    assert response.status_code == 200 and EMAIL in response.text
    (queued,) = mail_queue(app)
    assert (queued.recipient, queued.template, queued.sent_at) == (EMAIL, "confirm", None)
    assert outbox() == []
    app.config["SMTP_URL"] = None
    assert send_queued(app).output.strip() == "1 sent, 0 still queued"
    (mail,) = outbox()
    assert mail["To"] == EMAIL and "/confirm/" in mail.get_content()
    assert mail_queue(app)[0].sent_at is not None
    assert send_queued(app).output.strip() == "0 sent, 0 still queued"  # sent once, never twice
    assert len(outbox()) == 1


def test_mail_of_a_rolled_back_change_is_never_sent(app, create_user, outbox):
    user = create_user()
    with app.app_context():
        send(user.email, "reset", locale="kk", user=user, link="http://cabinet.test/reset/x")
        db.session.flush()
        db.session.rollback()
        db.session.commit()
    assert mail_queue(app) == [] and outbox() == []


def test_mail_committed_outside_a_request_is_sent_at_once(app, create_user, outbox):
    user = create_user()
    with app.app_context():
        send(user.email, "reset", locale="ru", user=user, link="http://cabinet.test/reset/x")
        db.session.commit()
    (mail,) = outbox()
    assert mail["To"] == user.email and mail["Content-Language"] == "ru"


def test_the_cron_run_leaves_fresh_mail_to_its_request_and_gives_up_after_many_attempts(app, create_user):
    user = create_user()
    with app.app_context():
        fresh = OutgoingMail(recipient=user.email, template="reset", message=b"To: x\n\nx\n")
        hopeless = OutgoingMail(recipient=user.email, template="reset", message=b"To: x\n\nx\n",
                                attempts=MAX_ATTEMPTS, created_at=utcnow() - timedelta(days=1))
        old_sent = OutgoingMail(recipient=user.email, template="reset", message=b"To: x\n\nx\n",
                                created_at=utcnow() - timedelta(days=40), sent_at=utcnow() - timedelta(days=40))
        db.session.add_all([fresh, hopeless, old_sent])
        db.session.info.pop("mail_queued", None)  # added by hand, not through send(): nothing to deliver now
        db.session.commit()
    assert send_queued(app, older_than=60).output.strip() == "0 sent, 0 still queued"
    left = mail_queue(app)
    assert [m.attempts for m in left] == [0, MAX_ATTEMPTS]  # the sent one, kept 30 days, is gone
