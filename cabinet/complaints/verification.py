"""The verification code printed on a complaint's PDF: an HMAC over its content, checkable by staff only."""

import hashlib
import hmac
import json
import re

from flask import current_app

from cabinet.complaints.service import Record, Step

CODE_HEX_DIGITS = 16


def _key() -> bytes:
    """A key of its own, derived from the secret key, so the code reveals nothing else signed with it."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"cabinet complaint verification code", hashlib.sha256).digest()


def content_digest(record: Record, steps: list[Step]) -> str:
    """SHA-256 of a canonical form of the complaint as printed: its text, files and timeline so far."""
    complaint = record.complaint
    content = {
        "number": complaint.number,
        "complainant": complaint.user_id,
        "received_at": complaint.received_at.isoformat(timespec="microseconds"),
        "due_on": complaint.due_on.isoformat(),
        "subject": complaint.subject_line,
        "body": complaint.body,
        "desired_outcome": complaint.desired_outcome,
        "steps": [{"kind": s.event.kind, "at": s.event.at.isoformat(timespec="microseconds"),
                   "text": s.event.text, "files": [[d.original_name, d.sha256] for d in s.documents]}
                  for s in steps],
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _code(record: Record, steps: list[Step]) -> str:
    complaint = record.complaint
    message = "|".join((complaint.number, complaint.received_at.isoformat(timespec="microseconds"),
                        content_digest(record, steps)))
    return hmac.new(_key(), message.encode(), hashlib.sha256).hexdigest()[:CODE_HEX_DIGITS]


def code(record: Record) -> str:
    """The code of the complaint as it stands now, grouped for reading aloud: 1A2B-3C4D-5E6F-7A8B."""
    raw = _code(record, record.steps).upper()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normalise(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").lower()


def verify(record: Record, given: str) -> Step | None:
    """The timeline step up to which a printed copy matches (a copy printed before later steps still
    verifies as of then), or None when the code does not belong to this complaint."""
    given = normalise(given)
    if len(given) != CODE_HEX_DIGITS:
        return None
    for upto in range(len(record.steps), 0, -1):
        if hmac.compare_digest(_code(record, record.steps[:upto]), given):
            return record.steps[upto - 1]
    return None
