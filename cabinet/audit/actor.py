"""Who does a step, passed explicitly to the operations instead of read from the request."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person acting (None: the public or a scheduled job) and, while staff act on a subject's behalf in the
    subject's cabinet, that acting session: what the trail records with every event about its subject."""

    user: object | None
    act: object | None = None

    @property
    def id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def for_subject(self):
        """Whose data the step is about: the subject acted for, or the person themselves."""
        return self.act.subject if self.act is not None else self.user

    @property
    def basis(self):
        """The document the acting session rests on (a power of attorney), if staff act on a subject's behalf."""
        return self.act.basis_document_id if self.act is not None else None

    def on_behalf_of(self, subject) -> dict:
        """The acting session's details for an event about its subject; nothing for any other event."""
        act = self.act
        if act is None or getattr(subject, "id", subject) != act.subject_id:
            return {}
        return {"on_behalf": {"act": act.id, "reason": act.reason, "basis_document": act.basis_document_id,
                              "staff_role": act.staff_role}}


PUBLIC = Actor(None)
