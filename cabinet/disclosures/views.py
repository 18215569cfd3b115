"""The subject's view of the disclosures register."""

from flask import Blueprint, render_template

from cabinet.acting import current_subject, subject_required
from cabinet.disclosures import service

bp = Blueprint("disclosures", __name__, url_prefix="/cabinet")


@bp.route("/disclosures")
@subject_required
def index():
    return render_template("disclosures/index.html", disclosures=service.of(current_subject()), bases=service.BASES)
