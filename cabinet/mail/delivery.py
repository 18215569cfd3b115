"""Delivery of queued mail after the commit: after the response in a request, at once in a command.

A request never waits for the mail server (a dead one cannot fail a step already on record, and a
reset request takes as long for an unknown address as for a known one); what could not be sent
stays queued for `flask mail send-queued`. Work whose length would tell a visitor whether an address
has an account is put off until after the response too (`after_response`).
"""

import ipaddress
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import copy_current_request_context, current_app, g, has_request_context
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail.models import OutgoingMail

#: a queued message is given up after this many failed attempts (it stays in the table, with its error)
MAX_ATTEMPTS = 10
#: sent messages hold personal data: they are deleted from the queue after this long
KEEP_SENT = timedelta(days=30)


def queue_for_delivery(mail) -> None:
    """Remember the message in the session; it is handed over only if the transaction commits."""
    db.session.info.setdefault("mail_queued", []).append(mail)


def _committed(session) -> None:
    """Hand over the messages that are now on record (a savepoint rolled back leaves no identity)."""
    queued = session.info.pop("mail_queued", [])
    ids = [key[0] for key in (inspect(mail).identity for mail in queued) if key]
    if not ids:
        return
    if has_request_context():
        g.setdefault("mail_ids", []).extend(ids)
    else:
        deliver_queued(ids)


def _rolled_back(session) -> None:
    """Nothing of a rolled-back transaction is sent."""
    session.info.pop("mail_queued", None)


def after_response(work, *args, **kwargs) -> None:
    """Do work(*args, **kwargs) and commit it once the response has gone, so its length cannot show in the
    response time; it runs in a copy of this request's context (the audit trail keeps the client's address)."""
    g.setdefault("deferred", []).append(copy_current_request_context(partial(_do_deferred, work, *args, **kwargs)))


def _do_deferred(work, *args, **kwargs) -> None:
    """The visitor has had the answer already: a failure can only be logged (and the work asked for again)."""
    try:
        work(*args, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("%s failed after the response", work.__qualname__)
    ids = g.pop("mail_ids", None)
    if ids:
        deliver_queued(ids)


def _after_response(response):
    """Once the response has gone to the browser: the work put off until then, and this request's mail."""
    ids, deferred = g.pop("mail_ids", None), g.pop("deferred", ())
    if ids or deferred:
        app = current_app._get_current_object()

        def send_now():
            for job in deferred:
                job()
            if ids:
                with app.app_context():
                    deliver_queued(ids)

        response.call_on_close(send_now)
    return response


def deliver_queued(ids=None, *, older_than: timedelta | None = None) -> tuple[int, int]:
    """Send the given queued messages, or every unsent one older than older_than; returns (sent, failed)."""
    sent = failed = 0
    with Session(db.engine) as session:
        query = select(OutgoingMail).where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
        if ids is not None:
            query = query.where(OutgoingMail.id.in_(ids))
        if older_than is not None:
            query = query.where(OutgoingMail.created_at < utcnow() - older_than)
        for mail_id in session.scalars(query.with_only_columns(OutgoingMail.id).order_by(OutgoingMail.id)).all():
            if _deliver_one(session, mail_id):
                sent += 1
            else:
                failed += 1
        if ids is None:
            session.execute(delete(OutgoingMail).where(OutgoingMail.sent_at < utcnow() - KEEP_SENT))
            session.commit()
    return sent, failed


def _deliver_one(session, mail_id: int) -> bool:
    """Claim one message (another worker may be sending it), send it, record the outcome."""
    mail = session.scalar(select(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_(None))
                          .with_for_update(skip_locked=True))
    if mail is None:
        session.rollback()
        return True
    mail.attempts += 1
    try:
        deliver(message_from_bytes(mail.message, policy=email_policy.default))
    except OSError as error:  # smtplib's errors included
        mail.last_error = f"{type(error).__name__}: {error}"[:2000]
        current_app.logger.warning("mail %s to %s not sent: %s", mail.template, mail.recipient, error)
        session.commit()
        return False
    mail.sent_at = utcnow()
    mail.last_error = None
    session.commit()
    return True


def deliver(message) -> None:
    """Hand the message to SMTP, or write it to the outbox folder for development."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        outbox = Path(current_app.config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
        path.write_bytes(message.as_bytes())
        current_app.logger.info("mail to %s written to %s", message["To"], path)
        return
    parts = urlsplit(url)
    tls = ssl.create_default_context()  # the server's certificate and name are checked
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=30, context=tls)
    else:
        smtp = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=30)
    with smtp:
        if parts.scheme != "smtps":
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=tls)
            elif not _loopback(parts.hostname):
                raise smtplib.SMTPNotSupportedError("the mail server offers no STARTTLS: mail is not sent in clear")
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)


def _loopback(host: str | None) -> bool:
    """A relay on this machine (postfix on localhost) may take mail without TLS: it never crosses a network."""
    try:
        return host == "localhost" or ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def init_app(app):
    """Watch the app's session for commits and rollbacks, and send a request's mail after its response."""
    app.after_request(_after_response)


event.listen(db.session, "after_commit", _committed)
event.listen(db.session, "after_rollback", _rolled_back)
