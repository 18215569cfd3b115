"""Translators edit the Kazakh and Russian catalogs in the browser, or bring back a .po from Poedit or Weblate."""

from textwrap import shorten

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for

from cabinet.acting import current_actor, role_required
from cabinet.form_errors import FormError
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l
from cabinet.transaction import attempt, committed
from cabinet.translate import access, entries, saving, store, upload
from cabinet.translate.forms import EntryForm, UploadForm
from cabinet.translate.paths import po_path

bp = Blueprint("translate", __name__, url_prefix="/translate")
STATUS_WORDS = {"all": _l("All"), "untranslated": _l("Untranslated"), "fuzzy": _l("Fuzzy"),
                "recent": _l("Changed recently"), "translated": _l("Translated")}
VIA_WORDS = {"editor": _l("in the editor"), "upload": _l("from an uploaded file")}


def _open(locale: str) -> str:
    """A catalog the signed-in translator may edit: 404 for no such language, 403 for one they are kept from."""
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    if locale not in access.allowed_locales(current_actor().user):
        abort(403)
    return locale


def _other(locale: str) -> str | None:
    return next((code for code in current_app.config["LANGUAGES"] if code != locale), None)


@bp.route("")
@role_required("translator")
def index():
    catalogs = [(code, entries.progress(store.read_shared(code)))
                for code in access.allowed_locales(current_actor().user)]
    return render_template("translate/index.html", catalogs=catalogs)


@bp.route("/<locale>", methods=["GET", "POST"])
@role_required("translator")
@committed
def catalog(locale):
    _open(locale)
    status = request.args.get("status") if request.args.get("status") in entries.STATUSES else "all"
    q = (request.args.get("q") or "").strip()[:entries.MAX_QUERY]
    page = request.args.get("page", 1, type=int)
    here = url_for("translate.catalog", locale=locale, status=status, q=q or None, page=page)
    feedback, code = {}, 200
    if request.method == "POST":
        result = _save(locale, EntryForm())
        if result is None:
            return redirect(f"{here}#e-{entries.entry_key(request.form.get('msgctxt') or None, _msgid())}")
        feedback, code = result
    other = _other(locale)
    shown = entries.listing(store.read_shared(locale), store.read_shared(other) if other else None, status=status, q=q,
                            page=page, recent=saving.recent_keys(locale) if status == "recent" else set())
    refused = [FormError(str(error), _("Translation"), f"#t-{key}" + ("-0" if note.get("plural") else ""))
               for key, note in feedback.items() for error in note.get("errors", [])]
    return render_template("translate/catalog.html", locale=locale, other=other, status=status, q=q, page=shown,
                           here=here, feedback=feedback, statuses=entries.STATUSES,
                           status_words=STATUS_WORDS, form_errors=refused), code


def _msgid() -> str:
    return saving.normalised([request.form.get("msgid", "")])[0]


def _save(locale: str, form: EntryForm):
    """Save one entry; None when saved, otherwise what to show beside the entry and the status code."""
    if not form.validate_on_submit():
        flash(_("The translation was not saved: the form was incomplete. Reload the page and try again."), "error")
        return {}, 400
    key = entries.entry_key(form.msgctxt.data or None, _msgid())
    try:
        with attempt():
            saving.save_entry(locale, form.msgid.data, form.msgctxt.data or None, form.strings(),
                              form.entry_hash.data, actor=current_actor().user)
    except saving.Missing:
        flash(_("This entry is no longer in the catalog."), "error")
        return {}, 404
    except saving.Stale:
        flash(_("Someone changed this entry after you opened it. Their version is shown now; your text is "
                "below it, so you can apply your change again."), "error")
        return {key: {"stale": True, "yours": form.strings()}}, 409
    except saving.Refused as refused:
        errors = [problem.text() for problem in refused.problems]
        flash(_("The translation of “%(entry)s” was not saved: %(problems)s", entry=shorten(form.msgid.data, 80),
                problems=" ".join(errors)), "error")
        return {key: {"errors": errors, "strings": form.strings(), "plural": len(form.strings()) > 1}}, 422
    flash(_("The translation is saved and shown on the site."), "success")
    return None


@bp.route("/<locale>/history/<key>")
@role_required("translator")
def history(locale, key):
    _open(locale)
    changes = saving.history(locale, key)
    message = next((m for m in store.read(locale) if m.id and entries.entry_key(
        m.context, entries.msgid_of(m)) == key), None)
    if message is None and not changes:
        abort(404)
    entry = entries.Entry(message) if message is not None else None
    return render_template("translate/history.html", locale=locale, entry=entry, changes=changes,
                           via_words=VIA_WORDS)


@bp.route("/<locale>/download")
@role_required("translator")
def download(locale):
    """The catalog as it is now, for Poedit or Weblate."""
    return send_file(po_path(_open(locale)), mimetype="text/x-gettext-translation", as_attachment=True,
                     download_name=f"cabinet-{locale}.po", max_age=0)


@bp.route("/<locale>/upload", methods=["GET", "POST"])
@role_required("translator")
@committed
def upload_catalog(locale):
    _open(locale)
    form, report, code = UploadForm(), None, 200
    if form.validate_on_submit():
        try:
            uploaded = upload.parse(form.catalog.data.stream.read(upload.MAX_BYTES + 1), locale)
        except upload.UploadRefused as refused:
            form.catalog.errors.append(str(refused.args[0]))
            code = 422
        else:
            report = upload.merge(locale, uploaded, actor=current_actor().user)
    elif request.method == "POST":
        code = 400
    return render_template("translate/upload.html", locale=locale, form=form, report=report), code
