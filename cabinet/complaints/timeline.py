"""A complaint's timeline as every reader sees it: the steps, who took each, the documents attached at each."""

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from cabinet.accounts.models import User
from cabinet.complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from cabinet.documents.models import Document
from cabinet.extensions import db


@dataclass
class Step:
    """One timeline step with the documents attached at that step and who took it."""

    event: ComplaintEvent
    actor_name: str | None = None
    documents: list[Document] = field(default_factory=list)


@dataclass
class Record:
    """A complaint with its whole timeline: what the pages, the PDF and the export show."""

    complaint: Complaint
    steps: list[Step]

    @property
    def filing(self) -> Step:
        return self.steps[0]

    @property
    def supplements(self) -> list[Step]:
        return [s for s in self.steps if s.event.kind == "supplement"]

    @property
    def answer(self) -> Step | None:
        return next((s for s in self.steps if s.event.kind == "answered"), None)



#: the steps of some complaints with who took each, and the files of some steps: built once (every complaint page)
STEPS = (select(ComplaintEvent, User.given_name, User.surname).outerjoin(User, User.id == ComplaintEvent.actor_id)
         .where(ComplaintEvent.complaint_id.in_(bindparam("ids", expanding=True)))
         .order_by(ComplaintEvent.at, ComplaintEvent.id))
FILES = (select(ComplaintAttachment.event_id, Document).join(Document, Document.id == ComplaintAttachment.document_id)
         .where(ComplaintAttachment.event_id.in_(bindparam("ids", expanding=True))).order_by(Document.id))


def records(complaints: list[Complaint]) -> list[Record]:
    """Every complaint's timeline with actors and documents, in three queries whatever their number."""
    ids = [c.id for c in complaints]
    steps: dict[int, list[Step]] = {i: [] for i in ids}
    by_event = {}
    rows = db.session.execute(STEPS, {"ids": ids}) if ids else []
    for event, given_name, surname in rows:
        step = Step(event, " ".join(p for p in (given_name, surname) if p) or None)
        steps[event.complaint_id].append(step)
        by_event[event.id] = step
    if by_event:
        for event_id, document in db.session.execute(FILES, {"ids": list(by_event)}):
            by_event[event_id].documents.append(document)
    return [Record(c, steps[c.id]) for c in complaints]


def record(complaint: Complaint) -> Record:
    return records([complaint])[0]
