"""Delivery of queued mail by the worker: claimed atomically, sent, its outcome recorded on the mail's row.

The row is the truth: queued → sending → sent | failed. A worker claims a mail with one UPDATE that only
one worker can win (state queued and due, or sending with a lease run out: its worker died) and holds it
for MAIL_LEASE_SECONDS. A failed attempt puts the mail back in the queue with an exponential back-off;
after MAX_ATTEMPTS it is failed, with the error kept. At least once, never lost: a worker killed after
the mail server took a message but before it recorded "sent" leaves the mail to be sent again when the
lease runs out, with the same Message-ID (fixed at queueing), so the receiving server can drop the copy.

A request never sends mail. Work whose length would tell a visitor whether an address has an account
is put off until after the response (`after_response`); the mail it queues goes to the worker too.
"""

import ipaddress
import logging
import secrets
import smtplib
import ssl
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import copy_current_request_context, current_app, g
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cabinet.audit import labels, trail
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail.models import STATES, OutgoingMail
from cabinet.messages import lazy_gettext as _l
from cabinet.transaction import apart, committing

labels.register_actions({
    "mail.resent": _l("Undelivered mail queued again by an administrator"),
})

log = logging.getLogger(__name__)

#: a mail is given up (state failed) after this many attempts; it stays in the table, with its error
MAX_ATTEMPTS = 10
#: the longest wait between two attempts
MAX_BACKOFF = timedelta(hours=1)
#: sent messages hold personal data: they are deleted from the queue after this long
KEEP_SENT = timedelta(days=30)
#: headers written on one line (RFC 5322 allows 998 characters): folding between RFC 2047 encoded words is where
#: readers lost the spaces of a Kazakh subject («поштамекенжайыңызды»); a body's encoding stays chosen at 78
STORED = email_policy.default.clone(max_line_length=998)


def queue_for_delivery(mail) -> None:
    """Remember the message in the session; it is handed to the queue only if the transaction commits."""
    db.session.info.setdefault("mail_queued", []).append(mail)


def after_response(work, *args, **kwargs) -> None:
    """Do work(*args, **kwargs) and commit it once the response has gone, so its length cannot show in the
    response time; it runs in a copy of this request's context (the audit trail keeps the client's address)."""
    g.setdefault("deferred", []).append(copy_current_request_context(partial(_do_deferred, work, *args, **kwargs)))


def _do_deferred(work, *args, **kwargs) -> None:
    """The visitor has had the answer already: a failure can only be logged (and the work asked for again)."""
    try:
        with committing():  # its mail goes to the queue on this commit, like any other
            work(*args, **kwargs)
    except Exception:
        current_app.logger.exception("%s failed after the response", work.__qualname__)


def _after_response(response):
    """Once the response has gone to the browser: the work put off until then (never any sending)."""
    deferred = g.pop("deferred", ())
    if deferred:
        def run_deferred():
            for job in deferred:
                job()

        response.call_on_close(run_deferred)
    return response


def backoff(attempts: int) -> timedelta:
    """The wait after the given number of failed attempts: MAIL_RETRY_SECONDS, doubling, at most an hour."""
    first = timedelta(seconds=current_app.config["MAIL_RETRY_SECONDS"])
    return min(first * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _claimable(now):
    """Queued and due, or sending for a worker whose lease ran out (it died or hangs)."""
    return or_(and_(OutgoingMail.state == "queued", OutgoingMail.next_attempt_at <= now),
               and_(OutgoingMail.state == "sending", OutgoingMail.lease_until < now))


def claim(mail_id: int) -> str | None:
    """Take the mail for this worker: one UPDATE that only one worker wins (SQLite's write lock, PostgreSQL's
    row lock with the condition checked again); returns the claim's token, or None when another has it."""
    token, now = secrets.token_hex(16), utcnow()
    lease = now + timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    with apart() as session:
        won = session.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id, _claimable(now))
                              .values(state="sending", claim=token, lease_until=lease,
                                      attempts=OutgoingMail.attempts + 1)
                              .execution_options(synchronize_session=False)).rowcount
    return token if won == 1 else None


