"""Configuration defaults; the environment (CABINET_*) and the test mapping override them."""

import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"
MIN_SECRET_LENGTH = 32
PLACEHOLDER_BIN = "000000000000"
#: DEVELOPMENT DEFAULTS, invented: the policy names the operator and its site (batyser.kz) but gives no address,
#: phone or responsible person. Plausible values so pages and documents look as they will; production must set
#: every one of them (CABINET_OPERATOR_…), and refuses to start otherwise
DEVELOPMENT_OPERATOR = {
    "OPERATOR_ADDRESS": "090000, Батыс Қазақстан облысы, Орал қаласы, Достық даңғылы, 1",
    "OPERATOR_ADDRESS_RU": "090000, Западно-Казахстанская область, г. Уральск, проспект Достык, 1",
    "OPERATOR_PHONE": "+7 (7112) 00-00-00",
    "OPERATOR_EMAIL": "personal-data@batyser.kz",
    "OPERATOR_RESPONSIBLE": "Заң бөлімінің бастығы",
    "OPERATOR_RESPONSIBLE_RU": "Начальник юридического отдела",
}
#: what production needs set, with the variable's meaning for the message that refuses to start without it
OPERATOR_CONTACTS = {
    "OPERATOR_ADDRESS": "the operator's legal address in Kazakh",
    "OPERATOR_ADDRESS_RU": "the operator's legal address in Russian",
    "OPERATOR_PHONE": "the operator's phone",
    "OPERATOR_EMAIL": "the e-mail for personal-data requests",
    "OPERATOR_RESPONSIBLE": "the person responsible for organising personal-data processing (law art. 25), "
                            "in Kazakh",
    "OPERATOR_RESPONSIBLE_RU": "the person responsible for organising personal-data processing (law art. 25), "
                               "in Russian",
}
BIN = re.compile(r"\d{12}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: a phone's digits: a Kazakh number has 11 (+7 and 10), an international one at most 15
PHONE_DIGITS = range(10, 16)


class Defaults:
    """Development defaults: SQLite in the instance folder, mail to files, in-memory rate limits."""

    ENV = "development"
    DATABASE_URL = None  # filled in from the instance folder when left unset
    SECRET_KEY = None  # generated once and kept in the instance folder when left unset
    UPLOAD_DIR = None
    OUTBOX_DIR = None
    #: rewritten by every commit that changes the calendar's overrides; each worker reads them again when it changes
    #: (the instance folder by default, which a host's workers share; several hosts need a path they all see)
    CALENDAR_STAMP_FILE = None
    SMTP_URL = None
    MAIL_FROM = "cabinet@batyser.kz"
    #: the cabinet's public address, used in mailed links (never the request's Host header);
    #: development falls back to DEVELOPMENT_BASE_URL, production must set an https address
    BASE_URL = None
    #: how many reverse proxies (nginx) stand in front: their X-Forwarded-For/-Proto are believed, nobody else's
    TRUSTED_PROXIES = 0
    #: where the rate limits count; memory:// counts per process, so production needs a shared store (Redis)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    #: when the shared store cannot be reached, each worker counts in its own memory until it is back:
    #: weaker limits for a while rather than no sign-in at all (a 500) or no limits
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: the last hour's attempts, not the clock hour's: no double burst across a window's edge
    RATELIMIT_STRATEGY = "moving-window"
    TIMEZONE = "Asia/Almaty"
    OPERATOR_NAME = "«Батыс Энергоресурсы» ЖШС"
    OPERATOR_NAME_RU = "ТОО «Батыс Энергоресурсы»"
    #: the operator's business identification number (12 digits, the last a check digit); this placeholder is
    #: refused in production
    OPERATOR_BIN = PLACEHOLDER_BIN
    #: how a resident reaches the operator (footer, overview, issued documents): the legal address in Kazakh and
    #: Russian, a phone, the e-mail for personal-data requests and the person responsible for organising the
    #: processing of personal data (law art. 25), name and/or title in Kazakh and Russian. Required in production;
    #: unset in development, they take DEVELOPMENT_OPERATOR's invented values
    OPERATOR_ADDRESS = None
    OPERATOR_ADDRESS_RU = None
    OPERATOR_PHONE = None
    OPERATOR_EMAIL = None
    OPERATOR_RESPONSIBLE = None
    OPERATOR_RESPONSIBLE_RU = None
    #: the first part of complaint numbers, e.g. BE-2026-000123
    COMPLAINT_PREFIX = "BE"
    #: keys of the complaints' verification codes, id → secret (JSON in the environment); unset: {"S1": SECRET_KEY}
    VERIFICATION_KEYS = None
    #: the key new document versions are coded with; unset: "S1"
    VERIFICATION_KEY_ID = None
    TRANSLATIONS_DIR = None
    #: the audit chain's MAC keys, key id -> secret (CABINET_AUDIT_KEYS='{"2026a": "…"}'); required in production,
    #: development derives one from SECRET_KEY under the id "dev"
    AUDIT_KEYS = None
    #: the key id new events are chained with; may be left out when AUDIT_KEYS holds one key
    AUDIT_KEY_ID = None
    #: a PEM Ed25519 private key that signs checkpoints; required in production, development makes one
    AUDIT_SIGNING_KEY = None
    #: PEM public keys (paths) of earlier signing keys whose checkpoints must still verify
    AUDIT_VERIFY_KEYS = None
    #: the file checkpoints are appended to (one JSON line each); ship it off the box
    AUDIT_CHECKPOINT_FILE = None
    #: who is mailed each checkpoint `flask audit checkpoint` takes, and in which language
    AUDIT_MAIL_TO = None
    AUDIT_MAIL_LOCALE = "kk"
    #: after a commit that recorded events, a checkpoint is taken when the last one is this many events or
    #: seconds behind (0 switches the automatic checkpoints off)
    AUDIT_CHECKPOINT_EVERY_EVENTS = 1000
    AUDIT_CHECKPOINT_EVERY_SECONDS = 300
    #: `audit verify` walks a chain longer than two of these in stretches, one process per core
    AUDIT_VERIFY_STRETCH_EVENTS = 100_000
    #: the operator's PAdES signature on issued PDFs: a PKCS#12 file (key and certificate) and its password;
    #: unset outside production, a self-signed development certificate is made in the instance folder
    SIGNING_ENABLED = True
    SIGNING_PKCS12 = None
    SIGNING_PKCS12_PASSWORD = None
    #: an RFC 3161 timestamp server makes the signatures PAdES B-T; none by default (B-B)
    SIGNING_TIMESTAMP_URL = None

    #: the background queue: unset is a SQLite file in the instance folder (one machine); redis://host:6379/1 for
    #: several; "immediate:" runs each task at once in the process that commits (the tests' default)
    QUEUE_URL = None
    #: a worker that claimed a mail owns it this long; if it dies, the mail is claimable again afterwards
    MAIL_LEASE_SECONDS = 300
    #: the first retry after a failed attempt; each next one waits twice as long, at most an hour
    MAIL_RETRY_SECONDS = 30

    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    MAX_UPLOAD_FILES = 5
    MAX_CONTENT_LENGTH = 52 * 1024 * 1024
    PASSWORD_MIN_LENGTH = 10
    CONFIRM_MAX_AGE = 3 * 24 * 3600
    RESET_MAX_AGE = 3600

    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "cabinet_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    BABEL_DEFAULT_LOCALE = "kk"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    LANGUAGES = ("kk", "ru")


def finish(app):
    """Fill the values that depend on the instance folder and enforce the production rules."""
    instance = Path(app.instance_path)
    cfg = app.config
    production = cfg["ENV"] == "production"
    if production:
        _check_production(cfg)
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(instance)
    cfg["BASE_URL"] = (cfg.get("BASE_URL") or DEVELOPMENT_BASE_URL).rstrip("/")
    cfg["TRUSTED_PROXIES"] = int(cfg.get("TRUSTED_PROXIES") or 0)
    if not cfg.get("DATABASE_URL"):
        instance.mkdir(parents=True, exist_ok=True)
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'cabinet.sqlite'}"
    cfg["SQLALCHEMY_DATABASE_URI"] = cfg["DATABASE_URL"]
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(cfg["DATABASE_URL"], cfg.get("SQLALCHEMY_ENGINE_OPTIONS"))
    cfg["UPLOAD_DIR"] = str(cfg.get("UPLOAD_DIR") or instance / "uploads")
    cfg["OUTBOX_DIR"] = str(cfg.get("OUTBOX_DIR") or instance / "outbox")
    cfg["CALENDAR_STAMP_FILE"] = str(cfg.get("CALENDAR_STAMP_FILE") or instance / "calendar.stamp")
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    if not cfg.get("QUEUE_URL"):
        cfg["QUEUE_URL"] = "immediate:" if cfg.get("TESTING") else f"sqlite:///{instance / 'queue.sqlite'}"
    _operator_settings(cfg, production)
    # the live catalogs translators edit, seeded from the package's (cabinet/translate/packaged.py); absolute:
    # Flask-Babel resolves a relative directory against the package (cabinet/), not the working directory
    cfg["TRANSLATIONS_DIR"] = str(Path(cfg.get("TRANSLATIONS_DIR") or instance / "translations").resolve())
    cfg["BABEL_TRANSLATION_DIRECTORIES"] = cfg["TRANSLATIONS_DIR"]
    if production:
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True
        cfg["DEBUG"] = False


