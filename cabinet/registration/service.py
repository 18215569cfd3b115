"""Registration (policy 1.6–1.7): the details, the scans, the policy acceptance and a consent per purpose."""

from cabinet.accounts import service
from cabinet.accounts.models import User
from cabinet.audit import trail
from cabinet.audit.actor import Actor
from cabinet.consents import service as consents
from cabinet.documents import storage
from cabinet.mail import send
from cabinet.policies.service import current_version, record_acceptance
from cabinet.profile.service import record_initial_values
from cabinet.security import hash_password


class RegistrationError(ValueError):
    """Registration cannot happen now (no policy published yet)."""


def register(details: dict, password: str, scans: list, optional_consents: set[str], *,
             locale: str, today) -> User | None:
    """Create the subject with everything the policy asks; None when the address is taken.

    A taken address gets the same answer on the page as a new one; its owner is told by mail. The view
    calls this after the response, so its length does not show.
    """
    existing = service.find_by_email(details["email"])
    if existing is not None:
        hash_password(password)  # the same costly work as a new account: a worker stays as busy either way
        send(existing.email, "already_registered", locale=existing.locale, user=existing)
        trail.record("account.registration_attempt", subject=existing, obj=existing)
        return None
    version = current_version(today)
    if version is None:
        raise RegistrationError("no policy version is in effect")
    user = service.create_user(details["email"], password, locale=locale,
                               **{k: v for k, v in details.items() if k != "email"})
    enrol(user, version, scans, optional_consents, locale=locale)
    service.send_confirmation(user)
    return user


def enrol(user: User, version, scans: list, optional_consents: set[str], *, locale: str) -> None:
    """What registration records of a subject whose account was just created: the details as first given, the
    scans, the policy version accepted and a decision per purpose (the demo's and the tests' subjects too)."""
    record_initial_values(user)
    actor = Actor(user)
    for scan in scans:
        storage.store(scan, actor=actor, subject=user, kind="registration")
    record_acceptance(version, actor=actor, subject=user, method="registration", locale=locale)
    consents.first_decisions(user, optional_consents, actor=actor, channel="registration", policy_version=version)
