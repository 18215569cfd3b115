"""Fixtures in flaskr style (app, client, runner) with factories that return callables."""

import copy
import hashlib
import os
import re
import shutil
import tempfile
from contextlib import ExitStack
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from benchmarks.shared import own_postgres_database
from cabinet import queue, security
from cabinet.app import create_app
from cabinet.audit.models import AuditEvent
from cabinet.cli import upgrade
from cabinet.extensions import db
from tests.helpers import (
    EMAIL,
    NEW_PASSWORD,
    OPERATOR,
    PASSWORD,
    PDF,
    PRODUCTION,
    WRONG_PASSWORD,
    count,
    empty_database,
    link_in,
    registration,
    source_messages,
)
from tests.sharing import share_url_builders, sharing

#: fixtures several test modules use beside the ones here: the access table's world, the crawl's, the editor's
pytest_plugins = ("tests.access_table", "tests.crawling", "tests.editing")


#: a memory-backed folder, where the machine has one, for the session's temporary folders
MEMORY_FOLDER = "/dev/shm"


def pytest_configure(config):
    """The temporary folders (databases, uploads, outboxes, the CLI's and servers' files) in memory where the machine
    has a tmpfs: SQLite's syncs and the folders emptied after every test never wait for the disk. A TMPDIR someone set
    is kept; xdist's workers inherit the controller's."""
    if "TMPDIR" not in os.environ and os.access(MEMORY_FOLDER, os.W_OK) and not hasattr(config, "workerinput"):
        os.environ["TMPDIR"] = tempfile.tempdir = MEMORY_FOLDER
    share_url_builders()


def _database_url(tmp_path_factory) -> str:
    return os.environ.get("CABINET_TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def translations_dir(tmp_path_factory):
    """The live catalogs for the session, seeded from the package by the first app (never a developer's instance)."""
    return str(tmp_path_factory.mktemp("translations"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, translations_dir):
    """One database for the session, its schema made by the migrations (which tests them too)."""
    url = _database_url(tmp_path_factory)
    with ExitStack() as stack:
        if url.startswith("postgresql"):
            url = stack.enter_context(own_postgres_database(url, "cabinet_test"))  # parallel runs never meet
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test", "TESTING": True,
                          "TRANSLATIONS_DIR": translations_dir})
        upgrade(app)
        with app.app_context():
            db.engine.dispose()
        yield url


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap argon2 in tests; a dedicated test checks the real parameters."""
    monkeypatch.setattr(security, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def audit_signing_key(tmp_path_factory):
    """One checkpoint signing key for the session (development makes one in the instance folder instead)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path_factory.mktemp("audit") / "signing.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(path)


@pytest.fixture(scope="session")
def signing_pkcs12(tmp_path_factory):
    """The operator's signing key for the session: a development certificate, made once (RSA key generation)."""
    from cabinet.documents.keyfile import make_dev_certificate

    return make_dev_certificate(tmp_path_factory.mktemp("signing") / "operator.p12", "«Батыс Энергоресурсы» ЖШС")


@pytest.fixture
def trust(signing_pkcs12):
    """The development certificate as the only trust root, as an auditor given the operator's certificate would."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext

    from cabinet.documents.keyfile import DEV_CERTIFICATE

    return ValidationContext(trust_roots=[load_cert_from_pemder(str(signing_pkcs12.with_name(DEV_CERTIFICATE)))])


@pytest.fixture(scope="session")
def work_folder(tmp_path_factory) -> Path:
    """The uploads, the outbox and the checkpoints of the session's apps, emptied after each test."""
    return tmp_path_factory.mktemp("work")


