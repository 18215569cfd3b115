"""Administrators publish policy versions (clauses 5.4–5.5) and manage who holds which role."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from cabinet.accounts.models import User
from cabinet.accounts.service import end_sessions, set_roles
from cabinet.acting import current_actor, role_required
from cabinet.admin import calendar as calendar_effects
from cabinet.admin.forms import DayOverrideForm, PublishPolicyForm, RolesForm
from cabinet.database import MAX_ID
from cabinet.extensions import db
from cabinet.i18n import local_today
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l
from cabinet.policies import diff, service
from cabinet.policies.models import PolicyVersion
from cabinet.transaction import attempt, committed
from cabinet.workdays import deadlines
from cabinet.workdays.names import translate as translate_holiday
from cabinet.workdays.overrides import remove_override, set_override, stored
from cabinet.workdays.service import calendar

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("")
@role_required("admin")
def index():
    """/admin, typed or guessed, leads to the first administration page rather than a 404."""
    return redirect(url_for("admin.policies"))


@bp.route("/policies", methods=["GET", "POST"])
@role_required("admin")
@committed
def policies():
    form = PublishPolicyForm()
    preview = None
    if form.validate_on_submit():
        label, effective_from = form.label.data, form.effective_from.data
        texts = {"kk": form.text_kk.data, "ru": form.text_ru.data}
        try:
            with attempt():
                if form.publish.data:
                    version = service.publish(label, effective_from, texts,
                                              {"kk": form.summary_kk.data or "", "ru": form.summary_ru.data or ""},
                                              actor=current_actor(), earliest=local_today())
                else:
                    service.check(label, effective_from, texts, earliest=local_today())
        except service.PolicyError as error:
            form[error.field].errors.append(error.message)
        else:
            if form.publish.data:
                flash(_("Version %(label)s is published.", label=version.label), "success")
                return redirect(url_for("admin.policies"))
            preview = _preview(form)
    versions = db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.effective_from.desc(),
                                                                 PolicyVersion.id.desc())).all()
    return render_template("admin/policies.html", form=form, preview=preview, versions=versions,
                           today=local_today())


def _preview(form) -> dict:
    """Both texts rendered as readers will see them, and what changes against the current version."""
    current = service.current_version(local_today())
    result = {"kk": service.render_markdown(form.text_kk.data), "ru": service.render_markdown(form.text_ru.data)}
    if current is not None:
        result["diff_kk"] = diff.compare(current.text("kk").body, form.text_kk.data)
        result["diff_ru"] = diff.compare(current.text("ru").body, form.text_ru.data)
        result["current"] = current
    return result


def _user_or_404(user_id: int) -> User:
    """An account number past what the database holds is simply not found, not a server error."""
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        abort(404)
    return user


ROLE_NAMES = {"subject": _l("Data subject"), "support": _l("Support staff"),
              "translator": _l("Translator"), "admin": _l("Administrator")}
USERS_PAGE = 50


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
@committed
def users():
    form = RolesForm()
    form.roles.choices = [SelectChoice(code, name) for code, name in ROLE_NAMES.items()]
    if form.validate_on_submit():
        user = _user_or_404(form.user_id.data)
        actor = current_actor()
        if user.id == actor.id and "admin" not in form.roles.data:
            flash(_("You cannot take the administrator role from yourself."), "error")
        else:
            set_roles(user, form.roles.data, actor=actor)
            flash(_("The roles of %(email)s are saved.", email=user.email), "success")
        return redirect(url_for("admin.users", q=request.args.get("q", "")))
    q = (request.args.get("q") or "").strip().lower()[:254]
    query = select(User).order_by(User.id).limit(USERS_PAGE)
    if q:
        query = query.where(User.email.contains(q, autoescape=True))
    return render_template("admin/users.html", users=db.session.scalars(query).all(), q=q,
                           role_names=ROLE_NAMES)


@bp.route("/users/<int:user_id>/sessions", methods=["POST"])
@role_required("admin")
@committed
def end_user_sessions(user_id):
    """ASVS V7.4.5: a stolen or forgotten session ends at once, on every device, by an administrator's order."""
    user = _user_or_404(user_id)
    if user.id == current_actor().id:
        flash(_("To end your own sessions, sign out: that ends them on every device."), "error")
    else:
        end_sessions(user, "account.sessions_ended", actor=current_actor())
        flash(_("Every session of %(email)s has ended: they must sign in again.", email=user.email), "success")
    return redirect(url_for("admin.users", q=request.args.get("q", "")))


@bp.route("/calendar", methods=["GET", "POST"])
@role_required("admin")
@committed
def calendar_page():
    """A year's working days per month, its days off with names, and the overrides with their effect."""
    year = request.args.get("year", type=int) or local_today().year
    if not 2000 <= year <= 2100:
        abort(404)
    form, moved = DayOverrideForm(), None
    if form.validate_on_submit():
        day, working = form.day.data, form.is_working.data == "1"
        if form.save.data:
            set_override(day, working, form.note.data.strip(), actor=current_actor())
        elif form.remove.data:
            remove_override(day, actor=current_actor())
        if form.save.data or form.remove.data:
            flash(_("The calendar is saved. Deadlines already set stay as they are."), "success")
            return redirect(url_for("admin.calendar_page", year=day.year))
        moved = calendar_effects.moved_by(day, working)
    cal = calendar()
    months = [(month, len(cal.working_days_in(year, month))) for month in range(1, 13)]
    days_off = [(day, reason, translate_holiday(cal.holiday_name(day, "en")))
                for day, reason in cal.days_off_in(year) if reason != "weekend"]
    return render_template("admin/calendar.html", year=year, months=months, days_off=days_off,
                           total=sum(n for _m, n in months), overrides=stored(), form=form, moved=moved,
                           deadlines=deadlines)
