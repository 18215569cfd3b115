"""Command-line groups: each area brings its commands, registered here in one place."""

import functools
import os
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from cabinet.extensions import db
from cabinet.transaction import committed, committing

users_cli = AppGroup("users", help="Manage accounts.")
def job_actor():
    """The --actor of the running job, loaded in this session (or None)."""
    from cabinet.accounts.models import User
    from cabinet.audit.who import current_job

    running = current_job()
    return db.session.get(User, running["by"]) if running and running.get("by") else None


audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")
policy_cli = AppGroup("policy", help="Policy versions.")
i18n_cli = AppGroup("i18n", help="The translators' catalog workflow.")
consents_cli = AppGroup("consents", help="Consents and their consequences.")
mail_cli = AppGroup("mail", help="Mail to many subjects, in batches; the delivery queue.")
documents_cli = AppGroup("documents", help="Stored scans and the operator's signing key.")
complaints_cli = AppGroup("complaints", help="Complaints and their frozen document versions.")
deadlines_cli = AppGroup("deadlines", help="The deadlines the operator must keep.")


def named_job(name: str):
    """Run the command as a named job: every trail event it records names the job, the machine account that
    ran it (the person behind sudo) and, with --actor, the staff member or admin on whose decision it runs. The
    job is the command's transaction edge (cabinet.transaction): what it wrote commits when it returns, and
    nothing of it stays when it fails."""

    def decorator(command):
        @click.option("--actor", "actor_email", metavar="EMAIL", default=None,
                      help="The staff member or admin on whose decision this runs (recorded in the trail).")
        @functools.wraps(command)
        def wrapper(*args, actor_email=None, **kwargs):
            from cabinet.audit import who

            with who.job(name, actor=_staff_by_email(actor_email)):
                return committed(command)(*args, **kwargs)

        return wrapper

    return decorator


def _staff_by_email(email: str | None):
    """The --actor of a job: an existing support or admin account, or the command stops before doing anything."""
    if email is None:
        return None
    from cabinet.accounts.service import find_by_email

    user = find_by_email(email)
    if user is None or not (user.has_role("support") or user.has_role("admin")):
        raise click.ClickException(f"--actor {email}: no support or admin account has this address")
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, default=("subject",),
              type=click.Choice(["subject", "support", "translator", "admin"]), help="Repeat for several roles.")