def _record(mail_id: int, token: str, **values) -> bool:
    """Write the outcome if this worker still holds the claim; a few tries, as a lost write means a resend."""
    for attempt in range(3):
        try:
            with apart() as session:
                done = session.execute(update(OutgoingMail).where(OutgoingMail.id == mail_id,
                                                                  OutgoingMail.claim == token)
                                       .values(claim=None, lease_until=None, **values)
                                       .execution_options(synchronize_session=False)).rowcount
            if not done:  # the lease ran out mid-send and another worker claimed it: it may go out twice
                log.warning("mail %s: the claim was lost before its outcome was recorded", mail_id)
            return done == 1
        except SQLAlchemyError:
            log.exception("could not record the delivery of mail %s (try %s)", mail_id, attempt + 1)
            time.sleep(0.5 * (attempt + 1))
    return False


def deliver_one(mail_id: int) -> tuple[str | None, timedelta | None]:
    """Claim, send and record one mail: (its new state, the wait before the next attempt), or (None, None)
    when it was not ours to send (sent already, another worker's, not due)."""
    token = claim(mail_id)
    if token is None:
        return None, None
    with Session(db.engine) as session:
        mail = session.get(OutgoingMail, mail_id)
        raw, attempts, template = mail.message, mail.attempts, mail.template
    try:
        deliver(message_from_bytes(raw, policy=STORED))
    except Exception as error:  # smtplib's errors are OSErrors; anything else is retried and kept the same way
        reason = f"{type(error).__name__}: {error}"[:2000]
        log.warning("mail %s (%s), attempt %s, not sent: %s", mail_id, template, attempts, reason)
        if attempts >= MAX_ATTEMPTS:
            _record(mail_id, token, state="failed", last_error=reason)
            return "failed", None
        wait = backoff(attempts)
        _record(mail_id, token, state="queued", last_error=reason, next_attempt_at=utcnow() + wait)
        return "queued", wait
    _record(mail_id, token, state="sent", sent_at=utcnow(), last_error=None)
    return "sent", None


def due_ids(grace: timedelta = timedelta(0), limit: int = 1000) -> list[int]:
    """Mail a worker should take now: queued and due at least grace ago, or abandoned by a dead worker."""
    now = utcnow()
    late = or_(and_(OutgoingMail.state == "queued", OutgoingMail.next_attempt_at <= now - grace),
               and_(OutgoingMail.state == "sending", OutgoingMail.lease_until < now))
    with Session(db.engine) as session:
        return list(session.scalars(select(OutgoingMail.id).where(late).order_by(OutgoingMail.id).limit(limit)))


def deliver_due(grace: timedelta = timedelta(0)) -> tuple[int, int]:
    """Send every mail that is due, here and now (the command line's way); returns (sent, not sent)."""
    sent = unsent = 0
    for mail_id in due_ids(grace, limit=1_000_000):
        state, _wait = deliver_one(mail_id)
        sent, unsent = sent + (state == "sent"), unsent + (state in ("queued", "failed"))
    return sent, unsent


def purge_sent() -> int:
    """Delete sent mail older than KEEP_SENT (it holds personal data)."""
    with apart() as session:
        gone = session.execute(delete(OutgoingMail).where(OutgoingMail.state == "sent",
                                                          OutgoingMail.sent_at < utcnow() - KEEP_SENT)).rowcount
    return gone


def counts() -> dict[str, int]:
    """How many mails are in each state (every state named, zeros included)."""
    with Session(db.engine) as session:
        found = dict(session.execute(select(OutgoingMail.state, func.count()).group_by(OutgoingMail.state)).all())
    return {state: found.get(state, 0) for state in STATES}


def deliver(message) -> None:
    """Hand the message to SMTP, or write it to the outbox folder for development."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        outbox = Path(current_app.config["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = outbox / f"{stamp}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
        path.write_bytes(message.as_bytes(policy=STORED))
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
    """Run the work a request put off until after its response."""
    app.after_request(_after_response)


def resend(mail_id: int, *, actor) -> OutgoingMail | None:
    """Put a failed mail back in the queue as it was (same Message-ID), for a fresh round of attempts; the trail
    keeps who did it and the error it had. None when the mail is not failed (sent, or queued already)."""
    mail = db.session.get(OutgoingMail, mail_id)
    if mail is None or mail.state != "failed":
        return None
    trail.record("mail.resent", actor=actor, obj=mail,
                 details={"template": mail.template, "attempts": mail.attempts, "last_error": mail.last_error})
    mail.state, mail.attempts, mail.next_attempt_at = "queued", 0, utcnow()
    queue_for_delivery(mail)
    return mail
