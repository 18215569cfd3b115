"""The published policy, its versions, their differences, and what I accepted."""

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from sqlalchemy import select

from cabinet.acting import current_subject, subject_required
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.policies import diff, service
from cabinet.policies.models import PolicyAcceptance, PolicyVersion

bp = Blueprint("policies", __name__)


def _version_or_404(label: str) -> PolicyVersion:
    version = service.get_version(label)
    if version is None or version.effective_from > local_today():
        abort(404)
    return version


def _all_versions() -> list[PolicyVersion]:
    return list(db.session.scalars(select(PolicyVersion).where(PolicyVersion.effective_from <= local_today())
                                   .order_by(PolicyVersion.effective_from, PolicyVersion.id)))


@bp.route("/policy")
def current():
    version = service.current_version(local_today())
    if version is None:
        abort(404)
    return _show(version)


@bp.route("/policy/<label>")
def version(label):
    return _show(_version_or_404(label))


def _show(version: PolicyVersion):
    text = version.text(str(get_locale()))
    return render_template("policies/show.html", version=version, text=text,
                           body=service.render_markdown(text.body), versions=_all_versions(),
                           current=service.current_version(local_today()))


@bp.route("/policy/<old>/diff/<new>")
def compare(old, new):
    old_version, new_version = _version_or_404(old), _version_or_404(new)
    locale = str(get_locale())
    rows = diff.compare(old_version.text(locale).body, new_version.text(locale).body)
    return render_template("policies/diff.html", old=old_version, new=new_version, rows=rows,
                           summary=new_version.text(locale).summary)


@bp.route("/cabinet/policies")
@subject_required
def mine():
    subject = current_subject()
    acceptances = db.session.scalars(select(PolicyAcceptance).where(PolicyAcceptance.user_id == subject.id)
                                     .order_by(PolicyAcceptance.accepted_at)).all()
    by_version: dict[int, list[PolicyAcceptance]] = {}
    for acceptance in acceptances:
        by_version.setdefault(acceptance.version_id, []).append(acceptance)
    versions = _all_versions()
    joined = subject.created_at.date()
    in_life = [v for i, v in enumerate(versions)
               if i + 1 == len(versions) or versions[i + 1].effective_from > joined or v.id in by_version]
    previous = {v.id: versions[i - 1] for i, v in enumerate(versions) if i > 0}
    return render_template("policies/mine.html", versions=list(reversed(in_life)), by_version=by_version,
                           previous=previous)
