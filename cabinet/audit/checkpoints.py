"""Signed checkpoints of the chain's head, kept outside the database: a file (shipped off the box), the log, a mail.

A checkpoint is one JSON line: the head's position and MAC, the MAC's key id, the time, the digest of the previous
line (so none can be dropped from the middle unseen), the signer's key fingerprint and an Ed25519 signature
over all of that. A database writer can rewrite the chain, but not the lines already written elsewhere.
"""

import base64
import fcntl
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from cabinet.audit.keys import fingerprint, signing_key, verify_keys

GENESIS = "0" * 64
log = logging.getLogger("cabinet.audit")
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


class CheckpointError(ValueError):
    """The checkpoints file itself was changed: a line edited, dropped, reordered or signed by an unknown key."""

    def __init__(self, message: str, seq: int | None = None):
        super().__init__(message)
        self.seq = seq


@dataclass(frozen=True)
class Checkpoint:
    number: int  # its line in the file, from 1
    seq: int
    mac: str
    key_id: str | None
    at: str

    @property
    def description(self) -> str:
        return f"checkpoint {self.number} of {self.at}"


def _path(path=None) -> Path:
    return Path(path or current_app.config["AUDIT_CHECKPOINT_FILE"])


def line_digest(line: str) -> str:
    return hashlib.sha256(line.strip().encode()).hexdigest()


def signed_line(seq: int, mac: str, key_id: str | None, prev: str) -> str:
    """One checkpoint, signed with the configured key, as the line to append."""
    key = signing_key()
    body = {"seq": seq, "mac": mac, "key_id": key_id, "prev": prev, "signer": fingerprint(key.public_key()),
            "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
    signature = key.sign(_canonical(body).encode())
    return _canonical({**body, "sig": base64.b64encode(signature).decode()})


def read(path=None) -> tuple[list[Checkpoint], CheckpointError | None]:
    """The checkpoints in the file up to the first bad one (signature, link, unknown key), and that one's error."""
    path = _path(path)
    if not path.exists():
        return [], None
    known = verify_keys()
    checkpoints, prev = [], GENESIS
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            checkpoint = _checked(number, line, prev, known)
        except CheckpointError as error:
            return checkpoints, error
        checkpoints.append(checkpoint)
        prev = line_digest(line)
    return checkpoints, None


def _checked(number: int, line: str, prev: str, known: dict) -> Checkpoint:
    try:
        body = json.loads(line)
        signature = base64.b64decode(body.pop("sig"), validate=True)
        seq, mac, key_id, at = int(body["seq"]), str(body["mac"]), body["key_id"], str(body["at"])
        signer, link = body["signer"], body["prev"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CheckpointError(f"checkpoint {number} (line {number}) is not readable") from None
    public = known.get(signer)
    if public is None:
        raise CheckpointError(f"checkpoint {number} (line {number}) is signed by an unknown key {signer!r}: "
                              "neither the signing key nor one of AUDIT_VERIFY_KEYS", seq)
    try:
        public.verify(signature, _canonical(body).encode())
    except InvalidSignature:
        raise CheckpointError(f"checkpoint {number} (line {number}): the signature does not match its content, "
                              "the line was edited", seq) from None
    if link != prev:
        raise CheckpointError(f"checkpoint {number} (line {number}) does not follow the one before it: a "
                              "checkpoint was removed, inserted or reordered", seq)
    return Checkpoint(number, seq, mac, key_id, at)


def anchors(checkpoints: list[Checkpoint]) -> dict:
    """What trail.verify checks: for each anchored position, the MAC it must have and which checkpoint says so."""
    return {c.seq: (c.mac, c.description) for c in checkpoints}


def append(seq: int, mac: str, key_id: str | None, *, path=None, only_if_newer=False) -> str | None:
    """Append a checkpoint under a file lock (workers never fork the checkpoints' chain); log it; return the line.
    With only_if_newer, nothing is written when the last checkpoint already covers this position."""
    path = _path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(descriptor, "r+b") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        last = _last_line(file)
        if only_if_newer and last and json.loads(last).get("seq", -1) >= seq:
            return None
        line = signed_line(seq, mac, key_id, line_digest(last) if last else GENESIS)
        file.write(line.encode() + b"\n")
        file.flush()
    log.info("audit checkpoint %s", line)
    _remember(seq)
    return line


def latest(path=None) -> tuple[int, datetime] | None:
    """The last checkpoint's position and time as the file says (its signature unchecked: a verification checks
    it), read from the end of the file; None when there is none or the line does not parse."""
    try:
        with open(_path(path), "rb") as file:
            last = _last_line(file)
        found = json.loads(last) if last else None
        return (int(found["seq"]), datetime.fromisoformat(found["at"].replace("Z", "+00:00"))) if found else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _last_line(file) -> str | None:
    """The file's last line, read from its end: the cost does not grow with the file."""
    size = file.seek(0, os.SEEK_END)
    chunk = min(size, 8192)
    while True:
        file.seek(size - chunk)
        tail = file.read(chunk).decode("utf-8", errors="replace").rstrip("\n")
        if "\n" in tail or chunk == size:
            return tail.rsplit("\n", 1)[-1] or None
        chunk = min(size, chunk * 4)


# --- automatic checkpoints after a commit --------------------------------------------------------------------------

def _remember(seq: int) -> None:
    current_app.extensions["audit_checkpointed"] = (seq, time.monotonic())


def _due(seq: int) -> bool:
    """Cheap, in memory: is this process's last known checkpoint more than N events or M seconds behind?"""
    config = current_app.config
    every_events, every_seconds = config["AUDIT_CHECKPOINT_EVERY_EVENTS"], config["AUDIT_CHECKPOINT_EVERY_SECONDS"]
    if not every_events and not every_seconds:
        return False
    last = current_app.extensions.get("audit_checkpointed")
    if last is None:
        return True
    last_seq, last_time = last
    return bool((every_events and seq - last_seq >= every_events) or
                (every_seconds and time.monotonic() - last_time >= every_seconds))


def _after_commit(session) -> None:
    """After a commit that recorded events: anchor the head when due. Never fails the request (logged instead)."""
    head = session.info.pop("audit_last", None)
    if head is None or not has_app_context():
        return
    try:
        if _due(head[0]):
            if append(*head, only_if_newer=True) is None:
                _remember(head[0])  # another worker's checkpoint is as recent
    except Exception:
        log.exception("could not write the audit checkpoint to %s", current_app.config.get("AUDIT_CHECKPOINT_FILE"))
        _remember(head[0])  # try again after the next interval, not on every request


def _after_rollback(session) -> None:
    session.info.pop("audit_last", None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