@click.option("--surname", default="—")
@click.option("--given-name", default="—")
@named_job("users create")
def create_user(email, roles, surname, given_name):
    """Create an account; the password is read from standard input."""
    from cabinet.accounts.passwords import personal_words, too_guessable
    from cabinet.accounts.service import AccountError
    from cabinet.accounts.service import create_user as create
    from cabinet.forms import normalize_email

    password = sys.stdin.readline().rstrip("\r\n") if not sys.stdin.isatty() else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        raise click.ClickException(f"the password must be at least {minimum} characters")
    if too_guessable(password, personal_words(email, surname, given_name)):
        raise click.ClickException("the password is too easy to guess: choose a longer, less predictable one")
    try:
        with committing():  # on record before it is said done
            user = create(normalize_email(email), password, roles=roles, surname=surname, given_name=given_name,
                          actor=job_actor())
    except (AccountError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {user.email} ({', '.join(user.role_names)})")


@users_cli.command("languages")
@click.argument("email")
@click.argument("locales", nargs=-1)
@named_job("users languages")
def translator_languages(email, locales):
    """Limit a translator to the given languages; none given (or all of them) lifts the limit."""
    from cabinet.accounts.service import find_by_email
    from cabinet.translate.access import set_languages

    user = find_by_email(email)
    if user is None or not user.has_role("translator"):
        raise click.ClickException(f"no translator with the e-mail {email}")
    try:
        with committing():
            chosen = set_languages(user, locales, actor=None)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{user.email} may edit: {', '.join(chosen) if chosen else 'every language'}")


@audit_cli.command("verify")
@click.option("--checkpoints", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check against this copy of the checkpoints (the one shipped off the box) instead of the "
                   "configured file; no new checkpoint is written then.")
@click.option("--no-checkpoint", is_flag=True, help="Do not end with a new checkpoint of the verified head.")
def verify_audit(checkpoint_file, no_checkpoint):
    """Check the MAC chain and its signed checkpoints; exits non-zero on any change, gap, reordering or removal."""
    from cabinet.audit import checkpoints
    from cabinet.audit.trail import verify

    found, bad_checkpoint = checkpoints.read(checkpoint_file)
    verdict = verify(anchors=checkpoints.anchors(found), processes=os.cpu_count() or 1)
    if not verdict.ok:
        click.echo(f"audit trail TAMPERED WITH from position {verdict.seq}: {verdict.problem} "
                   f"({verdict.checked} events verified before it)", err=True)
    if bad_checkpoint is not None:
        where = f" (it claims position {bad_checkpoint.seq})" if bad_checkpoint.seq is not None else ""
        click.echo(f"audit checkpoints TAMPERED WITH: {bad_checkpoint}{where}; "
                   f"{len(found)} checkpoints before it are sound", err=True)
    if not verdict.ok or bad_checkpoint is not None:
        sys.exit(1)
    latest = f", the latest at position {found[-1].seq}" if found else ""
    click.echo(f"audit trail intact: {verdict.checked} events verified, {verdict.anchored} of {len(found)} "
               f"checkpoints matched{latest}")
    if not found and verdict.checked:
        click.echo("warning: no checkpoint anchors the chain outside the database yet", err=True)
    if not no_checkpoint and not checkpoint_file and verdict.checked:
        _checkpoint(verdict.head, only_if_newer=True)


@audit_cli.command("checkpoint")
def checkpoint_audit():
    """Verify the events since the latest checkpoint, then sign the head into the checkpoints file (and mail it)."""
    from cabinet.audit import checkpoints
    from cabinet.audit.trail import verify

    found, bad_checkpoint = checkpoints.read()
    if bad_checkpoint is not None:
        raise click.ClickException(f"audit checkpoints TAMPERED WITH: {bad_checkpoint}; run `audit verify`")
    after = (found[-1].seq, found[-1].mac, found[-1].key_id) if found else None
    verdict = verify(anchors=checkpoints.anchors(found[-1:]), after=after)
    if not verdict.ok:
        raise click.ClickException(f"audit trail TAMPERED WITH from position {verdict.seq}: {verdict.problem}; "
                                   "no checkpoint written")
    _checkpoint(verdict.head if verdict.checked or not after else after, mail=True)


def _checkpoint(head, *, only_if_newer=False, mail=False) -> None:
    from cabinet.audit import checkpoints
    from cabinet.mail import send

    try:
        line = checkpoints.append(*head, only_if_newer=only_if_newer)
    except OSError as error:
        raise click.ClickException(f"could not write the checkpoint to "
                                   f"{current_app.config['AUDIT_CHECKPOINT_FILE']}: {error}") from error
    if line is None:
        click.echo(f"checkpoint at position {head[0]} already taken")
        return
    click.echo(f"checkpoint at position {head[0]} written to {current_app.config['AUDIT_CHECKPOINT_FILE']}")
    recipient = current_app.config.get("AUDIT_MAIL_TO")
    if mail and recipient:
        with committing():  # the mail goes to the queue on this commit
            send(recipient, "audit_checkpoint", locale=current_app.config["AUDIT_MAIL_LOCALE"], seq=head[0],
                 line=line)
        click.echo(f"checkpoint mailed to {recipient}")


@audit_cli.command("public-key")
def audit_public_key():
    """Print the checkpoint signing key's public half (PEM): for the auditor, and for AUDIT_VERIFY_KEYS."""
    from cabinet.audit.keys import public_pem

    click.echo(public_pem().decode().strip())


@policy_cli.command("publish")
@click.argument("label")
@click.option("--effective-from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--kk", "kk_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ru", "ru_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--summary-kk", default="")
@click.option("--summary-ru", default="")
@named_job("policy publish")
def publish_policy(label, effective_from, kk_file, ru_file, summary_kk, summary_ru):
    """Publish a new policy version from Markdown texts."""
    from flask_babel import force_locale

    from cabinet.policies.service import PolicyError, publish

    try:
        with committing():
            version = publish(label, effective_from.date(),
                              {"kk": kk_file.read_text(encoding="utf-8"), "ru": ru_file.read_text(encoding="utf-8")},
                              {"kk": summary_kk, "ru": summary_ru}, actor=job_actor())
    except UnicodeDecodeError as error:
        raise click.ClickException(str(error)) from error
    except PolicyError as error:
        with force_locale("en"):  # the operator's terminal speaks the source language, as every other command
            raise click.ClickException(f"version {label}: {error}") from error
    click.echo(f"published policy version {version.label}, effective from {version.effective_from}")


@policy_cli.command("notify")
@click.option("--batch-size", default=500, show_default=True)
@named_job("policy notify")
def notify_policy(batch_size):
    """Mail every subject who has not acknowledged the current version (resumable, never twice)."""
    from cabinet.i18n import local_today
    from cabinet.policies.notify import notify_batch
    from cabinet.policies.service import current_version

    version = current_version(local_today())
    if version is None:
        raise click.ClickException("no policy version is in effect")
    total = 0
    while True:
        with committing():  # each batch is on record (and its mail on the way) before the next
            sent = notify_batch(version, batch_size)
        if not sent:
            break
        total += sent
        click.echo(f"sent {total}")
    click.echo(f"version {version.label}: {total} subjects notified")


@consents_cli.command("destroy-due")
@named_job("consents destroy-due")
def destroy_due():
    """Destroy the data of subjects whose withdrawal deadline has come; keep what the law requires."""
    from cabinet.i18n import local_today
    from cabinet.scheduled import carry_out_withdrawals

    click.echo(f"{carry_out_withdrawals(local_today())} withdrawals carried out")


@deadlines_cli.command("remind")
@named_job("deadlines remind")
def deadlines_remind():
    """Mail support what falls due within 3 working days and the admins what is overdue (once a day)."""
    from cabinet.i18n import local_today
    from cabinet.staff.reminders import remind

    with committing():
        mailed = remind(local_today())
    click.echo(f"{mailed['support']} due soon mailed to support, {mailed['admins']} overdue mailed to the admins")


@mail_cli.command("marketing")
@click.option("--kk", "kk_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ru", "ru_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def mail_marketing(kk_file, ru_file):
    """Send news (first line: subject) only to subjects whose marketing consent is granted now."""
    from cabinet.consents.marketing import consenting_subjects
    from cabinet.mail import external_url, send

    texts = {}
    for locale, path in (("kk", kk_file), ("ru", ru_file)):
        subject, _sep, body = path.read_text(encoding="utf-8").strip().partition("\n")
        texts[locale] = (subject.strip(), body.strip())
    link, last_id, total = external_url("consents.index"), 0, 0
    while batch := consenting_subjects("marketing", after_id=last_id):
        with committing():  # each batch is on record (and on its way to the worker) before the next
            for user in batch:
                subject, body = texts.get(user.locale, texts["kk"])
                send(user.email, "marketing", locale=user.locale, user=user, subject=subject, body=body, link=link)
        last_id, total = batch[-1].id, total + len(batch)
    click.echo(f"marketing mail sent to {total} subjects")


@mail_cli.command("send-queued")
@click.option("--older-than", default=0, show_default=True,
              help="Only mail whose next attempt has been due at least this many seconds.")
def mail_send_queued(older_than):
    """Send the mail that is due here and now, without the worker (it does this by itself every minute)."""
    from cabinet.mail.delivery import deliver_due

    sent, unsent = deliver_due(timedelta(seconds=older_than))
    click.echo(f"{sent} sent, {unsent} still queued")
    if unsent:
        raise SystemExit(1)


@mail_cli.command("status")
def mail_status():
    """How many mails are queued, being sent, sent and failed."""
    from cabinet.mail.delivery import counts

    for state, count in counts().items():
        click.echo(f"{state:8} {count}")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1),
              help="Threads delivering mail; the periodic work runs beside them.")
