"""Mail is queued with the change that caused it and sent after the commit: never lost, never sent for nothing."""

import socketserver
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail import OutgoingMail, send
from cabinet.mail.delivery import MAX_ATTEMPTS, _loopback
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


class FakeMailServer(socketserver.ThreadingTCPServer):
    """A loopback SMTP server just big enough for smtplib: it keeps what it receives; STARTTLS only announced."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, offer_starttls=False):
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.offer_starttls, self.received = offer_starttls, []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.server_address[1]}"


class SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        say = lambda line: self.wfile.write(line.encode() + b"\r\n")  # noqa: E731
        say("220 fake ESMTP")
        while line := self.rfile.readline().decode().strip():
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                say("250-fake" if self.server.offer_starttls else "250 fake")
                if self.server.offer_starttls:
                    say("250 STARTTLS")
            elif verb == "STARTTLS":
                say("454 TLS not available")  # smtplib must then give up, not go on in clear
            elif verb == "DATA":
                say("354 go on")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.received.append(b"".join(lines))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


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
