"""Outgoing mail: SMTP when configured, otherwise .eml files in the outbox; always in the recipient's language."""

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail, built from BASE_URL: never from the request's Host header."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send(to: str, template: str, *, locale: str, **context) -> EmailMessage:
    """Render templates/mail/<template>.txt in the recipient's language and deliver it."""
    with force_locale(locale):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject.strip()
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="cabinet")
    message.set_content(body.strip() + "\n")
    message["Content-Language"] = locale  # after set_content, which would drop it
    deliver(message)
    return message


def deliver(message: EmailMessage) -> None:
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
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25)) as smtp:
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)
