"""The published policy, its versions, their differences, and what I accepted."""

from flask import (
    Blueprint,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from cabinet import public_pages
from cabinet.acting import current_actor, current_subject, subject_required
from cabinet.extensions import db
from cabinet.i18n import local_today, local_zone
from cabinet.messages import gettext as _
from cabinet.policies import diff, published, service
from cabinet.policies.models import PolicyAcceptance, PolicyVersion
from cabinet.transaction import committed

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
    versions = published.versions_in_effect(local_today())
    if not versions:
        abort(404)
    return _show(versions[-1], versions)


@bp.route("/policy/<label>")
def version(label):
    versions = published.versions_in_effect(local_today())
    shown = next((v for v in versions if v.label == label), None)
    if shown is None:
        abort(404)
    return _show(shown, versions)


def _show(version: published.VersionLine, versions: tuple[published.VersionLine, ...]):
    """The version's page; to an anonymous visitor the same page for the same versions and language, rendered once,
    and a 304 when the browser has it already (public_pages.public_page)."""
    def render() -> str:
        text = published.text_of(version.id, str(get_locale()))
        return render_template("policies/show.html", version=version, text=text, body=text.body, versions=versions,
                               current=versions[-1])

    return public_pages.public_page((version, versions), render)


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
    joined = subject.created_at.astimezone(local_zone()).date()  # effective dates are local dates
    in_life = [v for i, v in enumerate(versions)
               if i + 1 == len(versions) or versions[i + 1].effective_from > joined or v.id in by_version]
    previous = {v.id: versions[i - 1] for i, v in enumerate(versions) if i > 0}
    return render_template("policies/mine.html", versions=list(reversed(in_life)), by_version=by_version,
                           previous=previous)


@bp.app_context_processor
def _review_notice():
    """On cabinet pages: the version waiting for the subject's review, if any."""
    if not has_request_context() or not request.path.startswith("/cabinet") or not current_user.is_authenticated:
        return {}
    subject = current_subject()
    if not subject.has_role("subject"):
        return {}
    today = local_today()
    in_effect = service.current_version_id(today)
    reviewed = [subject.id, in_effect]
    if in_effect is None or session.get("policy_reviewed") == reviewed:
        return {}  # acknowledged once: no query on every later page of the visit
    version = service.version_to_review(subject, today)
    if version is None:
        session["policy_reviewed"] = reviewed
    return {"review_version": version}


@bp.route("/cabinet/policies/review", methods=["GET", "POST"])
@subject_required
@committed
def review():
    subject = current_subject()
    version = service.current_version(local_today())
    if version is None:
        abort(404)
    if request.method == "POST":
        if not service.accepted(subject, version):
            actor = current_actor()
            service.record_acceptance(version, actor=actor, subject=subject,
                                      method="staff" if actor.id != subject.id else "cabinet", locale=str(get_locale()))
        flash(_("Thank you: your acknowledgement of version %(label)s is recorded.", label=version.label), "success")
        return redirect(url_for("policies.mine"))
    locale = str(get_locale())
    previous = service.last_accepted(subject)
    rows = diff.compare(previous.text(locale).body, version.text(locale).body) \
        if previous is not None and previous.id != version.id else None
    return render_template("policies/review.html", version=version, previous=previous, rows=rows,
                           text=version.text(locale), body=service.render_markdown(version.text(locale).body),
                           already=service.accepted(subject, version))
