"""Outgoing mail: rendered in the recipient's language, queued with the change that caused it, sent by the worker."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import bindparam, select

from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.mail.delivery import STORED, queue_for_delivery
from cabinet.mail.models import OutgoingMail

__all__ = ["compose", "external_url", "notices", "notices_by", "send", "stored", "OutgoingMail"]


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, built from BASE_URL: never from the request's Host header."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send(to: str, template: str, *, locale: str, regarding: str | None = None, **context) -> EmailMessage:
    """Render templates/mail/<template>.txt and queue it in the current transaction: a rollback unsends it.
    regarding ("complaint:12") names what the notice is about, for the pages that show its state."""
    with force_locale(locale):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    message = compose(to, subject, body, locale)
    mail = OutgoingMail(recipient=to, template=template, message=stored(message), message_id=message["Message-ID"],
                        state="queued", next_attempt_at=utcnow(), regarding=regarding)
    db.session.add(mail)
    queue_for_delivery(mail)
    return message


def stored(message: EmailMessage) -> bytes:
    """The message as the queue keeps and sends it, headers unfolded (see STORED)."""
    return message.as_bytes(policy=STORED)


def compose(to: str, subject: str, body: str, locale: str) -> EmailMessage:
    """A plain-text mail with its subject and language; its bytes are stored() ones."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject.strip()
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="cabinet")
    message.set_content(body.strip() + "\n")
    message["Content-Language"] = locale  # after set_content, which would drop it
    return message


def notices_by(regarding: list[str]) -> dict[str, list[OutgoingMail]]:
    """The mails about each of several things (one page of a list), in one query."""
    found: dict[str, list[OutgoingMail]] = {}
    for mail in db.session.scalars(select(OutgoingMail).where(OutgoingMail.regarding.in_(regarding))
                                   .order_by(OutgoingMail.id)):
        found.setdefault(mail.regarding, []).append(mail)
    return found


#: a complaint's page and the overview ask it: built once
NOTICES = select(OutgoingMail).where(OutgoingMail.regarding == bindparam("regarding")).order_by(OutgoingMail.id)


def notices(regarding: str) -> list[OutgoingMail]:
    """The mails about one thing (a complaint…), oldest first, with their delivery state as it is now."""
    return list(db.session.scalars(NOTICES, {"regarding": regarding}))
