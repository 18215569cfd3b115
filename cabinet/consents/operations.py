"""What a subject takes of their consents that the rules say must be recorded: each taking the Actor, writing in the
caller's transaction and never committing (the view commits at the edge)."""

from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.consents import receipts
from cabinet.consents.models import ConsentEvent
from cabinet.documents import issued


def receipt_pdf(actor: Actor, event: ConsentEvent, locale: str) -> tuple[bytes, str]:
    """The receipt of one consent decision as the operator signed it (the same bytes on every download), with its
    file name; the download goes into the trail."""
    document = receipts.receipt(event)
    rendering = issued.stored(document, locale)
    trail.record("consent.receipt_downloaded", actor=actor, subject=event.user_id, obj=event,
                 details={"purpose": event.purpose})
    return rendering.pdf, f"{receipts.number(issued.load(document))}.pdf"