@with_appcontext
def worker(workers):
    """The background worker: mail delivery with retries, withdrawals due, stale uploads (no cron needed)."""
    import logging

    from cabinet.queue import consumer, huey

    if huey.immediate:
        raise click.ClickException("CABINET_QUEUE_URL=immediate: runs every task where it is enqueued; "
                                   "a worker needs a queue (unset for SQLite in the instance folder, or redis://…)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    click.echo(f"worker on {current_app.config['QUEUE_URL']} with {workers} delivery threads")
    consumer(workers).run()


@documents_cli.command("sweep")
@click.option("--older-than", "minutes", default=60, show_default=True, type=click.IntRange(min=0),
              help="Minutes; younger files may belong to an upload still in progress.")
@named_job("documents sweep")
def sweep_documents(minutes):
    """Delete files kept on a preview over a day ago that no form took, and upload files that no document names
    (left by a process killed mid-upload)."""
    from datetime import timedelta

    from cabinet.documents import drafts
    from cabinet.documents.storage import sweep

    with committing():  # the sweep's trail events; the drafts' files go once it commits
        removed = sweep(timedelta(minutes=minutes))  # first: a draft's file is known until the draft is gone
        expired = drafts.expire(drafts.MAX_AGE)
    for path in removed:
        click.echo(f"removed {path.name}")
    click.echo(f"{len(removed)} orphaned files removed")
    click.echo(f"{expired} unsent drafts older than a day removed")


@complaints_cli.command("freeze")
def freeze_complaints():
    """Give every complaint filed before document versions its reconstructed version 1 (idempotent)."""
    from sqlalchemy import select

    from cabinet.complaints import versions
    from cabinet.complaints.models import Complaint, ComplaintVersion

    pending = select(Complaint).where(~select(ComplaintVersion.id).where(
        ComplaintVersion.complaint_id == Complaint.id).exists()).order_by(Complaint.id)
    made = 0
    for complaint in db.session.scalars(pending).all():
        with committing():
            versions.ensure(complaint)
        made += 1
    click.echo(f"{made} complaints given a reconstructed version 1")


@documents_cli.command("dev-cert")
def documents_dev_cert():
    """Make the development signing certificate in the instance folder, unless a PKCS#12 file is configured."""
    from cabinet.documents.keyfile import DEV_CERTIFICATE, pkcs12_path
    from cabinet.documents.signing import current_operator

    if current_app.config.get("SIGNING_PKCS12"):
        click.echo(f"signing with the configured {current_app.config['SIGNING_PKCS12']}; nothing made")
        return
    try:
        path = pkcs12_path()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"signing as {current_operator().name!r} with {path} (certificate: {path.with_name(DEV_CERTIFICATE)})")