@pytest.fixture
def app_config(database_url, work_folder, audit_signing_key, signing_pkcs12, translations_dir):
    """The tests' configuration; a module overrides this fixture to change a setting for all its tests."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_DIR": str(work_folder / "uploads"),
        "OUTBOX_DIR": str(work_folder / "outbox"),
        "BASE_URL": "http://cabinet.test",
        "AUDIT_SIGNING_KEY": audit_signing_key,
        "AUDIT_CHECKPOINT_FILE": str(work_folder / "audit-checkpoints.jsonl"),
        "SIGNING_PKCS12": str(signing_pkcs12),
        "TRANSLATIONS_DIR": translations_dir,
    }


class ClosingClient(FlaskClient):
    """Reads each response to its end and closes it, as a server does, so work after the response (mail) runs."""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


Flask.test_client_class = ClosingClient  # every app a test makes, the fixtures' and the tests' own


class LeftOver(AssertionError):
    """The database held rows when a test began: an earlier test wrote outside any cleanup."""


#: the test that ran last in this process, named when the next one finds rows it left
_previous = {"test": None}


def pytest_runtest_logfinish(nodeid, location):
    _previous["test"] = nodeid


class Built:
    """An app built once for a configuration and put back to how it was built after each test that used it.

    Building one (the URL map, each language's compiled templates, SQLAlchemy's compiled statements, which live
    with the engine) costs more than most tests; what a test may leave behind is undone in `leave`.
    """

    #: what the app writes outside the database, emptied after each test
    WRITTEN = ("UPLOAD_DIR", "OUTBOX_DIR", "AUDIT_CHECKPOINT_FILE")

    def __init__(self, config: dict):
        self.app = sharing(create_app(config))
        self.config = copy.deepcopy(dict(self.app.config))
        self.extensions = set(self.app.extensions)  # keys added later are caches filled by requests

    def enter(self) -> Flask:
        """Point the process-wide queue at this app, as create_app did, and check the database is empty: a row left
        from before is a test (or a thread or process it started) that wrote where no cleanup followed."""
        with self.app.app_context():
            left = holding_rows()
            db.session.remove()
            if left:  # emptied, so that only this test fails, then failed loudly
                with db.engine.begin() as conn:
                    empty_database(conn)
                raise LeftOver(f"rows in {', '.join(left)} before this test; the test run before it in this "
                               f"process: {_previous['test']}")
        queue.init_app(self.app)
        return self.app

    def leave(self) -> None:
        """Empty the tables and the folders, and drop what the test changed in the configuration and caches."""
        app = self.app
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                empty_database(conn, holding_rows(conn))  # a test writes to a few of the tables: only those
        for key in self.WRITTEN:
            path = Path(app.config[key])
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        for key in set(app.extensions) - self.extensions:
            del app.extensions[key]
        if (limiter := app.extensions["rate_limiter"]).enabled:
            limiter.reset()


def holding_rows(conn=None) -> list[str]:
    """The names of the tables that hold a row, in one statement."""
    quote = db.engine.dialect.identifier_preparer.quote
    return (conn or db.session).scalars(text(" UNION ALL ".join(
        f"SELECT '{table.name}' FROM (SELECT 1 FROM {quote(table.name)} LIMIT 1) AS "
        f"{quote(table.name + '_rows')}" for table in db.metadata.sorted_tables))).all()


@pytest.fixture(scope="session")
def built_apps() -> dict[str, Built]:
    return {}


@pytest.fixture
def app(app_config, built_apps):
    """An application on the session's (xdist: the worker's) database, one per configuration, emptied after each
    test."""
    key = repr(sorted(app_config.items()))
    built = built_apps.get(key) or built_apps.setdefault(key, Built(app_config))
    yield built.enter()
    built.leave()


@pytest.fixture
def own_app():
    """Factory: an app of a test's own (settings no other test shares, such as its own catalogs), checked and put
    back as the kept ones are when the test ends, then dropped."""
    made = []

    def make(config: dict) -> Flask:
        made.append(Built(config))
        return made[-1].enter()

    yield make
    for built in made:
        built.leave()
        with built.app.app_context():
            db.engine.dispose()


@pytest.fixture
def make_app(app):
    """Another app on the same database with some settings changed; disposed before the database is cleaned."""
    made = []
    keys = ("DATABASE_URL", "SECRET_KEY", "TESTING", "WTF_CSRF_ENABLED", "RATELIMIT_ENABLED", "UPLOAD_DIR",
            "OUTBOX_DIR", "BASE_URL", "AUDIT_SIGNING_KEY", "AUDIT_CHECKPOINT_FILE",
            "SIGNING_PKCS12", "TRANSLATIONS_DIR")

    def make(**overrides):
        new = sharing(create_app({**{k: app.config[k] for k in keys}, **overrides}))
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def production(app, make_app):
    """The same app as ENV=production with a proper key."""
    return make_app(**PRODUCTION, **OPERATOR)


@pytest.fixture
def limited(make_app):
    """Rate limiting on, with fresh in-memory counters of its own."""
    return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")


@pytest.fixture
def history(app, client, policy, outbox):
    """A realistic trail: registration, confirmation, a failed and a good sign-in, a phone change, a reset."""
    client.post("/register", data=registration())
    client.get(urlsplit(link_in(outbox()[-1])).path)
    client.post("/login", data={"email": EMAIL, "password": WRONG_PASSWORD})
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
    form = client.get("/cabinet/profile/edit").text
    once = re.search(r'name="submission_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="submission_token"', form)
    response = client.post("/cabinet/profile/edit", data={
        "surname": "Сейітова", "given_name": "Айгерім", "patronymic": "Нұрланқызы", "email": EMAIL,
        "phone": "+7 702 765 43 21", "submission_token": once.group(1) or once.group(2)})
    assert response.status_code == 302
    client.post("/logout")
    client.post("/reset", data={"email": EMAIL})
    path = urlsplit(link_in(outbox()[-1])).path
    assert client.post(path, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}).status_code == 302
    return count(app, AuditEvent)


@pytest.fixture
def marked_catalogs(tmp_path, make_app):
    """Factory: an app whose catalogs prefix every message with "[kk] " or "[ru] ".

    A test can then tell which language a page or a mail is in without depending on real wording.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from cabinet.extensions import babel

    for locale in ("kk", "ru"):
        catalog = Catalog(locale=locale)
        for message, context in source_messages():
            if isinstance(message, tuple):
                string = tuple(f"[{locale}] {message[min(i, 1)]}" for i in range(catalog.num_plurals))
            else:
                string = f"[{locale}] {message}"
            catalog.add(message, string, context=context)
        folder = tmp_path / "translations" / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "messages.mo").open("wb") as target:
            write_mo(target, catalog)
    made = []

    def make(**overrides):
        marked = make_app(TRANSLATIONS_DIR=str(tmp_path / "translations"), **overrides)
        with marked.app_context():
            babel.domain_instance.cache.clear()  # Flask-Babel caches catalogs per process, not per app
        made.append(marked)
        return marked

    yield make
    for marked in made:
        with marked.app_context():
            babel.domain_instance.cache.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def policy(app):
    """Policy version 1 in effect, as the demo publishes it."""
    from datetime import date

    from cabinet.policies.service import publish

    def make(label="1", effective_from=date(2026, 1, 1), kk="# Саясат\n\n**1.1.** Мәтін.",
             ru="# Политика\n\n**1.1.** Текст."):
        with app.app_context():
            version = publish(label, effective_from, {"kk": kk, "ru": ru}, {"kk": "Қысқаша", "ru": "Кратко"})
            db.session.commit()
            return version.id

    make()
    return make


