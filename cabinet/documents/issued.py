"""Documents the operator issues: frozen with the decision they record, rendered and signed once per language.

An area registers a kind (what renders its snapshot, what the PDF is called); it freezes a snapshot in the
transaction of the decision (`freeze`), and every download afterwards serves the same signed bytes (`stored`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from cabinet.database import utcnow
from cabinet.documents import lazy
from cabinet.documents.intact import checked
from cabinet.documents.models import IssuedDocument, IssuedRendering
from cabinet.extensions import db


@dataclass(frozen=True)
class Kind:
    """How one kind of issued document becomes a PDF: its title and its pages, from the snapshot alone."""

    title: Callable[[dict], str]
    render: Callable[[dict], bytes]


KINDS: dict[str, Kind] = {}


def register(name: str, *, title: Callable[[dict], str], render: Callable[[dict], bytes]) -> None:
    KINDS[name] = Kind(title, render)


def iso(value: datetime | date | None) -> str | None:
    """Times and days as the snapshots write them."""
    if value is None:
        return None
    return value.isoformat(timespec="microseconds") if isinstance(value, datetime) else value.isoformat()


def canonical(snapshot: dict) -> str:
    """The one text of a snapshot: sorted keys, no spaces, UTF-8 as is; what its SHA-256 covers."""
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load(document: IssuedDocument) -> dict:
    return json.loads(document.snapshot)


def freeze(kind: str, ref_id: int, owner_id: int, snapshot: dict, *, reconstructed: bool = False) -> IssuedDocument:
    """Write the document once, in the caller's transaction (with its next flush: several decisions' documents go in
    one statement)."""
    made_at = utcnow()
    text = canonical({**snapshot, "kind": kind, "made_at": iso(made_at),
                      "reconstructed_at": iso(made_at) if reconstructed else None})
    document = IssuedDocument(kind=kind, ref_id=ref_id, owner_id=owner_id, made_at=made_at, snapshot=text,
                              snapshot_sha256=hashlib.sha256(text.encode()).hexdigest(), reconstructed=reconstructed)
    db.session.add(document)
    return document


def find(kind: str, ref_id: int) -> IssuedDocument | None:
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.kind == kind, IssuedDocument.ref_id == ref_id))


#: a history page's documents, built once (building a statement costs more than running it)
OF_MANY = select(IssuedDocument).where(IssuedDocument.kind == bindparam("kind"),
                                       IssuedDocument.ref_id.in_(bindparam("ref_ids", expanding=True)))


def find_many(kind: str, ref_ids: Iterable[int]) -> dict[int, IssuedDocument]:
    """The documents of many decisions in one query (a history page)."""
    ids = list(ref_ids)
    if not ids:
        return {}
    return {d.ref_id: d for d in db.session.scalars(OF_MANY, {"kind": kind, "ref_ids": ids})}


def ensure(kind: str, ref_id: int, owner_id: int, reconstruct: Callable[[], dict]) -> IssuedDocument:
    """The decision's document; one recorded before documents were frozen gets it made now, marked so.

    Two requests at the same moment: the second one's insert fails on the unique key and it reads the first's.
    """
    found = find(kind, ref_id)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            return freeze(kind, ref_id, owner_id, reconstruct(), reconstructed=True)
    except IntegrityError:
        return find(kind, ref_id)


def stored(document: IssuedDocument, locale: str) -> IssuedRendering:
    """The document's signed PDF in this language: rendered on the first request, the same bytes ever after,
    checked against their stored hash each time they are served (cabinet.documents.intact)."""
    query = select(IssuedRendering).where(IssuedRendering.document_id == document.id,
                                          IssuedRendering.locale == locale)
    found = db.session.scalar(query)
    if found is not None:
        return checked(found, f"issued document {document.id}")
    kind, frozen = KINDS[document.kind], load(document)
    with force_locale(locale):
        data = lazy.seal(kind.render(frozen), title=kind.title(frozen), locale=locale)
    try:
        with db.session.begin_nested():
            found = IssuedRendering(document_id=document.id, locale=locale, pdf=data,
                                    sha256=hashlib.sha256(data).hexdigest())
            db.session.add(found)
        return found
    except IntegrityError:  # rendered by a request at the same moment: serve its bytes, not ours
        return checked(db.session.scalar(query), f"issued document {document.id}")
