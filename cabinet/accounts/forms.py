"""Registration, sign-in and password forms."""

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    MultipleFileField,
    PasswordField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    ValidationError,
)

from cabinet.accounts.passwords import personal_words, too_guessable
from cabinet.forms import PersonalDataForm, email_address, plain_text
from cabinet.messages import gettext as _
from cabinet.messages import lazy_gettext as _l
from cabinet.messages import ngettext


def password_strength(form, field):
    """Long enough, and not among the passwords tried first, the person's own name and address included."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(ngettext("The password must be at least %(num)d character long.",
                                       "The password must be at least %(num)d characters long.", minimum))
    typed = [form[name].data for name in ("surname", "given_name", "patronymic", "email", "phone") if name in form]
    if too_guessable(field.data, personal_words(*typed, *getattr(form, "owner_words", ()))):
        raise ValidationError(_("This password is too easy to guess: it is a common one, a simple pattern, or made "
                                "of your name, address or phone. Please choose a longer, less predictable one."))


class NewPasswordForm(FlaskForm):
    """A new password, typed twice; owner_words (the account's name and address) are set by the view."""

    owner_words: tuple = ()

    password = PasswordField(_l("Password"),
                             validators=[InputRequired(), Length(max=1024), plain_text, password_strength])
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class RegisterForm(PersonalDataForm, NewPasswordForm):
    """Registration (policy 1.6–1.7): the personal data, a password, the scans, the policy and the consents."""

    accept_policy = BooleanField(
        _l("I have read the privacy policy and accept it"),
        validators=[DataRequired(message=_l("You can register only after accepting the privacy policy."))],
    )
    consent_marketing = BooleanField(_l("Send me news and offers (clause 2.2.4)"))
    consent_research = BooleanField(_l("Use my data for statistics and research (clause 2.2.5)"))
    consent_third_party = BooleanField(_l("Allow transfer of my data to third parties (clause 3.5.1)"))
    documents = MultipleFileField(_l("Scanned identity document (PDF, JPEG or PNG)"))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), plain_text])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), plain_text, email_address])


class ResetForm(NewPasswordForm):
    """Choosing a new password from a reset link."""


class PasswordChangeForm(NewPasswordForm):
    """Changing the password from the cabinet: the old one first."""

    current_password = PasswordField(_l("Your current password"), validators=[DataRequired(), Length(max=1024)])
