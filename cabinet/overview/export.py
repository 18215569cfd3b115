"""Everything the operator holds about a subject, as one JSON document (law art. 24)."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from cabinet.accounts.models import User
from cabinet.audit import wording
from cabinet.audit.models import AuditEvent
from cabinet.complaints import service as complaints
from cabinet.consents import service as consents
from cabinet.consents.models import Withdrawal
from cabinet.consents.purposes import PURPOSES
from cabinet.disclosures import service as disclosures
from cabinet.documents import issued
from cabinet.documents.models import Document, IssuedDocument, UploadDraft
from cabinet.extensions import db
from cabinet.policies.models import PolicyAcceptance
from cabinet.profile import service as profile
from cabinet.profile.models import FIELDS


def _iso(value):
    return value.isoformat() if value is not None else None


def _act(change) -> dict | None:
    """The acting session a change was made in: who, in what role, why, on which of the subject's documents."""
    act = change.acting
    if act is None:
        return None
    document = act.basis_document
    return {"act": act.id, "staff": wording.full_name(change.actor), "staff_role": act.staff_role,
            "reason": act.reason,
            "basis_document": {"id": document.id, "name": document.original_name, "sha256": document.sha256}
            if document is not None else None}


def documents_of(subject) -> list[Document]:
    """The subject's uploaded scans, oldest first."""
    return list(db.session.scalars(select(Document).where(Document.owner_id == subject.id).order_by(Document.id)))


def collect(subject, documents: list[Document] | None = None) -> dict:
    """The export's content; keys are part of the public contract. `documents`: documents_of(subject), when the
    caller needs the rows too (the archive copies their files)."""
    documents = documents_of(subject) if documents is None else documents
    acceptances = db.session.scalars(select(PolicyAcceptance).where(PolicyAcceptance.user_id == subject.id)
                                     .order_by(PolicyAcceptance.id))
    actor = aliased(User)
    events = db.session.execute(select(AuditEvent, actor.given_name, actor.surname)
                                .outerjoin(actor, actor.id == AuditEvent.actor_id)
                                .where(AuditEvent.subject_id == subject.id).order_by(AuditEvent.seq)).all()
    words = wording.EventWords([e for e, *_names in events], subject, documents={d.id: d for d in documents})
    history = consents.history(subject)
    issued_documents = list(db.session.scalars(select(IssuedDocument).where(IssuedDocument.owner_id == subject.id)
                                               .order_by(IssuedDocument.id)))
    receipts = {d.ref_id: issued.load(d) for d in issued_documents if d.kind == "consent_receipt"}
    states = {event.purpose: event for event in history}
    withdrawals = db.session.scalars(select(Withdrawal).where(Withdrawal.user_id == subject.id)
                                     .order_by(Withdrawal.id))
    return {
        "profile": {
            **{field: getattr(subject, field) for field in FIELDS},
            "locale": subject.locale,
            "registered_at": _iso(subject.created_at),
            "email_confirmed_at": _iso(subject.email_confirmed_at),
            "pending_email": subject.pending_email,
            "last_login_at": _iso(subject.last_login_at),
            "previous_login_at": _iso(subject.previous_login_at),
        },
        "profile_history": [
            {"field": c.field, "old_value": c.old_value, "new_value": c.new_value, "changed_at": _iso(c.changed_at),
             "actor_id": c.actor_id, "basis": c.basis, "who": wording.for_change(c, subject),
             "on_behalf": _act(c)} for c in reversed(profile.history(subject))
        ],
        "documents": [
            {"id": d.id, "kind": d.kind, "name": d.original_name, "content_type": d.content_type, "size": d.size,
             "sha256": d.sha256, "uploaded_at": _iso(d.uploaded_at)} for d in documents
        ],
        "upload_drafts": [  # files kept on the complaint form's preview, deleted after a day unless filed
            {"name": d.original_name, "content_type": d.content_type, "size": d.size, "sha256": d.sha256,
             "kept_at": _iso(d.created_at)}
            for d in db.session.scalars(select(UploadDraft).where(UploadDraft.owner_id == subject.id,
                                                                  UploadDraft.purpose == "complaint")
                                        .order_by(UploadDraft.id))
        ],
        "consents": {
            "current": {p.code: {"granted": bool(e and e.granted), "since": _iso(e.at) if e else None}
                        for p in PURPOSES for e in [states.get(p.code)]},
            "history": [
                {"purpose": e.purpose, "action": e.action, "at": _iso(e.at), "actor_id": e.actor_id,
                 "channel": e.channel, "policy_version": e.policy_version.label if e.policy_version else None,
                 "who": wording.for_subject(receipts[e.id]["by"]) if e.id in receipts else None}
                for e in history
            ],
            "withdrawals": [
                {"requested_at": _iso(w.requested_at), "status": w.status, "due_on": _iso(w.due_on),
                 "reasons": w.reasons, "completed_at": _iso(w.completed_at), "kept": w.kept} for w in withdrawals
            ],
        },
        "policy_acceptances": [
            {"version": a.version.label, "accepted_at": _iso(a.accepted_at), "method": a.method,
             "locale": a.locale, "ip": a.ip, "user_agent": a.user_agent} for a in acceptances
        ],
        "complaints": complaints.export(subject),
        "corrections": [
            {"id": r.id, "changes": r.changes, "reason": r.reason, "status": r.status,
             "created_at": _iso(r.created_at), "due_on": _iso(r.due_on), "decided_at": _iso(r.decided_at),
             "decision_reason": r.decision_reason} for r in profile.corrections(subject)
        ],
        "issued_documents": [
            {"kind": d.kind, "made_at": _iso(d.made_at), "reconstructed": d.reconstructed,
             "sha256": d.snapshot_sha256, "content": issued.load(d)} for d in issued_documents
        ],
        "access_log": [
            {"at": _iso(e.occurred_at), "action": e.action, "actor_id": e.actor_id, "ip": e.ip,
             "object": [e.object_type, e.object_id], "details": e.details,
             "who": words.who(e, f"{given} {surname}".strip() if surname else None)}
            for e, given, surname in events
        ],
        "disclosures": [
            {"recipient": d.recipient, "basis": d.basis, "categories": d.categories,
             "disclosed_on": _iso(d.disclosed_on), "reference": d.reference, "recorded_at": _iso(d.recorded_at)}
            for d in reversed(disclosures.of(subject))
        ],
    }
