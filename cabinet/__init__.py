"""Cabinet: the personal data cabinet of a Kazakhstan personal-data operator."""

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """Build the application: configuration, extensions, blueprints; nothing else happens here."""
    app = Flask(__name__, instance_relative_config=True)  # templates/ and static/ inside the package
    from cabinet import config as defaults

    app.config.from_object(defaults.Defaults)
    app.config.from_prefixed_env("CABINET")
    if config:
        app.config.from_mapping(config)
    defaults.finish(app)

    from cabinet import acting, cli, database, errors, form_errors, i18n, mail, queue, security, templating
    from cabinet.audit import labels
    from cabinet.documents import signing
    from cabinet.extensions import csrf, db, limiter, migrate

    templating.init_app(app)  # first: the others add to the template environment it makes
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    form_errors.init_app(app)
    labels.init_app(app)
    acting.init_app(app)
    queue.init_app(app)
    mail.delivery.init_app(app)
    cli.init_app(app)
    signing.init_app(app)

    from cabinet.accounts import views as accounts
    from cabinet.admin import mail as admin_mail
    from cabinet.admin import views as admin
    from cabinet.complaints import public_views as verify
    from cabinet.complaints import staff_views as staff_complaints
    from cabinet.complaints import verification
    from cabinet.complaints import views as complaints
    from cabinet.consents import views as consents
    from cabinet.disclosures import views as disclosures
    from cabinet.overview import views as overview
    from cabinet.policies import views as policies
    from cabinet.profile import views as profile
    from cabinet.staff import views as staff
    from cabinet.stats import views as stats
    from cabinet.translate import views as translate

    for area in (overview, accounts, profile, policies, consents, complaints, disclosures, staff,
                 staff_complaints, admin, admin_mail, translate, verify, stats):
        app.register_blueprint(area.bp)
    from cabinet import scheduled  # noqa: F401  the worker's periodic tasks, registered with the queue
    from cabinet.mail import tasks  # noqa: F401  mail delivery, enqueued after each commit

    verification.check_config(app.config)
    return app