def _engine_options(url: str, given: dict | None) -> dict:
    """A server database may restart: test a pooled connection before use, so one restart costs no request."""
    options = {} if url.startswith("sqlite") else {"pool_pre_ping": True}
    return {**options, **(given or {})}


def _check_production(cfg) -> None:
    """Refuse to start with settings that are only safe on a developer's machine."""
    if not cfg.get("SECRET_KEY"):
        raise RuntimeError("CABINET_SECRET_KEY must be set when CABINET_ENV=production")
    if len(str(cfg["SECRET_KEY"])) < MIN_SECRET_LENGTH:
        raise RuntimeError(f"CABINET_SECRET_KEY must be at least {MIN_SECRET_LENGTH} random characters")
    if not str(cfg.get("BASE_URL") or "").startswith("https://"):
        raise RuntimeError("CABINET_BASE_URL must be set to the cabinet's https:// address when CABINET_ENV=production")
    if cfg.get("RATELIMIT_ENABLED") and urlsplit(str(cfg.get("RATELIMIT_STORAGE_URI") or "")).scheme in ("", "memory"):
        raise RuntimeError("CABINET_RATELIMIT_STORAGE_URI must name a store all workers share (redis://host:6379/0) "
                           "when CABINET_ENV=production: in memory each worker counts alone, and the limits multiply")
    if str(cfg.get("QUEUE_URL") or "").startswith("immediate"):
        raise RuntimeError("CABINET_QUEUE_URL=immediate: runs background work inside web requests; production needs "
                           "the worker's queue (unset for SQLite in the instance folder, or redis://host:6379/1)")
    keys = cfg.get("AUDIT_KEYS")
    if not keys:
        raise RuntimeError('CABINET_AUDIT_KEYS must be set when CABINET_ENV=production: {"key id": "secret", …}, '
                           "kept outside the database (the audit chain's MAC keys)")
    if isinstance(keys, dict) and any(len(str(secret)) < MIN_SECRET_LENGTH for secret in keys.values()):
        raise RuntimeError(f"CABINET_AUDIT_KEYS: each secret must be at least {MIN_SECRET_LENGTH} random characters")
    if not cfg.get("AUDIT_SIGNING_KEY"):
        raise RuntimeError("CABINET_AUDIT_SIGNING_KEY must name the Ed25519 private key (PEM file) that signs the "
                           "audit checkpoints when CABINET_ENV=production")
    if cfg.get("SIGNING_ENABLED") and not cfg.get("SIGNING_PKCS12"):
        raise RuntimeError("CABINET_SIGNING_PKCS12 must name the operator's PKCS#12 file (key and certificate) when "
                           "CABINET_ENV=production, or CABINET_SIGNING_ENABLED=false must say that documents go "
                           "out unsigned")
    _check_operator(cfg)


