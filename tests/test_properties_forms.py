"""Property-based tests of every form of the application: whatever a browser (or anything else) posts, the answer is
never a server error, a refusal writes nothing, and what is written is written whole.

Every POST rule of `app.url_map` is exercised; FORMS names the WTForms class each one reads (None for a bare button),
so a new form route fails `test_every_form_route_has_a_strategy` until it is declared here. Field names come from the
form classes, and each field gets, at random, a plausible value, arbitrary text (control characters, RTL marks,
NUL), ~1 MB of text, nothing, several values, or binary files; some bodies are raw bytes or broken multipart.

One application and one set of people serve all the examples of a route (hypothesis runs them in a loop inside the
test): the properties hold in any state, so what one example changed does not matter to the next, and each example
starts from the signed-in session of the route's role (a real sign-in, done once, restored with the account's current
session version). The database, upload folder, catalogs and outbox are compared before and after every request.
"""

import hashlib
import inspect
import io
import re
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart
from wtforms import FileField, MultipleFileField
from wtforms.fields.core import UnboundField

from cabinet import ROOT
from cabinet.accounts import forms as accounts
from cabinet.accounts import tokens
from cabinet.accounts.models import User
from cabinet.acting.models import ActingSession
from cabinet.admin import forms as admin
from cabinet.app import create_app
from cabinet.audit import trail
from cabinet.audit.models import AuditEvent
from cabinet.complaints import forms as complaints
from cabinet.consents.forms import ConsentForm, WithdrawAllForm
from cabinet.consents.purposes import OPTIONAL
from cabinet.database import utcnow
from cabinet.disclosures.service import BASES
from cabinet.documents.models import Document, UploadDraft
from cabinet.extensions import db
from cabinet.mail.models import OutgoingMail
from cabinet.profile.forms import ProfileEditForm
from cabinet.staff import forms as staff
from cabinet.translate import entries, store
from cabinet.translate import forms as translate
from tests.helpers import PASSWORD, PDF, PNG

#: reproducible in CI: the same examples on every run, and no example database left in the working tree
CI = settings(derandomize=True, database=None, deadline=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
EXAMPLES_PER_ROUTE = 20

#: the form each POST endpoint reads; None: a button without fields (only the CSRF token)
FORMS = {
    "accounts.register": accounts.RegisterForm,
    "accounts.login": accounts.LoginForm,
    "accounts.logout": None,
    "accounts.resend_confirmation": None,
    "i18n.switch": None,
    "accounts.reset_request": accounts.ResetRequestForm,
    "accounts.reset": accounts.ResetForm,
    "accounts.change_password": accounts.PasswordChangeForm,
    "profile.edit": ProfileEditForm,
    "policies.review": None,
    "consents.index": ConsentForm,
    "consents.withdraw_all": WithdrawAllForm,
    "complaints.new": complaints.ComplaintForm,
    "complaints.supplement": complaints.SupplementForm,
    "complaints.withdraw": complaints.WithdrawForm,
    "staff.subject": staff.ViewReasonForm,
    "staff.act": staff.ActForm,
    "staff.stop": None,
    "staff.decide_correction": staff.CorrectionDecisionForm,
    "staff.decide_withdrawal": staff.WithdrawalDecisionForm,
    "staff.new_disclosure": staff.DisclosureForm,
    "staff_complaints.detail": complaints.AnswerForm,
    "staff_complaints.review": complaints.ReviewForm,
    "staff_complaints.add_note": complaints.NoteForm,
    "staff_complaints.verify": complaints.VerifyForm,
    "verify.check": complaints.VerifyForm,
    "admin.policies": admin.PublishPolicyForm,
    "admin.users": admin.RolesForm,
    "admin.end_user_sessions": None,
    "admin_mail.resend": None,
    "admin_audit.verify": None,
    "admin.calendar_page": admin.DayOverrideForm,
    "translate.catalog": translate.EntryForm,
    "translate.upload_catalog": translate.UploadForm,
    "translate.translators": translate.LanguagesForm,
}
#: forms a view builds with a prefix, and names a view reads from request.form besides its form's fields
PREFIXES = {"staff_complaints.add_note": "note"}
EXTRA_FIELDS = {"complaints.new": ["preview"], "i18n.switch": ["next"]}
#: signed-in pages outside the role areas
SIGNED_IN = {"accounts.logout", "accounts.resend_confirmation", "i18n.switch"}
#: forms whose examples here never change anything, and why; every other form must write in some example, so that
#: strategies which stopped producing acceptable data (a new required field, say) do not go unnoticed
NOTHING_TO_WRITE = {
    "accounts.resend_confirmation": "A's address is confirmed already",
    "policies.review": "A accepted the version in effect when registering",
    "staff.stop": "support does not act for anyone on the staff pages",
    "verify.check": "the public check reads a complaint's versions; it changes nothing",
}


def form_rules(app) -> dict[str, str]:
    """Every endpoint that accepts a POST, with its rule."""
    return {rule.endpoint: rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}


PROBE = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "probe", "TESTING": True})
RULES = form_rules(PROBE)
PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def roles_for(endpoint: str) -> list[str]:
    """Who posts the form: the role its area needs (a subject's pages also by support acting for the subject)."""
    rule = RULES[endpoint]
    if rule.startswith("/cabinet"):
        return ["subject", "acting"]
    if rule.startswith("/admin") or rule == "/translate/translators":
        return ["admin"]
    if rule.startswith("/translate"):
        return ["translator"]
    if rule.startswith("/staff"):
        return ["support"]
    return ["subject"] if endpoint in SIGNED_IN else ["anonymous"]


