"""The text an event's hash covers: one definition for writing the chain and for every walk that checks it."""

import json
from datetime import UTC

#: encoders made once: json.dumps with options builds a new encoder on every call
_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
#: a JSON string literal, as json.dumps(ensure_ascii=False) writes it
_string = json.encoder.encode_basestring


def canonical_content(seq, at, actor, subject, action, object_type, object_id, ip, details) -> str:
    """A legacy (unkeyed) event's canonical JSON form, as events were hashed before the MAC."""
    return _canonical({"seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "subject": subject,
                       "action": action, "object": [object_type, object_id], "ip": ip, "details": details or {}})


def keyed_fields(seq, at, actor, subject, action, object_type, object_id, ip, key_id) -> str:
    """A keyed event's fields as a JSON array, what json.dumps would write but built directly (verify's hot path);
    at is the naive UTC time as SQLite stores it: "2026-01-31 09:05:00.000001"."""
    s = _string
    return (f'[{seq},"{at}",{"null" if actor is None else actor},{"null" if subject is None else subject},{s(action)},'
            f'{"null" if object_type is None else s(object_type)},{"null" if object_id is None else s(object_id)},'
            f'{"null" if ip is None else s(ip)},{s(key_id)}]')


def stored_time(moment) -> str:
    """An aware time as the chain writes it: naive UTC, space-separated, with microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