@i18n_cli.command("extract")
def i18n_extract():
    """Write messages.pot from the code and templates."""
    from cabinet.translate.catalogs import extract

    click.echo(f"wrote {extract()}")


@i18n_cli.command("update")
def i18n_update():
    """Merge messages.pot into the Kazakh and Russian catalogs."""
    from cabinet.translate.catalogs import update

    update()


@i18n_cli.command("compile")
def i18n_compile():
    """Compile the catalogs to .mo files."""
    from cabinet.translate.catalogs import compile_all

    compile_all()


@i18n_cli.command("sync")
def i18n_sync():
    """Seed the live catalogs from the package, or merge a newer packaged catalog into them (done at every start)."""
    from cabinet.translate.catalogs import translations_dir
    from cabinet.translate.packaged import REPORT

    for conflict in current_app.extensions["cabinet_catalog_conflicts"]:
        click.echo(conflict, err=True)
    click.echo(f"catalogs in {translations_dir()} up to date with the package")
    if (translations_dir() / REPORT).exists():
        click.echo(f"merge conflicts so far (the translators' text was kept): {translations_dir() / REPORT}", err=True)


@i18n_cli.command("export")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into; the package's translations/ by default.")
def i18n_export(to):
    """Write the live catalogs (what translators saved in the browser) back into the package, for a commit."""
    from cabinet.translate.packaged import export

    for path in export(to):
        click.echo(f"wrote {path}")


@i18n_cli.command("check")
def i18n_check():
    """Fail on untranslated or fuzzy entries, broken placeholders or tags, and a stale template."""
    from cabinet.translate.catalogs import check

    report = check()
    for line in report:
        click.echo(line, err=True)
    if report:
        sys.exit(1)
    click.echo("catalogs complete and consistent")


@click.command("demo")
@with_appcontext
def demo():
    """Load the demo data (idempotent) and print the logins."""
    from cabinet.demo.load import load

    with committing():
        lines = load()
    for line in lines:
        click.echo(line)


MIGRATIONS = str(Path(__file__).parent / "migrations")


def migrations(app):
    """Flask-Migrate set up on the app at first need — `flask db …`, or code that migrates (tests, benchmarks) —
    so a web worker never loads it and Alembic (12 MB a process)."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=MIGRATIONS)  # also puts Flask-Migrate's own `db` group on app.cli
    return app.extensions["migrate"]


def upgrade(app) -> None:
    """The schema to the newest migration, as `flask db upgrade` does."""
    from flask_migrate import upgrade as upgrade_to_head

    migrations(app)
    with app.app_context():
        upgrade_to_head()


class Migrations(click.Group):
    """`flask db …`: stands in the command list for Flask-Migrate's group and hands it the command line when used."""

    def make_context(self, info_name, args, parent=None, **extra):
        migrations(parent.find_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def init_app(app):
    for command in (users_cli, audit_cli, policy_cli, i18n_cli, consents_cli, mail_cli, documents_cli, complaints_cli,
                    deadlines_cli, demo, worker):
        app.cli.add_command(command)
    app.cli.add_command(Migrations("db", help="Database migrations (Flask-Migrate, Alembic)."))