def fields_of(endpoint: str) -> list[tuple[str, bool]]:
    """The form's field names as posted (with the view's prefix), each with whether it takes files."""
    form = FORMS[endpoint]
    members = inspect.getmembers(form, lambda v: isinstance(v, UnboundField)) if form else []
    prefix = f"{PREFIXES[endpoint]}-" if endpoint in PREFIXES else ""
    fields = [(prefix + name, issubclass(unbound.field_class, FileField | MultipleFileField))
              for name, unbound in members]
    return fields + [(name, False) for name in EXTRA_FIELDS.get(endpoint, [])]


# --- generated values ------------------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200)
NASTY = st.sampled_from([
    "\x00", "a\x00b", "\u202eтекст\u202c", "\u200f\u05e9\u05dc\u05d5\u05dd", "\ufeff", "\r\n\r\n", "\x1b[31m", "\x7f",
    "\u0085", "\u2028", "'; DROP TABLE users; --", "<script>alert(1)</script>", "{{ 7*7 }}", "%(name)s %s %n",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀", "И\u0306", " ", "0", "-1", "9" * 30, "2026-02-30", "1e309", "NaN", "null", "[]", "../../etc/passwd",
    "Сейітова", "ӘҒҚҢӨҰҮҺІ", "y", "on", "true", "yes", "kk", "ru", "en"])
#: about a megabyte, past the multipart parser's 500 kB limit on a text part, or just under it; built once, and
#: mostly of characters that need no percent-encoding (decoding a URL-encoded body costs ~0.4 s per encoded MB)
HUGE = st.sampled_from(["a" * 1_200_000, "Ә" * 260_000, "𝔘" * 124_000, "x\n" * 249_000, "\x00" * 30_000])
#: huge values are one in six: each costs a megabyte
JUNK = st.one_of(TEXT, TEXT, NASTY, NASTY, st.lists(st.one_of(TEXT, NASTY), min_size=2, max_size=4), HUGE)

