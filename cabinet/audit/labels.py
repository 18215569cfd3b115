"""Words for the trail's actions and the history's bases, as a subject reads them."""

from cabinet.audit import wording
from cabinet.messages import lazy_gettext as _l
from cabinet.messages import lazy_pgettext

ACTIONS = {
    "mail.resent": _l("Undelivered mail queued again by an administrator"),
    "account.created": _l("Account created"),
    "account.signed_in": _l("Signed in"),
    "account.sign_in_failed": _l("Failed sign-in attempt"),
    "account.signed_out": _l("Signed out"),
    "account.sessions_ended": _l("Signed out on every device by an administrator"),
    "account.email_confirmed": _l("E-mail address confirmed"),
    "account.reset_requested": _l("Password reset requested"),
    "account.password_reset": _l("Password changed with a reset link"),
    "account.password_changed": _l("Password changed"),
    "account.locale_changed": _l("Language changed"),
    "account.roles_changed": _l("Roles changed"),
    "account.registration_attempt": _l("Someone tried to register with your e-mail address"),
    "profile.surname_changed": _l("Surname changed"),
    "profile.given_name_changed": _l("Given name changed"),
    "profile.patronymic_changed": _l("Patronymic changed"),
    "profile.email_changed": _l("E-mail address changed"),
    "profile.phone_changed": _l("Phone number changed"),
    "profile.email_change_requested": _l("E-mail change requested"),
    "profile.correction_requested": _l("Name correction requested"),
    "document.uploaded": _l("Document uploaded"),
    "document.downloaded": _l("Document downloaded"),
    "document.draft_kept": _l("File attached to a form not yet sent"),
    "document.draft_removed": _l("File removed from a form not yet sent"),
    "document.draft_expired": _l("File of a form not sent within a day deleted"),
    "export.downloaded": _l("All data downloaded"),
    "policy.accepted": _l("Privacy policy accepted"),
    "consent.grant": _l("Consent granted"),
    "consent.decline": _l("Consent not given"),
    "consent.withdraw": _l("Consent withdrawn"),
    "consent.withdraw_all": _l("All consent withdrawn"),
    "consent.receipt_downloaded": _l("Consent receipt downloaded"),
    "deadlines.reminded": _l("Deadline reminder mailed to staff"),
    "consent.withdraw_all_refused": _l("Withdrawal of all consent refused"),
    "account.destroyed": _l("Personal data destroyed"),
    "profile.correction_approved": _l("Name correction approved"),
    "profile.correction_rejected": _l("Name correction rejected"),
    "profile.decision_downloaded": _l("Correction decision downloaded"),
    "staff.subject_viewed": _l("Staff opened your record"),
    "staff.acting_started": _l("Staff started acting on your behalf"),
    "staff.acting_stopped": _l("Staff stopped acting on your behalf"),
    "staff.acting_expired": _l("The time of staff acting on your behalf ran out"),
    "staff.decision_refused": _l("A staff member acting on your behalf was stopped from deciding on your request"),
    "disclosure.recorded": _l("Your data was disclosed"),
    "calendar.override_set": _l("Calendar day changed"),
    "calendar.override_removed": _l("Calendar override removed"),
    "translation.changed": _l("Translation changed"),
    "translator.languages_changed": _l("Translator's languages changed"),
}

DEADLINES = {
    "correction": _l("Name correction"),
    "withdrawal": _l("Withdrawal of all consent"),
    "complaint": _l("Complaint"),
}

FIELDS = {
    "surname": _l("Surname"),
    "given_name": _l("Given name"),
    "patronymic": _l("Patronymic"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
}

BASES = {
    "registration": lazy_pgettext("basis", "Given at registration"),
    "self": lazy_pgettext("basis", "Corrected by you"),
    "acting": lazy_pgettext("basis", "Staff acting on your behalf, on a basis document"),
    "email_confirmation": lazy_pgettext("basis", "Confirmed from the new address"),
    "correction": lazy_pgettext("basis", "Approved name correction"),
    "cabinet": lazy_pgettext("channel", "In the cabinet"),
    "staff": lazy_pgettext("channel", "Recorded by staff"),
}

STATUSES = {
    "pending": lazy_pgettext("correction", "Under review"),
    "approved": lazy_pgettext("correction", "Approved"),
    "rejected": lazy_pgettext("correction", "Rejected"),
}


METHODS = {
    "registration": lazy_pgettext("method", "at registration"),
    "cabinet": lazy_pgettext("method", "in the cabinet"),
    "staff": lazy_pgettext("method", "recorded by staff from a paper form"),
}

LANGUAGES = {"kk": _l("Kazakh"), "ru": _l("Russian")}

KINDS = {
    "registration": lazy_pgettext("document", "Registration"),
    "correction": lazy_pgettext("document", "Name correction"),
    "basis": lazy_pgettext("document", "Basis for acting on your behalf"),
    "complaint": lazy_pgettext("document", "Complaint"),
}


def filesize(size: int) -> str:
    """A file size in the reader's number format."""
    from flask_babel import format_decimal

    from cabinet.messages import gettext

    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=format_decimal(max(size / 1024, 0.1), "#,##0.#"))
    return gettext("%(size)s MB", size=format_decimal(size / 1024 / 1024, "#,##0.#"))


def month_name(month: int) -> str:
    """A month's name, standing alone, in the reader's language."""
    from babel.dates import get_month_names
    from flask_babel import get_locale

    return get_month_names("wide", context="stand-alone", locale=get_locale())[month]


def label(table: dict, key: str):
    """The words for a key; an unknown key shows as itself rather than failing the page."""
    return table.get(key, key)


def init_app(app):
    app.jinja_env.globals.update(action_label=lambda a: label(ACTIONS, a), field_label=lambda f: label(FIELDS, f),
                                 basis_label=lambda b: label(BASES, b), status_label=lambda s: label(STATUSES, s),
                                 document_kind=lambda k: label(KINDS, k), filesize=filesize,
                                 acceptance_method=lambda m: label(METHODS, m),
                                 language_name=lambda code: label(LANGUAGES, code),
                                 purpose_title=_purpose_title, month_name=month_name,
                                 deadline_kind=lambda k: label(DEADLINES, k), decided_by=wording.for_subject)


def _purpose_title(code: str):
    from cabinet.consents.purposes import BY_CODE

    return BY_CODE[code].title if code in BY_CODE else code
