"""Telling every subject about a new version, in batches, so publishing stays fast at any size."""

from sqlalchemy import exists, select

from cabinet.accounts.models import User, UserRole
from cabinet.audit import trail
from cabinet.extensions import db
from cabinet.mail import external_url, send
from cabinet.policies.models import PolicyAcceptance, PolicyNotice, PolicyVersion


def pending_batch(version: PolicyVersion, size: int) -> list[User]:
    """Subjects who neither accepted nor were told about this version yet, oldest accounts first."""
    return list(db.session.scalars(
        select(User)
        .where(exists().where(UserRole.user_id == User.id, UserRole.role == "subject"))
        .where(~exists().where(PolicyAcceptance.user_id == User.id, PolicyAcceptance.version_id == version.id))
        .where(~exists().where(PolicyNotice.user_id == User.id, PolicyNotice.version_id == version.id))
        .order_by(User.id).limit(size)
    ))


def notify_batch(version: PolicyVersion, size: int = 500) -> int:
    """Mail the next `size` pending subjects in their language, each noted as told, and record the batch; returns
    how many (0: everyone is told). The command commits each batch, so a stopped run resumes where it was."""
    link = external_url("policies.review")
    batch = pending_batch(version, size)
    for user in batch:
        send(user.email, "policy_changed", locale=user.locale, user=user, version=version,
             summary=version.text(user.locale).summary, link=link)
        db.session.add(PolicyNotice(user_id=user.id, version_id=version.id))
    if batch:
        trail.record("policy.notified", obj=version, details={"version": version.label, "subjects": len(batch)})
    return len(batch)
