"""Words for the trail's actions and the history's bases, as a subject reads them."""

from babel.dates import get_month_names
from flask_babel import get_locale

from cabinet.audit import wording
from cabinet.messages import decimal, gettext, lazy_pgettext
from cabinet.messages import lazy_gettext as _l

#: what each trail action is called, as a subject reads it; each area registers the words of its own actions
ACTIONS = {}


def register_actions(words: dict) -> None:
    """An area names its trail actions (at import, beside the code that records them)."""
    ACTIONS.update(words)


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
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=decimal(max(size / 1024, 0.1), "#,##0.#"))
    return gettext("%(size)s MB", size=decimal(size / 1024 / 1024, "#,##0.#"))


def month_name(month: int) -> str:
    """A month's name, standing alone, in the reader's language."""
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
                                 month_name=month_name,
                                 deadline_kind=lambda k: label(DEADLINES, k), decided_by=wording.for_subject)

