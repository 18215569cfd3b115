"""The application factory: configuration, extensions, blueprints; the one module that knows every layer."""

from pathlib import Path
from types import FunctionType

from flask import Flask

from cabinet import acting, cli, database, errors, form_errors, i18n, mail, queue, scheduled, security, templating
from cabinet import config as defaults
from cabinet import forms as form_widgets
from cabinet.accounts import language, limits
from cabinet.accounts import operations as account_operations
from cabinet.accounts import views as accounts
from cabinet.admin import audit as admin_audit
from cabinet.admin import mail as admin_mail
from cabinet.admin import translators
from cabinet.admin import views as admin
from cabinet.audit import keys, labels
from cabinet.complaints import public_views as verify
from cabinet.complaints import service as complaint_service
from cabinet.complaints import staff_views as staff_complaints
from cabinet.complaints import verification
from cabinet.complaints import views as complaints
from cabinet.consents import views as consents
from cabinet.consents import withdrawal
from cabinet.disclosures import views as disclosures
from cabinet.documents import keyfile
from cabinet.extensions import csrf, db
from cabinet.mail import tasks
from cabinet.overview import views as overview
from cabinet.policies import views as policies
from cabinet.profile import service as profile_service
from cabinet.profile import views as profile
from cabinet.registration import views as registration
from cabinet.staff import views as staff
from cabinet.stats import views as stats
from cabinet.translate import packaged
from cabinet.translate import views as translate

BLUEPRINTS = (overview, accounts, language, profile, policies, consents, complaints, disclosures, staff,
              staff_complaints, admin, admin_mail, admin_audit, translate, verify, stats)
#: imported for the routes they add to another area's blueprint: /register joins accounts', the translators'
#: languages page joins translate's
ROUTES_ON_OTHER_BLUEPRINTS = (registration, translators)
#: imported for what they register with the queue: the worker's periodic tasks, mail delivery after each commit
QUEUE_TASKS = (scheduled, tasks)


class Cabinet(Flask):
    """Flask, remembering which hooks and views are plain functions: it asks inspect again for each on every call,
    about twenty times a request. Only functions are kept (hooks and views, registered once); one made per request
    (a deferred job's partial is not a function) could only fill the dict to its limit, which empties it."""

    #: hooks, views and error handlers are a few dozen
    SYNCED_LIMIT = 512

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.synced: dict = {}

    def ensure_sync(self, func):
        made = self.synced.get(func) if isinstance(func, FunctionType) else None
        if made is None:
            made = super().ensure_sync(func)
            if isinstance(func, FunctionType):
                if len(self.synced) >= self.SYNCED_LIMIT:
                    self.synced = {}
                self.synced[func] = made
        return made


def create_app(config=None):
    """Build the application: configuration, extensions, blueprints; nothing else happens here."""
    app = Cabinet("cabinet", instance_relative_config=True)  # templates/ and static/ inside the package
    app.config.from_object(defaults.Defaults)
    app.config.from_prefixed_env("CABINET")
    if config:
        app.config.from_mapping(config)
    defaults.finish(app)
    keys.settle_config(app.config, Path(app.instance_path))

    templating.init_app(app)  # first: the others add to the template environment it makes
    db.init_app(app)
    database.init_app(app)
    security.init_guards(app)  # before CSRF protection, which reads the form first
    csrf.init_app(app)
    form_widgets.init_app(app)
    security.csrf_on_changes_only(app)
    limits.init_app(app)  # the app's own limiter
    i18n.init_app(app)
    app.extensions["cabinet_catalog_conflicts"] = packaged.sync(app)  # the live catalogs seeded or merged
    security.init_app(app)
    errors.init_app(app)
    form_errors.init_app(app)
    labels.init_app(app)
    acting.init_app(app)
    queue.init_app(app)
    mail.delivery.init_app(app)
    cli.init_app(app)
    keyfile.init_app(app)

    account_operations.register_email_change(profile_service.apply_email_change)
    withdrawal.register_obligations("correction", profile_service.owed_corrections)
    withdrawal.register_obligations("complaint", complaint_service.owed_answers)
    for area in BLUEPRINTS:
        app.register_blueprint(area.bp)
    verification.check_config(app.config)
    return app
