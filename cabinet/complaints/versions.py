"""A complaint's numbered document versions: a canonical snapshot of all its document shows, frozen when made.

Version 1 is made in the filing's transaction; a supplement, the answer or a withdrawal each makes the next
version (the previous snapshot plus the steps since), so later changes to the complainant's account never reach
a version. Complaints filed before snapshots existed get a version 1 made from the data as it then stands,
marked reconstructed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import bindparam, select, update

from cabinet import operator as operators
from cabinet.complaints import timeline
from cabinet.complaints.models import Complaint, ComplaintEvent, ComplaintVersion
from cabinet.complaints.numbering import local_day
from cabinet.complaints.verification import current_key_id
from cabinet.database import utcnow
from cabinet.extensions import db
from cabinet.policies.service import current_version
from cabinet.workdays.deadlines import COMPLAINT_ANSWER
from cabinet.workdays.service import calendar

#: the snapshot's layout; a reader of old versions branches on it
SCHEMA = 1
#: the steps that add something to the document and so make a new version (a review only changes the status)
VERSIONED_STEPS = ("supplement", "answered", "withdrawn")


def canonical(snapshot: dict) -> str:
    """The one text of a snapshot: sorted keys, no spaces, UTF-8 as is; what the code's HMAC covers."""
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load(version: ComplaintVersion) -> dict:
    return json.loads(version.snapshot)


def _iso(value: datetime | date) -> str:
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value.isoformat()


def _step(step: timeline.Step, complainant_id: int) -> dict:
    event = step.event
    return {"kind": event.kind, "at": _iso(event.at), "text": event.text,
            "by_complainant": event.actor_id == complainant_id, "actor": step.actor_name,
            "attachments": [{"id": d.id, "name": d.original_name, "size": d.size, "sha256": d.sha256,
                             "type": d.content_type} for d in step.documents]}


def _policy(day: date) -> dict | None:
    version = current_version(day)
    return {"label": version.label, "effective_from": _iso(version.effective_from)} if version else None


def _filing(live: timeline.Record, *, reconstructed: bool) -> dict:
    """What the filing's document shows, from the rows and the account as they are at this moment."""
    complaint, person = live.complaint, live.complaint.complainant
    received_day = local_day(complaint.received_at)
    return {
        "schema": SCHEMA, "number": complaint.number,
        "reconstructed_at": _iso(utcnow()) if reconstructed else None,
        "operator": operators.frozen(),
        "complainant": {"surname": person.surname, "given_name": person.given_name,
                        "patronymic": person.patronymic, "email": person.email, "phone": person.phone,
                        "locale": person.locale},
        "received_at": _iso(complaint.received_at), "due_on": _iso(complaint.due_on),
        "answer_working_days": COMPLAINT_ANSWER,
        "calendar": calendar().identity(received_day, complaint.due_on),
        "policy_version": _policy(received_day),
        "subject": complaint.subject_line, "body": complaint.body, "desired_outcome": complaint.desired_outcome,
    }


def _status_after(steps: list[dict]) -> str:
    """The status the timeline had reached: that of its last step that changes it (a supplement does not)."""
    kinds = [s["kind"] for s in steps if s["kind"] != "supplement"]
    return kinds[-1] if kinds else "registered"


def _add(complaint: Complaint, number: int, snapshot: dict, event_id: int | None,
         reconstructed: bool = False) -> ComplaintVersion:
    made_at = utcnow()
    snapshot = {**snapshot, "version": number, "made_at": _iso(made_at), "status": _status_after(snapshot["steps"])}
    text = canonical(snapshot)
    version = ComplaintVersion(complaint_id=complaint.id, number=number, made_at=made_at, event_id=event_id,
                               snapshot=text, snapshot_sha256=hashlib.sha256(text.encode()).hexdigest(),
                               key_id=current_key_id(), reconstructed=reconstructed)
    db.session.add(version)
    db.session.flush()
    return version


def freeze_filing(complaint: Complaint) -> ComplaintVersion:
    """Version 1, in the filing's transaction: everything the document shows, as it is at filing."""
    live = timeline.record(complaint)
    snapshot = {**_filing(live, reconstructed=False), "steps": [_step(s, complaint.user_id) for s in live.steps]}
    return _add(complaint, 1, snapshot, live.filing.event.id)


#: on every complaint page (both sides): built once
VERSIONS_OF = (select(ComplaintVersion).where(ComplaintVersion.complaint_id == bindparam("complaint_id"))
               .order_by(ComplaintVersion.number))


def versions_of(complaint: Complaint) -> list[ComplaintVersion]:
    return list(db.session.scalars(VERSIONS_OF, {"complaint_id": complaint.id}))


def get(complaint: Complaint, number: int) -> ComplaintVersion | None:
    return db.session.scalar(select(ComplaintVersion).where(ComplaintVersion.complaint_id == complaint.id,
                                                            ComplaintVersion.number == number))


def lock(complaint_id: int) -> None:
    """Take the complaint's row lock (a write that changes nothing), so a check-then-write runs one at a time.

    A write, not SELECT … FOR UPDATE: on SQLite it is what makes a page's read transaction take the write lock.
    """
    db.session.execute(update(Complaint).where(Complaint.id == complaint_id).values(id=Complaint.id)
                       .execution_options(synchronize_session=False))


def ensure(complaint: Complaint) -> list[ComplaintVersion]:
    """The complaint's versions; one filed before snapshots existed gets version 1 reconstructed from now's data
    (written once: a request at the same moment waits for the lock and finds it made)."""
    found = versions_of(complaint)
    if found:
        return found
    lock(complaint.id)
    found = versions_of(complaint)
    if found:
        return found
    live = timeline.record(complaint)
    snapshot = {**_filing(live, reconstructed=True), "steps": [_step(s, complaint.user_id) for s in live.steps]}
    _add(complaint, 1, snapshot, live.steps[-1].event.id if live.steps else None, reconstructed=True)
    return versions_of(complaint)


def add_version(complaint: Complaint, event: ComplaintEvent) -> ComplaintVersion:
    """The next version after `event` was added: the previous snapshot as frozen, plus the steps since it.

    The caller holds the complaint's row lock (service.claim) and called `ensure` before appending the event.
    """
    previous = versions_of(complaint)[-1]
    frozen = load(previous)
    live = timeline.record(complaint)
    since = [_step(s, complaint.user_id) for s in live.steps[len(frozen["steps"]):]]
    if not since or since[-1]["kind"] != event.kind:
        raise RuntimeError("the new step is not the complaint's last")  # a bug, never a user's doing
    snapshot = {**frozen, "steps": [*frozen["steps"], *since]}
    return _add(complaint, previous.number + 1, snapshot, event.id)