SCANS = st.sampled_from([(PDF, "scan.pdf"), (PNG, "photo.png")])
JUNK_FILES = st.lists(st.tuples(
    st.one_of(st.binary(max_size=400), st.just(b""), st.sampled_from([PDF, PNG]).map(lambda s: s[:5]),
              st.sampled_from([b"<html><script>alert(1)</script>", b"PK\x03\x04zip", b"GIF89a"]),
              st.sampled_from([PDF, PNG]).map(lambda scan: scan + b"\0" * (10 * 1024 * 1024 + 1 - len(scan)))),
    st.sampled_from(["scan.pdf", "photo.jpg", "../../x.png", "скан.pdf", "x" * 3000 + ".pdf", "a\x00b.pdf", " "]),
), max_size=7)


def valid_values(world: dict, endpoint: str) -> dict[str, st.SearchStrategy]:
    """A plausible value for each field name used by the forms (None: left out), so examples also reach the writes."""
    today = date.today()
    dates = st.dates(today - timedelta(days=3), today + timedelta(days=40)).map(date.isoformat)
    people = [world["a"].id, world["b"].id, world["admin"].id, world["support"].id, world["translator"].id]
    words = st.sampled_from(["Өтініш бойынша", "Заявление клиента", "Неке туралы куәлік", "Мәтін"])
    return {
        "surname": st.sampled_from(["Сейітова", "Иванова-Петрова", "O'Brien"]),
        "given_name": st.sampled_from(["Айгерім", "Анна"]),
        "patronymic": st.sampled_from(["", "Серікқызы"]),
        "email": st.sampled_from(["new@example.kz", world["a"].email, world["b"].email, "Other@Example.KZ"]),
        "phone": st.sampled_from(["+77011234567", "+7 702 765 43 21", "8 701 000 11 22"]),
        "password": st.sampled_from([PASSWORD, "another-long-password"]),
        "password_confirm": st.sampled_from([PASSWORD, "another-long-password"]),
        "current_password": st.just(PASSWORD),
        "accept_policy": st.just("y"),
        "consent_marketing": st.sampled_from(["y", ""]), "consent_research": st.just("y"),
        "consent_third_party": st.sampled_from(["y", ""]),
        "reason": words, "note": words, "recipient": words, "categories": words, "reference": words,
        "subject": words, "body": words, "desired_outcome": words, "text": words, "answer": words,
        "note-text": words, "text_kk": st.just("# Саясат\n\n**1.1.** Жаңа мәтін."),
        "text_ru": st.just("# Политика\n\n**1.1.** Новый текст."), "summary_kk": words, "summary_ru": words,
        "submission_token": st.uuids().map(lambda u: u.hex), "note-submission_token": st.uuids().map(lambda u: u.hex),
        "purpose": st.sampled_from(OPTIONAL), "action": st.sampled_from(["grant", "withdraw"]),
        "confirm": st.sampled_from(["y", "yes"]), "next": st.sampled_from(["/cabinet", "//evil.example", ""]),
        "number": st.just(world["complaint"]), "code": st.text("0123456789ABCDEF", min_size=4, max_size=12),
        "label": st.sampled_from(["2", "2.1", "3-beta"]), "effective_from": dates, "day": dates,
        "disclosed_on": dates, "preview": st.sampled_from([None, "y"]), "publish": st.just("y"),
        "user_id": st.sampled_from(people).map(str), "subject_id": st.sampled_from(people[:2] + [987654]).map(str),
        "roles": st.lists(st.sampled_from(["subject", "support", "translator", "admin"]), max_size=4, unique=True),
        "locales": st.lists(st.sampled_from(["kk", "ru"]), min_size=1, max_size=2, unique=True),
        "is_working": st.sampled_from(["1", "0"]),
        "check": st.just("y"), "save": st.just("y"), "remove": st.just("y"),
        "basis": st.sampled_from(list(BASES)),
        "decision": st.sampled_from(["approve", "reject", "carry_out", "refuse"]),
        "msgstr": words, **{f"msgstr_{i}": words for i in range(translate.MAX_FORMS)},
        # msgid, msgctxt and entry_hash go together: see entry_fields()
        "msgid": st.just(""), "msgctxt": st.just(""), "entry_hash": st.just(""),
    } | ENDPOINT_VALUES.get(endpoint, lambda _world: {})(world)


