"""The public check of a printed complaint: number and code in, only the number, dates and status out."""

from flask import Blueprint, flash, render_template

from cabinet.accounts.limits import per_address, seconds_to_wait, wait_text
from cabinet.audit.actor import PUBLIC
from cabinet.complaints import forms, handling, labels, operations, verification, versions
from cabinet.transaction import committed

bp = Blueprint("verify", __name__)
bp.record_once(labels.register)

#: per client address: a person checks a few papers; a guesser of codes gets nowhere at this pace
CHECKS_PER_ADDRESS = "10 per minute;100 per hour"


@bp.route("/verify", methods=["GET", "POST"])
@per_address(CHECKS_PER_ADDRESS)
@committed
def check():
    """Anyone holding a printout may check it; an unknown number and a wrong code get the same answer.

    A check of an existing complaint, right or wrong, goes into the trail: the complainant's access log shows it.
    """
    form, complaint, match = forms.VerifyForm(), None, None
    if form.validate_on_submit():
        complaint = handling.complaint_by_number(form.number.data.strip().upper())
        if complaint is not None:
            match = verification.verify(complaint, versions.ensure(complaint), form.code.data)
            operations.record_read(PUBLIC, complaint, "verified_publicly", matches=match is not None,
                                   version=match.version.number if match and match.version else None)
    checked = form.is_submitted() and not form.errors
    if match is None:
        complaint = None  # nothing of a complaint whose code was not given
    return render_template("verify.html", form=form, checked=checked, match=match, complaint=complaint)


@bp.errorhandler(429)
def too_many_checks(_error):
    """Say how long to wait, on the form as it was filled in."""
    wait = seconds_to_wait()
    flash(wait_text(wait), "error")
    return (render_template("verify.html", form=forms.VerifyForm(), checked=False, match=None, complaint=None),
            429, {"Retry-After": str(wait)})
