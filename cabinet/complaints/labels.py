"""Words for the complaint's statuses, timeline steps and trail actions, as their readers see them."""

from cabinet.audit import labels as audit_labels
from cabinet.messages import lazy_gettext as _l
from cabinet.messages import lazy_pgettext
from cabinet.workdays.deadlines import COMPLAINT_ANSWER

STATUSES = {
    "registered": lazy_pgettext("complaint", "Registered"),
    "under_review": lazy_pgettext("complaint", "Under review"),
    "answered": lazy_pgettext("complaint", "Answered"),
    "withdrawn": lazy_pgettext("complaint", "Withdrawn"),
}

STEPS = {
    "registered": lazy_pgettext("complaint step", "Received and registered"),
    "under_review": lazy_pgettext("complaint step", "Taken under review"),
    "supplement": lazy_pgettext("complaint step", "Supplement added"),
    "answered": lazy_pgettext("complaint step", "Answer given"),
    "withdrawn": lazy_pgettext("complaint step", "Withdrawn by the complainant"),
}

ACTIONS = {
    "complaint.filed": _l("Complaint filed"),
    "complaint.supplemented": _l("Supplement added to a complaint"),
    "complaint.withdrawn": _l("Complaint withdrawn"),
    "complaint.under_review": _l("Complaint taken under review"),
    "complaint.answered": _l("Complaint answered"),
    "complaint.viewed": _l("Complaint viewed by staff"),
    "complaint.printed": _l("Complaint printed as PDF"),
    "complaint.verified": _l("Printed complaint checked for authenticity"),
    "complaint.verified_publicly": _l("Printed complaint checked on the public verification page"),
    "complaint.note_added": _l("Internal note on a complaint added by staff"),
    "complaint.document_downloaded": _l("Complaint attachment downloaded by staff"),
}
audit_labels.register_actions(ACTIONS)


def register(state) -> None:
    """When the blueprint is registered: the templates' helpers."""
    state.app.jinja_env.globals.update(
        complaint_status=lambda s: audit_labels.label(STATUSES, s),
        complaint_step=lambda k: audit_labels.label(STEPS, k),
        complaint_answer_days=COMPLAINT_ANSWER,
    )