#: where a field's plausible value depends on the form: the account a form is about
ENDPOINT_VALUES = {
    "translate.translators": lambda world: {"user_id": st.sampled_from([world["translator"].id, world["a"].id])},
    "admin.users": lambda world: {"user_id": st.sampled_from([world["b"].id, world["translator"].id])},
    "staff.decide_correction": lambda _world: {"decision": st.sampled_from(["approve", "reject"])},
    "staff.decide_withdrawal": lambda _world: {"decision": st.sampled_from(["carry_out", "refuse"])},
}


def valid_files(name: str, world: dict, locale: str) -> st.SearchStrategy:
    if name == "catalog":
        return st.sampled_from(world["catalogs"].get(locale) or [b""]).map(lambda data: [(data, "messages.po")])
    return st.lists(SCANS, min_size=1, max_size=2)


def entry_fields(world: dict, locale: str) -> st.SearchStrategy:
    """A real catalog entry as the editor's page gives it: its source, context and the hash of what was shown."""
    return st.sampled_from(world["entries"].get(locale) or [("", "", "")]).map(
        lambda entry: dict(zip(("msgid", "msgctxt", "entry_hash"), entry, strict=True)))


class Post(NamedTuple):
    """One generated request: the URL's values, and either form data or a raw body with its content type."""

    url_values: dict
    data: dict | None
    body: bytes | None = None
    content_type: str | None = None


@st.composite
def posts(draw, endpoint: str, world: dict):
    """The URL's parameters from real objects and junk; mostly the fields all valid but at most one, else each
    anything; the encoding mostly sound."""
    url_values = {name: draw(url_value(name, world)) for name in PARAMETER.findall(RULES[endpoint])}
    valid, fields, data = valid_values(world, endpoint), fields_of(endpoint), {}
    mostly_valid = draw(st.integers(0, 3)) > 0
    spoiled = draw(st.sets(st.sampled_from([name for name, _files in fields]), max_size=1)) if fields else set()
    for name, takes_files in fields:
        if mostly_valid and name not in spoiled:
            assert takes_files or name in valid, f"no plausible value for the field {name}: add it to valid_values()"
            value = draw(valid_files(name, world, url_values.get("locale")) if takes_files else valid[name])
        else:
            value = draw(st.one_of(st.none(), JUNK_FILES if takes_files else JUNK, JUNK))
        if value is not None:
            data[name] = value
    if mostly_valid and "msgid" in data and "msgid" not in spoiled:
        data.update(draw(entry_fields(world, url_values.get("locale", "kk"))))
    if "password" in data and "password_confirm" in data and draw(st.booleans()):
        data["password_confirm"] = data["password"]
    data.update(draw(st.dictionaries(TEXT.filter(bool), JUNK, max_size=2)))
    encoding = draw(st.sampled_from(["multipart", "multipart", "urlencoded", "raw"]))
    if encoding == "urlencoded":
        return Post(url_values, {k: v for k, v in data.items() if not _is_files(v)})
    if encoding == "multipart":
        return Post(url_values, data)
    boundary, body = encode_multipart(_as_posted(data), boundary="property-boundary")
    broken = draw(st.one_of(
        st.builds(lambda cut: body[:cut], st.integers(0, len(body))),  # truncated
        st.binary(max_size=2000),  # noise
        st.builds(lambda noise: body.replace(b"\r\n", noise, 1), st.binary(max_size=8)),  # a damaged header line
        st.just(body)))
    content_type = draw(st.sampled_from([f"multipart/form-data; boundary={boundary}", "multipart/form-data",
                                         "multipart/form-data; boundary=", f"multipart/form-data; boundary={'x' * 300}",
                                         "application/x-www-form-urlencoded", "application/json", "text/plain"]))
    return Post(url_values, None, broken, content_type)


