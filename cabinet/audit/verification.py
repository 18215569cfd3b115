"""A whole-trail verification asked for in the browser: queued, run by the worker, its finding kept and shown.

`flask audit verify` remains the auditor's tool (it checks a copy of the checkpoints kept off the box); this is
the administrator's: the same walk of every event and every checkpoint in the configured file, with the result
on record (an `AuditVerification` row, and an `audit.verified` event in the trail itself).
"""

import logging
from datetime import timedelta

from sqlalchemy import select, update

from cabinet.audit import checkpoints, trail
from cabinet.audit.labels import register_actions
from cabinet.audit.models import AuditEvent, AuditHead, AuditVerification
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.messages import lazy_gettext as _l
from cabinet.queue import enqueue_on_commit, huey, in_app
from cabinet.transaction import committing

log = logging.getLogger(__name__)

#: a verification not finished this long after it was asked for no longer holds back the next request (its worker
#: may have stopped); one that does finish later still records what it found
PENDING_FOR = timedelta(minutes=15)

#: what broke, as an administrator reads it; the verifier's own words (English) go to the log
REASONS = {
    "changed": _l("An event was changed after it was written: its content does not match its seal."),
    "missing": _l("Events are missing from the middle of the trail, or are out of order."),
    "link": _l("The chain is broken here: an event was removed, inserted or replaced."),
    "rewritten": _l("Events were rewritten: they differ from what a signed checkpoint recorded."),
    "truncated": _l("Events were removed from the end of the trail."),
    "key": _l("An event is sealed with a key this server is not configured with."),
    "checkpoints": _l("The checkpoints file was altered: a signed line was edited, removed or reordered."),
    "error": _l("The verification could not be completed; the server's log says why."),
}

register_actions({
    "audit.verification_requested": _l("Verification of the audit trail asked for by an administrator"),
    "audit.verified": _l("Audit trail verified"),
})


def pending() -> AuditVerification | None:
    """The verification still being waited for, if one was asked for recently."""
    return db.session.scalar(select(AuditVerification)
                             .where(AuditVerification.kind == "asked", AuditVerification.finished_at.is_(None),
                                    AuditVerification.requested_at > utcnow() - PENDING_FOR)
                             .order_by(AuditVerification.id.desc()).limit(1))


def request_verification(*, actor) -> AuditVerification | None:
    """Ask the worker to verify the whole trail; None when a verification asked for recently is not finished."""
    if pending() is not None:
        return None
    verification = AuditVerification(kind="asked", requested_by_id=actor.id, requested_at=utcnow())
    db.session.add(verification)
    trail.record("audit.verification_requested", actor=actor, obj=verification)
    enqueue_on_commit(verify_task, verification.id)
    return verification


def recent(limit: int = 20) -> list[AuditVerification]:
    return list(db.session.scalars(select(AuditVerification).order_by(AuditVerification.id.desc()).limit(limit)))


def chain_end() -> tuple[int, object]:
    """How many events the trail holds and when the last was written (one statement)."""
    found = db.session.execute(select(AuditHead.seq, AuditEvent.occurred_at)
                               .outerjoin(AuditEvent, AuditEvent.seq == AuditHead.seq)
                               .where(AuditHead.id == 1)).one_or_none()
    return (found.seq, found.occurred_at) if found is not None else (0, None)


def run(verification_id: int) -> AuditVerification | None:
    """Verify the whole trail against every checkpoint in the file and record the finding; None when another
    worker took this verification first."""
    with committing():
        taken = db.session.execute(update(AuditVerification)
                                   .where(AuditVerification.id == verification_id,
                                          AuditVerification.started_at.is_(None))
                                   .values(started_at=utcnow())).rowcount
    if not taken:
        return None
    try:
        with committing():
            return _verify_and_record(verification_id)
    except Exception:
        log.exception("audit verification %s could not be completed", verification_id)
        with committing():
            verification = db.session.get(AuditVerification, verification_id)
            verification.finished_at, verification.problem = utcnow(), "error"
            trail.record("audit.verified", obj=verification, details={"kind": verification.kind, "problem": "error"})
        return verification


def _verify_and_record(verification_id: int) -> AuditVerification:
    found, bad = checkpoints.read()
    verdict = trail.verify(anchors=checkpoints.anchors(found))
    verification = db.session.get(AuditVerification, verification_id)
    verification.finished_at = utcnow()
    _fill(verification, verdict, found, bad)
    _put_on_record(verification)
    return verification


def daily() -> AuditVerification | None:
    """Each night, by the worker: the whole trail verified as an administrator's request would be, the finding kept
    (intact or not), so the page always shows when the trail was last found intact."""
    with committing():
        verification = AuditVerification(kind="daily", requested_at=utcnow())
        db.session.add(verification)
        db.session.flush()
        verification_id = verification.id
    return run(verification_id)


def hourly_finding(verdict, found: list, bad) -> AuditVerification | None:
    """The hourly check (the events since the latest checkpoint) found a break: kept for the administrators' page,
    once per break (the same break found again the next hour is not kept again). None when it is known."""
    now = utcnow()
    finding = _fill(AuditVerification(kind="hourly", requested_at=now, started_at=now, finished_at=now),
                    verdict, found, bad)
    if not is_news(finding):
        return None
    db.session.add(finding)
    _put_on_record(finding)
    return finding


def is_news(finding: AuditVerification) -> bool:
    """A break the previous check of the same kind did not find already: administrators are told once per break."""
    if finding.problem is None:
        return False
    earlier = select(AuditVerification).where(AuditVerification.kind == finding.kind,
                                              AuditVerification.finished_at.is_not(None))
    if finding.id is not None:
        earlier = earlier.where(AuditVerification.id < finding.id)
    known = db.session.scalar(earlier.order_by(AuditVerification.id.desc()).limit(1))
    return known is None or (known.problem, known.position) != (finding.problem, finding.position)


def _fill(verification: AuditVerification, verdict, found: list, bad) -> AuditVerification:
    """What the walk found: the first break of the chain, else the first bad line of the checkpoints file, else
    intact (the verifier's own words go to the log)."""
    verification.events, verification.checkpoints, verification.anchored = verdict.checked, len(found), \
        verdict.anchored
    if not verdict.ok:
        log.error("audit trail TAMPERED WITH from position %s: %s", verdict.seq, verdict.problem)
        verification.problem, verification.position = verdict.reason, verdict.seq
    elif bad is not None:
        log.error("audit checkpoints TAMPERED WITH: %s", bad)
        verification.problem, verification.position = "checkpoints", len(found) + 1
    return verification


def _put_on_record(verification: AuditVerification) -> None:
    trail.record("audit.verified", obj=verification,
                 details={"kind": verification.kind, "events": verification.events,
                          "checkpoints": verification.checkpoints, "anchored": verification.anchored,
                          "problem": verification.problem, "position": verification.position})


@huey.task(name="audit.verify")
@in_app
def verify_task(verification_id: int) -> None:
    run(verification_id)
