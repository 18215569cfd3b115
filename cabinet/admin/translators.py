"""Administrators limit a translator to some languages. The page joins the translators' blueprint
(/translate/translators, url_for("translate.translators") as before) but lives here, with the people it lists,
so the translators' portal itself reaches no personal data."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from cabinet.accounts.models import User, UserRole
from cabinet.acting import current_actor, role_required
from cabinet.extensions import db
from cabinet.messages import gettext as _
from cabinet.transaction import committed
from cabinet.translate import access
from cabinet.translate.forms import LanguagesForm
from cabinet.translate.views import bp

TRANSLATORS_PAGE = 200


@bp.route("/translators", methods=["GET", "POST"])
@role_required("admin")
@committed
def translators():
    """Administrators limit a translator to some languages."""
    form = LanguagesForm()
    form.locales.choices = [(code, code) for code in current_app.config["LANGUAGES"]]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        if user is None or not user.has_role("translator"):
            abort(404)
        access.set_languages(user, form.locales.data, actor=current_actor())
        flash(_("The languages of %(email)s are saved.", email=user.email), "success")
        return redirect(url_for("translate.translators"))
    people = db.session.scalars(select(User).join(UserRole).where(UserRole.role == "translator")
                                .order_by(User.id).limit(TRANSLATORS_PAGE)).all()
    limits = access.limits_of(people)
    return render_template("translate/translators.html", people=people, limits=limits, form=form), \
        400 if request.method == "POST" else 200