def _is_files(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], tuple)


def _as_posted(data: dict) -> MultiDict:
    """The test client's form: files as streams, several values of a field as repeated fields."""
    values = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            values.add(key, FileStorage(io.BytesIO(item[0]), item[1]) if isinstance(item, tuple) else item)
    return values


def url_value(name: str, world: dict) -> st.SearchStrategy:
    """A URL parameter: the real object the route is about, another one, a missing one, or junk."""
    junk_text = st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1,
                        max_size=40)  # a NUL in a URL: test_a_nul_in_a_url_is_not_found
    real = {
        "number": [world["complaint"], "0000-000000"],
        "user_id": [world["a"].id, world["b"].id, world["support"].id, 987654, 2**31 - 1, 2**31, 10**30],
        "request_id": [world["correction"], 987654, 2**31],
        "withdrawal_id": [world["withdrawal"], 987654, 2**31],
        "mail_id": [world["failed_mail"], 987654, 2**31],
        "locale": ["kk", "ru", "en"],
        "code": ["ru", "kk", "en"],
        "token": [world["reset_token"], "not-a-token"],
    }
    assert name in real, f"no values for the URL parameter <{name}>: add them to url_value()"
    first, *others = real[name]
    usually_the_real_one = [st.just(first)] * 4 + [st.sampled_from(others)]
    return st.one_of(*usually_the_real_one, *([] if isinstance(first, int) else [junk_text]))


# --- the state compared before and after each request -------------------------------------------------------------


class State(NamedTuple):
    tables: dict[str, tuple[int, str]]
    uploads: dict[str, int]
    catalogs: dict[str, str]
    outbox: int


def _digest(rows) -> str:
    return hashlib.sha256("\n".join(sorted(repr(tuple(row)) for row in rows)).encode()).hexdigest()


def state(app) -> State:
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            tables[table.name] = (len(rows), _digest(rows))
        db.session.remove()
    uploads, catalogs, outbox = (Path(app.config[key]) for key in ("UPLOAD_DIR", "TRANSLATIONS_DIR", "OUTBOX_DIR"))
    return State(
        tables,
        {p.name: p.stat().st_size for p in uploads.iterdir()} if uploads.exists() else {},
        {str(p.relative_to(catalogs)): hashlib.sha256(p.read_bytes()).hexdigest() for p in catalogs.rglob("*.po")},
        len(list(outbox.iterdir())) if outbox.exists() else 0,
    )


#: what a refused request still records, with the tables it may write: the attempt itself, the page it showed, or a
#: refusal the subject and auditors must see (all consent withdrawn while obligations remain: recorded as refused)
RECORDED_ON_REFUSAL = {"account.sign_in_failed": set(), "complaint.viewed": set(), "complaint.verified": set(),
                       "complaint.verified_publicly": set(),
                       "consent.withdraw_all_refused": {"withdrawals"}}


def new_audit_actions(app, before: State) -> list[str]:
    seen = before.tables[AuditEvent.__tablename__][0]
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq).offset(seen)).all()
        db.session.remove()
    return list(actions)


def refused(client, response) -> bool:
    """A refusal: an error status, errors beside the fields, or an error message carried to the next page."""
    if response.status_code >= 400 or 'class="error"' in response.text or "flash-error" in response.text:
        return True
    with client.session_transaction() as session:
        return any(category == "error" for category, _message in session.get("_flashes", []))


