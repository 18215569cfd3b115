"""`flask --app wsgi users languages EMAIL [kk] [ru]`: limit a translator to some languages from the shell."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from cabinet.extensions import db


@click.command("languages")
@click.argument("email")
@click.argument("locales", nargs=-1)
@with_appcontext
def languages(email, locales):
    """Limit a translator to the given languages; none given (or all of them) lifts the limit."""
    from cabinet.accounts.models import User
    from cabinet.translate.access import set_languages

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.has_role("translator"):
        raise click.ClickException(f"no translator with the e-mail {email}")
    try:
        chosen = set_languages(user, locales, actor=None)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"{user.email} may edit: {', '.join(chosen) if chosen else 'every language'}")


def register(_state) -> None:
    """Add the command to the `users` group when the blueprint is registered (the group is defined once)."""
    from cabinet.cli import users_cli

    users_cli.add_command(languages)
