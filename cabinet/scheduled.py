"""Work the worker does on its own (no cron): withdrawals whose day has come, deadline reminders to staff, stale
uploads, audit checkpoints.

Each runs as the same named job as its command (`consents destroy-due`, `documents sweep`), so the trail
reads alike whoever started it, and once per period however many workers there are (`once_per`).
"""

import logging
from datetime import timedelta

from flask import current_app
from huey import crontab

from cabinet import i18n
from cabinet.accounts.service import holders
from cabinet.audit import checkpoints, verification, who
from cabinet.audit.trail import verify
from cabinet.consents import withdrawal
from cabinet.documents import drafts
from cabinet.documents.storage import sweep
from cabinet.mail import external_url, send
from cabinet.queue import huey, in_app, once_per
from cabinet.staff.reminders import remind
from cabinet.transaction import committing

log = logging.getLogger(__name__)


def carry_out_withdrawals(today) -> int:
    """Destroy the data of each withdrawal whose day has come, each in its own transaction: those done stay done
    if a later one fails. Run as the `consents destroy-due` job, by the worker or the command."""
    due = withdrawal.due(today)
    for item in due:
        with committing():
            withdrawal.destroy(item)
    return len(due)

#: upload files younger than this may belong to an upload still in progress
UPLOAD_MIN_AGE = timedelta(minutes=60)


@huey.periodic_task(crontab(minute="*/15"), name="consents.destroy_due")
@in_app
@once_per(timedelta(minutes=12))
def withdrawals_due() -> int:
    """Every quarter of an hour: carry out the withdrawals whose 15 working days have come."""
    with who.job("consents destroy-due"):
        done = carry_out_withdrawals(i18n.local_today())
    if done:
        log.info("%s withdrawals carried out", done)
    return done


@huey.periodic_task(crontab(minute="0"), name="deadlines.remind")
@in_app
@once_per(timedelta(minutes=50))
def deadline_reminders() -> dict[str, int]:
    """Hourly; the first run of the operator's day mails support what falls due soon and the admins what is
    overdue, and later runs find the day's reminders made (one a day per audience)."""
    with who.job("deadlines remind"), committing():
        mailed = remind(i18n.local_today())
    return mailed


@huey.periodic_task(crontab(minute="37", hour="*/6"), name="documents.sweep")
@in_app
@once_per(timedelta(hours=5))
def sweep_uploads() -> int:
    """Every six hours: delete the files kept on a preview a day ago that no form took, and upload files no document
    or draft names (left by a process killed mid-upload)."""
    with who.job("documents sweep"), committing():  # the sweep's trail events; the drafts' files go once it commits
        removed = sweep(UPLOAD_MIN_AGE)  # first: a draft's file is known until the draft is gone
        expired = drafts.expire(drafts.MAX_AGE)
    if removed or expired:
        log.info("%s orphaned upload files and %s unsent drafts removed", len(removed), expired)
    return len(removed) + expired


@huey.periodic_task(crontab(minute="5"), name="audit.checkpoint")
@in_app
@once_per(timedelta(minutes=50))
def audit_checkpoint() -> int | None:
    """Hourly, as `flask audit checkpoint` from cron did: verify the events since the latest checkpoint, sign the
    head into the checkpoints file and mail it to the auditor; nothing when no event came since. On tampering
    nothing is signed, the break is kept for the administrators' audit page and mailed to them and to the auditor
    (once per break), and the verifier's words are logged (`flask audit verify` tells more)."""
    found, bad = checkpoints.read()
    after = (found[-1].seq, found[-1].mac, found[-1].key_id) if found else None
    verdict = verify(anchors=checkpoints.anchors(found[-1:]), after=after)
    if bad is not None or not verdict.ok:
        with who.job("audit checkpoint"), committing():
            finding = verification.hourly_finding(verdict, found, bad)
            if finding is not None:
                alert(finding)
        log.error("no audit checkpoint taken: the trail or its checkpoints were altered")
        return None
    if not verdict.checked:
        return None
    line = checkpoints.append(*verdict.head, only_if_newer=True)
    recipient = current_app.config.get("AUDIT_MAIL_TO")
    if line and recipient:
        with committing():  # the mail goes to the queue on this commit
            send(recipient, "audit_checkpoint", locale=current_app.config["AUDIT_MAIL_LOCALE"],
                 seq=verdict.head[0], line=line)
    return verdict.head[0] if line else None


@huey.periodic_task(crontab(hour="21", minute="35"), name="audit.verify_daily")
@in_app
@once_per(timedelta(hours=20))
def audit_verify_daily() -> int | None:
    """Each night (02:35 in Astana): the whole trail verified, as the hourly check cannot (it walks only the events
    since the latest checkpoint); its finding kept for the administrators' page, a new break mailed to them."""
    with who.job("audit verify"):
        finding = verification.daily()
        if finding is not None and verification.is_news(finding):
            with committing():
                alert(finding)
    return finding.id if finding is not None else None


def alert(finding) -> int:
    """Mail a break the hourly check found to every administrator (in their language) and to the auditor."""
    auditor = current_app.config.get("AUDIT_MAIL_TO")
    recipients = [(admin.email, admin.locale) for admin in holders("admin")]
    recipients += [(auditor, current_app.config["AUDIT_MAIL_LOCALE"])] if auditor else []
    for email, locale in recipients:
        send(email, "audit_broken", locale=locale, finding=finding, reasons=verification.REASONS,
             link=external_url("admin_audit.index"))
    return len(recipients)