def check_consistency(app, before: State, after: State, was_refused: bool, what: str) -> None:
    """A refusal changes nothing but its own record; any change comes with its audit event; files match rows."""
    changed = {name for name in after.tables if after.tables[name] != before.tables.get(name)}
    audit = {AuditEvent.__tablename__, "audit_head"}
    actions = new_audit_actions(app, before)
    if was_refused:
        assert set(actions) <= set(RECORDED_ON_REFUSAL), f"{what}: refused, yet recorded {actions}"
        recorded = audit.union(*(RECORDED_ON_REFUSAL[action] for action in actions))
        assert not changed - recorded, f"{what}: refused, yet wrote {sorted(changed - recorded)}"
        assert after.uploads == before.uploads, f"{what}: refused, yet the upload folder changed"
        assert after.catalogs == before.catalogs, f"{what}: refused, yet a catalog changed"
        assert after.outbox == before.outbox, f"{what}: refused, yet mail was sent"
    elif changed - audit:
        assert actions, f"{what}: {sorted(changed - audit)} changed without an audit event"
    with app.app_context():
        # a file on disk is a document or one kept on a preview (a draft), nothing else
        keys = set(db.session.scalars(select(Document.storage_key))) | \
            set(db.session.scalars(select(UploadDraft.storage_key)))
        verdict = trail.verify()
        db.session.remove()
    assert set(after.uploads) == keys, f"{what}: files and document rows differ: {set(after.uploads) ^ keys}"
    assert verdict.ok, f"{what}: the audit chain broke: {verdict.problem}"


# --- the people, signed in once per test ------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config, tmp_path):
    """A copy of the real catalogs for the translators' forms to write to."""
    shutil.copytree(ROOT / "cabinet" / "translations", tmp_path / "translations")
    return {**app_config, "TRANSLATIONS_DIR": str(tmp_path / "translations")}


@pytest.fixture
def people(app, world, create_user):
    """The staff, a reset link for B, a mail that failed, and real catalog entries: everything a form may be
    about."""
    world = dict(world)
    for role in ("support", "translator", "admin"):
        world[role] = create_user(email=f"{role}@example.kz", roles=(role,))
    with app.app_context():
        b = db.session.get(User, world["b"].id)
        world["reset_token"] = tokens.make("reset", {"uid": b.id, "fp": tokens.password_fingerprint(b.password_hash)})
        failed = OutgoingMail(recipient=b.email, template="reset", message=b"To: b@example.kz\n\nx\n",
                              message_id="<failed@cabinet>", state="failed", attempts=10, last_error="refused")
        db.session.add(failed)
        db.session.commit()
        world["failed_mail"] = failed.id  # an administrator may send it again
        world["entries"], world["catalogs"] = {}, {}
        for locale in ("kk", "ru"):
            catalog = store.read(locale)
            world["entries"][locale] = [(m.id, m.context or "", entries.entry_hash(m)) for m in catalog
                                        if m.id and isinstance(m.id, str) and "%" not in m.id][:40]
            unchanged = store.po_bytes(catalog)
            entry = next(m for m in catalog if m.id and isinstance(m.id, str) and m.string and "%" not in m.id)
            entry.string = f"{entry.string} (өзгертілген)"
            world["catalogs"][locale] = [unchanged, store.po_bytes(catalog)]
    return world


class Sessions:
    """The signed-in session of each role, made once by really signing in on the test's application (CSRF off), put
    back into any client of an application with the same secret before each request."""

    def __init__(self, app, world):
        self.app, self.world, self.saved, self.browser = app, world, {}, app.test_client()

    def sign_in(self, client, role: str) -> None:
        with client.session_transaction() as session:
            session.clear()
        if role == "anonymous":
            return
        person = self.world["a" if role == "subject" else "support" if role == "acting" else role]
        if role not in self.saved or (role == "acting" and not self._acting_still_on()):
            self._really_sign_in(role, person)
        with self.app.app_context():
            version = db.session.get(User, person.id).session_version
            db.session.remove()
        with client.session_transaction() as session:
            session.update(self.saved[role])
            session["_user_id"] = f"{person.id}:{version}"
            session["auth_at"] = session["seen_at"] = time.time()

    def _really_sign_in(self, role, person):
        browser = self.browser
        with browser.session_transaction() as session:
            session.clear()
        response = browser.post("/login", data={"email": person.email, "password": PASSWORD})
        assert response.status_code == 302, f"{role} could not sign in"
        if role == "acting":
            started = browser.post(f"/staff/subjects/{self.world['a'].id}/act", content_type="multipart/form-data",
                                   data={"reason": "Өтініш бойынша", "basis": (io.BytesIO(PDF), "basis.pdf")})
            assert started.headers["Location"].endswith("/cabinet"), "support could not act for the subject"
        with browser.session_transaction() as session:
            self.saved[role] = {k: v for k, v in session.items() if k != "_flashes"}

    def _acting_still_on(self) -> bool:
        with self.app.app_context():
            act = db.session.get(ActingSession, self.saved["acting"].get("acting_id"))
            on = act is not None and act.ended_at is None and act.expires_at > utcnow()
            db.session.remove()
        return on


