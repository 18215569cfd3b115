"""Mail is queued with the change that caused it and delivered by the worker: never lost, never sent for nothing,
claimed by one worker at a time, retried with back-off, resent after a worker died."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import OutgoingMail, send
from cabinet.mail.delivery import MAX_ATTEMPTS, _loopback, claim, counts, deliver_due
from cabinet.mail.tasks import sweep_mail
from cabinet.queue import JobLease, claim_period
from tests.helpers import EMAIL, FakeMailServer, due_now, mail_queue, registration


def send_queued(app, older_than=0):
    return app.test_cli_runner().invoke(args=["mail", "send-queued", "--older-than", str(older_than)])


def test_registration_goes_through_while_the_mail_server_is_down(app, client, policy, closed_port, outbox):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    response = client.post("/register", data=registration())
    assert response.status_code == 200 and EMAIL in response.text
    (queued,) = mail_queue(app)
    assert (queued.recipient, queued.template, queued.state, queued.sent_at) == (EMAIL, "confirm", "queued", None)
    assert queued.attempts == 1 and "ConnectionRefusedError" in queued.last_error
    assert timedelta(seconds=25) < queued.next_attempt_at - utcnow() <= timedelta(seconds=30)  # the back-off
    assert outbox() == []
    app.config["SMTP_URL"] = None
    assert send_queued(app).output.strip() == "0 sent, 0 still queued"  # not before its back-off ends
    due_now(app)
    assert send_queued(app).output.strip() == "1 sent, 0 still queued"
    (mail,) = outbox()
    assert mail["To"] == EMAIL and "/confirm/" in mail.get_content()
    (sent,) = mail_queue(app)
    assert sent.state == "sent" and sent.sent_at is not None and sent.last_error is None
    assert sent.message_id == mail["Message-ID"]  # the one fixed at queueing
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


def test_mail_committed_is_handed_to_the_queue_at_once(app, create_user, outbox):
    user = create_user()
    with app.app_context():
        send(user.email, "reset", locale="ru", user=user, link="http://cabinet.test/reset/x")
        db.session.commit()
    (mail,) = outbox()  # the tests' queue runs each task where it is enqueued
    assert mail["To"] == user.email and mail["Content-Language"] == "ru"


def add_mail(app, recipient="someone@example.kz", **values) -> int:
    """A mail row put in by hand (not through send(): no task is enqueued for it)."""
    with app.app_context():
        mail = OutgoingMail(recipient=recipient, template="reset", message=f"To: {recipient}\nMessage-ID: "
                            f"<m{time.time_ns()}@cabinet>\n\nx\n".encode(),
                            **{"state": "queued", "next_attempt_at": utcnow(), **values})
        db.session.add(mail)
        db.session.info.pop("mail_queued", None)
        db.session.commit()
        return mail.id


def test_a_mail_is_claimed_by_one_worker_only(app):
    mail_id = add_mail(app)
    with app.app_context():
        first, second = claim(mail_id), claim(mail_id)
    assert first and second is None
    (mail,) = mail_queue(app)
    assert (mail.state, mail.attempts, mail.claim) == ("sending", 1, first)


def test_the_sweep_resends_once_what_a_dead_worker_left_and_leaves_a_live_claim_alone(app, outbox):
    add_mail(app, "dead@example.kz", state="sending", attempts=1, lease_until=utcnow() - timedelta(seconds=1))
    add_mail(app, "busy@example.kz", state="sending", attempts=1, lease_until=utcnow() + timedelta(minutes=5))
    add_mail(app, "fresh@example.kz")  # its own task is on its way: the sweep leaves it a minute
    with app.app_context():
        assert sweep_mail.call_local() == 1
        assert deliver_due(timedelta(seconds=60)) == (0, 0)  # sent once, never twice
    assert [m["To"] for m in outbox()] == ["dead@example.kz"]
    states = {m.recipient: (m.state, m.attempts) for m in mail_queue(app)}
    assert states == {"dead@example.kz": ("sent", 2), "busy@example.kz": ("sending", 1),
                      "fresh@example.kz": ("queued", 0)}
    with app.app_context():
        assert counts() == {"queued": 1, "sending": 1, "sent": 1, "failed": 0}


def test_a_periodic_job_runs_once_a_period_however_many_workers_enqueue_it(app):
    with app.app_context():
        assert claim_period("job", timedelta(minutes=1)) is True
        assert claim_period("job", timedelta(minutes=1)) is False  # the other worker's scheduler
        assert sweep_mail.call_local() == 0 and sweep_mail.call_local() is None
        assert claim_period("job", timedelta(0)) is False  # still this period
    with app.app_context():
        db.session.execute(update(JobLease).values(until=utcnow() - timedelta(seconds=1)))  # the period ended
        db.session.commit()
        assert claim_period("job", timedelta(minutes=1)) is True


def test_a_mail_is_failed_after_many_attempts_and_sent_mail_is_deleted_after_30_days(app, closed_port, runner):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    add_mail(app, "hopeless@example.kz", attempts=MAX_ATTEMPTS - 1)
    add_mail(app, "old@example.kz", state="sent", created_at=utcnow() - timedelta(days=40),
             sent_at=utcnow() - timedelta(days=40))
    assert send_queued(app).output.strip() == "0 sent, 1 still queued"
    with app.app_context():
        sweep_mail.call_local()
    (left,) = mail_queue(app)  # the sent one, kept 30 days, is gone
    assert (left.recipient, left.state, left.attempts) == ("hopeless@example.kz", "failed", MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in left.last_error
    assert send_queued(app).output.strip() == "0 sent, 0 still queued"  # given up: only a person resends it
    assert runner.invoke(args=["mail", "status"]).output.split() == ["queued", "0", "sending", "0", "sent", "0",
                                                                     "failed", "1"]


def test_mail_reaches_a_local_relay(app, client, create_user):
    server = FakeMailServer()
    app.config["SMTP_URL"] = server.url
    user = create_user()
    client.post("/reset", data={"email": user.email})
    server.shutdown()
    server.server_close()
    (message,) = server.received
    assert f"To: {user.email}".encode() in message
    assert mail_queue(app)[0].sent_at is not None


def test_mail_is_never_sent_in_clear_when_encryption_fails(app, client, create_user):
    server = FakeMailServer(offer_starttls=True)
    app.config["SMTP_URL"] = server.url
    user = create_user()
    client.post("/reset", data={"email": user.email})
    server.shutdown()
    server.server_close()
    assert server.received == []
    (queued,) = mail_queue(app)
    assert queued.sent_at is None and "TLS" in queued.last_error


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                                ("mail.example.kz", False), ("10.0.0.5", False), (None, False)])
def test_only_a_relay_on_this_machine_may_take_mail_without_tls(host, loopback):
    assert _loopback(host) is loopback


def test_the_cabinet_shows_where_the_confirmation_mail_is(app, client, policy, closed_port):
    """Not only "open the link we sent": whether the mail with it has gone, or is still waiting for the server."""
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port}"
    client.post("/register", data=registration())
    client.post("/login", data={"email": EMAIL, "password": registration()["password"]})
    page = client.get("/cabinet").text
    assert 'data-mail-state="queued" data-attempts="1"' in page
    app.config["SMTP_URL"] = None
    due_now(app)
    send_queued(app)
    assert 'data-mail-state="sent"' in client.get("/cabinet").text
    client.post("/confirm/resend")
    page = client.get("/cabinet").text
    assert 'data-mail-state="sent" data-attempts="1"' in page  # the latest one
    assert len(mail_queue(app)) == 2
