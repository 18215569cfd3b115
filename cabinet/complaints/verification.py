"""The verification code printed on a complaint's PDF: an HMAC over one document version's snapshot, naming its key.

A code reads `S1-1A2B-3C4D-5E6F-7A8B`: the key id (VERIFICATION_KEYS), then 16 hex digits of
HMAC-SHA256(key, snapshot). Keys rotate: new versions take VERIFICATION_KEY_ID, old codes verify while their
key stays listed. Codes printed before versions existed (16 digits, no key id) still verify the old way.
"""

import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from flask import current_app

from cabinet.complaints.models import Complaint, ComplaintVersion
from cabinet.complaints.timeline import record

CODE_HEX_DIGITS = 16
#: the key id of the development default, derived from SECRET_KEY
DEFAULT_KEY_ID = "S1"
KEY_ID = re.compile(r"[A-Za-z0-9]{1,8}")
_PURPOSE = b"cabinet complaint verification code"


@dataclass
class Match:
    """A code that belongs to the complaint: the version it was printed from, or a pre-version step."""

    version: ComplaintVersion | None = None
    legacy_step: object | None = None


def _derive(secret: str) -> bytes:
    """A key of its own, so the code reveals nothing else signed with the same secret."""
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def configured_keys(config) -> dict[str, str]:
    """Key id (upper case) → secret: VERIFICATION_KEYS, or the development default from SECRET_KEY."""
    keys = config.get("VERIFICATION_KEYS") or {DEFAULT_KEY_ID: config["SECRET_KEY"]}
    return {str(key_id).upper(): str(secret) for key_id, secret in keys.items()}


def check_config(config) -> None:
    """At start-up: every key id short and plain (it is printed), the current one listed."""
    keys = configured_keys(config)
    for key_id, secret in keys.items():
        if not KEY_ID.fullmatch(key_id) or not secret:
            raise RuntimeError(f"VERIFICATION_KEYS: key id {key_id!r} must be 1-8 letters or digits with a secret")
    if current_key_id(config) not in keys:
        raise RuntimeError("VERIFICATION_KEY_ID must name a key of VERIFICATION_KEYS")


def current_key_id(config=None) -> str:
    config = config if config is not None else current_app.config
    return str(config.get("VERIFICATION_KEY_ID") or DEFAULT_KEY_ID).upper()


def _key(key_id: str) -> bytes | None:
    secret = configured_keys(current_app.config).get(key_id.upper())
    return _derive(secret) if secret is not None else None


def _mac(key: bytes, version: ComplaintVersion) -> str:
    return hmac.new(key, version.snapshot.encode(), hashlib.sha256).hexdigest()[:CODE_HEX_DIGITS]


def code(version: ComplaintVersion) -> str:
    """The version's code, grouped for reading aloud; made with its own key while that key is listed."""
    key_id = version.key_id if _key(version.key_id) is not None else current_key_id()
    raw = _mac(_key(key_id), version).upper()
    return "-".join([key_id, *(raw[i:i + 4] for i in range(0, len(raw), 4))])


def normalise(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").lower()


def verify(complaint: Complaint, versions: list[ComplaintVersion], given: str) -> Match | None:
    """The version a printed code was made from, or None when the code does not belong to this complaint."""
    given = normalise(given)
    mac, key_id = given[-CODE_HEX_DIGITS:], given[:-CODE_HEX_DIGITS]
    if len(mac) != CODE_HEX_DIGITS:
        return None
    if not key_id:
        step = _legacy(complaint, mac)
        return Match(legacy_step=step) if step is not None else None
    key = _key(key_id) if KEY_ID.fullmatch(key_id) else None
    if key is None:
        return None
    for version in reversed(versions):
        if hmac.compare_digest(_mac(key, version), mac):
            return Match(version=version)
    return None


# --- codes printed before document versions (over the live rows, with the key derived from SECRET_KEY) -------

def _legacy_code(record, steps) -> str:
    complaint = record.complaint
    content = {
        "number": complaint.number, "complainant": complaint.user_id,
        "received_at": complaint.received_at.isoformat(timespec="microseconds"), "due_on": complaint.due_on.isoformat(),
        "subject": complaint.subject_line, "body": complaint.body, "desired_outcome": complaint.desired_outcome,
        "steps": [{"kind": s.event.kind, "at": s.event.at.isoformat(timespec="microseconds"),
                   "text": s.event.text, "files": [[d.original_name, d.sha256] for d in s.documents]}
                  for s in steps],
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                            .encode()).hexdigest()
    message = "|".join((complaint.number, complaint.received_at.isoformat(timespec="microseconds"), digest))
    key = _derive(current_app.config["SECRET_KEY"])
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:CODE_HEX_DIGITS]


def _legacy(complaint: Complaint, mac: str):
    """The timeline step up to which an old printout matches (a copy printed before later steps still verifies)."""
    live = record(complaint)
    for upto in range(len(live.steps), 0, -1):
        if hmac.compare_digest(_legacy_code(live, live.steps[:upto]), mac):
            return live.steps[upto - 1]
    return None