def send(client, endpoint: str, post: Post, extra: dict | None = None):
    with PROBE.test_request_context():
        url = url_for(endpoint, **post.url_values)
    if post.body is not None:
        return client.post(url, data=post.body, content_type=post.content_type)
    multipart = any(_is_files(v) for v in post.data.values())
    return client.post(url, data=_as_posted({**post.data, **(extra or {})}),
                       content_type="multipart/form-data" if multipart else None)


def describe(endpoint: str, role: str, post: Post) -> str:
    short = {k: (v[:60] + f"…({len(v)})" if isinstance(v, str) and len(v) > 60 else v)
             for k, v in (post.data or {}).items() if not isinstance(v, list)}
    return f"POST {endpoint} as {role} {post.url_values} {short}"


# --- the properties ------------------------------------------------------------------------------------------


def test_every_form_route_has_a_strategy():
    """A new POST route fails here until its form is declared in FORMS; a removed one fails too."""
    assert not set(RULES) - set(FORMS), f"declare the form these POST endpoints read: {sorted(set(RULES) - set(FORMS))}"
    assert not set(FORMS) - set(RULES), f"these endpoints no longer accept POST: {sorted(set(FORMS) - set(RULES))}"
    assert len(RULES) >= 30


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_a_form_never_fails_and_a_refusal_writes_nothing(app, people, endpoint):
    assert endpoint in FORMS, f"{endpoint} has no strategy: declare its form in FORMS"
    client, sessions = app.test_client(), Sessions(app, people)

    @settings(CI, max_examples=EXAMPLES_PER_ROUTE)
    @given(post=posts(endpoint, people), role=st.sampled_from(roles_for(endpoint)))
    def property(post, role):
        sessions.sign_in(client, role)
        before = state(app)
        response = send(client, endpoint, post)
        what = describe(endpoint, role, post)
        assert response.status_code < 500, f"{what}: {response.status_code}"
        after = state(app)
        check_consistency(app, before, after, refused(client, response), what)
        wrote.append(after != before)

    wrote = []
    property()
    if endpoint not in NOTHING_TO_WRITE:
        assert any(wrote), f"no example of {endpoint} got past its checks: give its fields plausible values"


@st.composite
def any_route(draw, world: dict):
    endpoint = draw(st.sampled_from(sorted(RULES)))
    return endpoint, draw(st.sampled_from(roles_for(endpoint))), draw(posts(endpoint, world))


@pytest.fixture
def variant(app_config):
    """Another application on the same database and files, with some settings changed."""
    made = []

    def make(**settings):
        made.append(create_app({**app_config, **settings}))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's
OUR_RAW_TOKEN = "our-session-raw-token"


def token_for(app, raw: str = OUR_RAW_TOKEN, key: str | None = None) -> str:
    """A CSRF token as Flask-WTF signs it into a form, for the session whose raw token is `raw`."""
    return URLSafeTimedSerializer(key or app.config["SECRET_KEY"], salt=CSRF_SALT).dumps(raw)


