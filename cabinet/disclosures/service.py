"""Recording disclosures; a transfer under 3.5.1 needs the subject's third-party consent at that moment."""

from sqlalchemy import select

from cabinet.audit import labels, trail
from cabinet.consents import service as consents
from cabinet.disclosures.models import Disclosure
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l

labels.register_actions({
    "disclosure.recorded": _l("Your data was disclosed"),
})

BASES = {
    "3.4.1": _l("A state body's reasoned request (clause 3.4.1)"),
    "3.4.2": _l("Another case required by the law of Kazakhstan (clause 3.4.2)"),
    "3.5.1": _l("With your consent to transfer to third parties (clause 3.5.1)"),
    "3.5.2": _l("Needed to provide the service to you (clause 3.5.2)"),
}


class DisclosureError(ValueError):
    """A disclosure that may not be recorded; the message says why."""


def record(subject, *, actor, recipient: str, basis: str, categories: str, disclosed_on, reference: str) -> Disclosure:
    """Record one disclosure; transfers to third parties need consent and stop when processing has stopped."""
    if basis not in BASES:
        raise DisclosureError(_("Choose the legal basis."))
    if basis.startswith("3.5") and consents.processing_stopped(subject):
        raise DisclosureError(_("The subject has withdrawn all consent: transfers to third parties have stopped."))
    if basis == "3.5.1":
        state = consents.current_states(subject)["third_party"]
        if state is None or not state.granted:
            raise DisclosureError(_("The subject has not consented to transfer to third parties (clause 3.5.1)."))
    disclosure = Disclosure(user_id=subject.id, recipient=recipient, basis=basis, categories=categories,
                            disclosed_on=disclosed_on, reference=reference, recorded_by_id=actor.id)
    db.session.add(disclosure)
    db.session.flush()
    trail.record("disclosure.recorded", actor=actor, subject=subject, obj=disclosure,
                 details={"recipient": recipient, "basis": basis})
    return disclosure


def of(subject) -> list[Disclosure]:
    return list(db.session.scalars(select(Disclosure).where(Disclosure.user_id == subject.id)
                                   .order_by(Disclosure.disclosed_on.desc(), Disclosure.id.desc())))