@pytest.fixture
def create_user(app, policy):
    """Factory: a confirmed subject (or staff with roles=...) registered the way registration does it."""
    counter = iter(range(1, 10_000))

    def make(email=None, password=PASSWORD, roles=("subject",), confirmed=True, **profile):
        from cabinet.accounts import service
        from cabinet.database import utcnow
        from cabinet.documents import storage
        from cabinet.i18n import local_today
        from cabinet.policies.service import current_version
        from cabinet.registration.service import enrol

        n = next(counter)
        details = {"surname": "Сейітова", "given_name": "Айгерім", "phone": "+77011234567", **profile}
        with app.test_request_context():
            user = service.create_user(email or f"user{n}@example.kz", password, roles=roles, **details)
            if "subject" in roles:
                scan = storage.CheckedFile("id.pdf", "application/pdf", PDF, hashlib.sha256(PDF).hexdigest())
                enrol(user, current_version(local_today()), [scan], set(), locale="kk")  # the version in effect
            if confirmed:
                user.email_confirmed_at = utcnow()
            db.session.commit()
            user_id, email = user.id, user.email
        return _UserRef(user_id, email, password)

    return make


class _UserRef:
    """What a test needs of a user without holding a database session open."""

    def __init__(self, id, email, password):
        self.id, self.email, self.password = id, email, password

    def __repr__(self):
        return f"<user {self.id} {self.email}>"


@pytest.fixture
def login(client):
    def do(user, password=None, follow=False):
        return client.post("/login", data={"email": user.email, "password": password or user.password},
                           follow_redirects=follow)

    return do


@pytest.fixture
def outbox(app):
    """The mails written so far, parsed, oldest first."""

    def read():
        folder = Path(app.config["OUTBOX_DIR"])
        if not folder.exists():
            return []
        return [message_from_bytes(p.read_bytes(), policy=email_policy.default) for p in sorted(folder.glob("*.eml"))]

    return read


@pytest.fixture
def closed_port():
    """A loopback port nobody listens on: a mail server that is down."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: what `make check` leaves out (marker `slow`): each of these costs seconds of CPU, or a whole table of cases
SLOW_FILES = {"test_asvs.py", "test_properties_forms.py", "test_properties_uploads.py", "test_queries.py",
              "test_translation_canary.py", "test_worker.py", "test_headers.py", "test_crawl.py"}
SLOW_TESTS = {"test_route_answers_each_role_as_declared",
              "test_support_acting_for_a_subject_uses_that_subjects_cabinet",
              "test_staff_with_several_roles_but_no_subject_role_get_403_on_cabinet_pages",
              # query budgets over 50 subjects and a long history
              "test_the_archive_makes_a_bounded_number_of_queries",
              "test_queue_is_paginated_with_a_bounded_number_of_queries",
              # every position of a chain rewritten, each verdict walked again in two forked processes: ~1 s each
              "test_each_rewrite_is_found_where_one_walk_finds_it",
              # worker processes of their own, counting in one store
              "test_workers_share_the_limits_through_redis",
              "test_a_shared_store_out_of_reach_still_signs_in_and_still_limits",
              # a generated database and its benchmark pages; a fresh process loading the PDF stack: each the last
              # test of a make check, 12-23 s on one core while the other waited
              "test_a_small_generated_database_has_a_valid_chain_and_the_measured_pages_answer",
              "test_a_worker_loads_the_pdf_stack_with_its_first_document_and_parses_each_font_once"}


def pytest_collection_modifyitems(items):
    """Mark the slow ones in one place, so `make check` stays under a minute and `make test` still runs them."""
    for item in items:
        if item.path.name in SLOW_FILES or getattr(item, "originalname", item.name) in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