def sign_in_with_token(sessions, client, role: str) -> None:
    sessions.sign_in(client, role)
    with client.session_transaction() as session:
        session["csrf_token"] = OUR_RAW_TOKEN


def test_a_missing_or_forged_csrf_token_never_writes(app, variant, people):
    """With CSRF protection on, as in production: no token, junk, another session's token or one signed with another
    key is refused (or the URL is not found) and nothing at all is written."""
    guarded = variant(WTF_CSRF_ENABLED=True)
    client, sessions = guarded.test_client(), Sessions(app, people)
    forged = st.one_of(st.none(), TEXT, st.just(token_for(app, "another-session-raw-token")),
                       st.just(token_for(app, key="another-secret-key")))

    @settings(CI, max_examples=3 * EXAMPLES_PER_ROUTE)
    @given(request=any_route(people), token=forged, in_header=st.booleans())
    def property(request, token, in_header):
        endpoint, role, post = request
        sign_in_with_token(sessions, client, role)
        before = state(app)
        if in_header and token is not None:
            client.environ_base["HTTP_X_CSRFTOKEN"] = token
        response = send(client, endpoint, post, {} if in_header or token is None else {"csrf_token": token})
        client.environ_base.pop("HTTP_X_CSRFTOKEN", None)
        assert 400 <= response.status_code < 500, f"{describe(endpoint, role, post)}: {response.status_code}"
        assert state(app) == before, f"{describe(endpoint, role, post)}: written without a valid CSRF token"

    property()
    sign_in_with_token(sessions, client, "subject")
    assert client.post("/cabinet/policies/review", data={"csrf_token": token_for(app)}).status_code == 302, \
        "the genuine token is refused too: the property above proves nothing"


def test_a_body_over_the_length_limit_is_refused_whole(app, variant, people):
    """With production settings, a request longer than MAX_CONTENT_LENGTH is refused (413) when its form is read,
    before anything is written, whatever it carries and even with a genuine CSRF token."""
    limited = variant(WTF_CSRF_ENABLED=True, MAX_CONTENT_LENGTH=64 * 1024)
    client, sessions = limited.test_client(), Sessions(app, people)

    @settings(CI, max_examples=EXAMPLES_PER_ROUTE)
    @given(request=any_route(people), padding=st.sampled_from(["a", "Ә", "\x00"]))
    def property(request, padding):
        endpoint, role, post = request
        sign_in_with_token(sessions, client, role)
        before = state(app)
        big = {"csrf_token": token_for(app), "padding": [(padding.encode() * 70_000, "big.pdf")]}
        response = send(client, endpoint, post._replace(data={**(post.data or {}), **big}, body=None))
        assert response.status_code in (404, 405, 413), f"{describe(endpoint, role, post)}: {response.status_code}"
        assert state(app) == before

    property()


TEXT_PARAMETERS = {endpoint: names for endpoint, rule in RULES.items()
                   if (names := [n for n in PARAMETER.findall(rule) if f"<int:{n}>" not in rule])}


@pytest.mark.parametrize("endpoint", sorted(TEXT_PARAMETERS))
def test_a_nul_in_a_url_is_not_found(app, people, endpoint):
    client, sessions = app.test_client(), Sessions(app, people)
    sessions.sign_in(client, roles_for(endpoint)[0])
    for value in ("\x00", "BE-2026\x00"):
        before = state(app)
        response = send(client, endpoint, Post(dict.fromkeys(TEXT_PARAMETERS[endpoint], value), {}))
        assert response.status_code < 500 and state(app) == before, f"{endpoint} {value!r}: {response.status_code}"


def test_a_url_encoded_body_is_held_to_the_form_memory_limit(client):
    body = b"email=" + b"%00" * (app_limit := 600_000)
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert app_limit > client.application.config["MAX_FORM_MEMORY_SIZE"]
    assert response.status_code == 413