def _check_operator(cfg) -> None:
    """A resident must be able to identify and reach the operator on every page and document it issues."""
    number = str(cfg.get("OPERATOR_BIN") or "").strip()
    if not number or number == PLACEHOLDER_BIN:
        raise RuntimeError("CABINET_OPERATOR_BIN must be set to the operator's BIN when CABINET_ENV=production "
                           f"({PLACEHOLDER_BIN} is the development placeholder)")
    if not bin_is_valid(number):
        raise RuntimeError(f"CABINET_OPERATOR_BIN {number!r} is not a valid BIN: 12 digits whose last is the check "
                           "digit of the first eleven")
    for name, meaning in OPERATOR_CONTACTS.items():
        if not str(cfg.get(name) or "").strip():
            raise RuntimeError(f"CABINET_{name} must be set when CABINET_ENV=production: {meaning}, shown on every "
                               "page and on the documents the cabinet issues")
    if not EMAIL.fullmatch(str(cfg["OPERATOR_EMAIL"]).strip()):
        raise RuntimeError("CABINET_OPERATOR_EMAIL must be an e-mail address (name@domain.kz)")
    if len(re.sub(r"\D", "", str(cfg["OPERATOR_PHONE"]))) not in PHONE_DIGITS:
        raise RuntimeError("CABINET_OPERATOR_PHONE must be a phone number with its country code (+7 7112 00 00 00)")


def bin_is_valid(number: str) -> bool:
    """12 digits with a right check digit (the IIN/BIN rule: weights 1–11, then 3–11,1,2 when the sum gives 10)."""
    if not BIN.fullmatch(number):
        return False
    digits = [int(d) for d in number]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
        if check != 10:
            return check == digits[11]
    return False


def _operator_settings(cfg, production: bool) -> None:
    """Texts as texts (the environment's JSON makes a BIN a number); development fills the invented contacts."""
    cfg["OPERATOR_BIN"] = str(cfg.get("OPERATOR_BIN") or "").strip()
    for name in OPERATOR_CONTACTS:
        value = str(cfg.get(name) or "").strip()
        cfg[name] = value or ("" if production else DEVELOPMENT_OPERATOR[name])


def _instance_secret(instance: Path) -> str:
    """A development key made once, so sessions survive restarts without a configured secret."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
