"""Form pieces every area uses: plain-text validation, phone numbers, one-time submission tokens."""

import re
import secrets
import unicodedata

import phonenumbers
import wtforms.widgets
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import EmailField, HiddenField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import core as widgets

from cabinet.messages import lazy_gettext as _l

NAME_PATTERN = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")


def plain_text(form, field):
    """Refuse control characters (NUL included) and bytes that were not valid UTF-8."""
    value = field.data or ""
    if "\ufffd" in value or any(
        unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in value
    ):
        raise ValidationError(_l("The text contains characters that cannot be stored."))


def person_name(form, field):
    """Letters with single spaces, hyphens or apostrophes between them, in any alphabet; stored composed (NFC)."""
    value = unicodedata.normalize("NFC", (field.data or "").strip())
    field.data = value  # "Й" typed as И + combining breve is the same letter, and must compare equal
    if value and not NAME_PATTERN.match(value):
        raise ValidationError(_l("Use letters only (a hyphen, a space or an apostrophe between them is fine)."))


def normalize_email(value: str) -> str:
    """Validate the address's form (no network look-up) and return it lower-cased."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(_l("Enter a valid e-mail address.")) from error
    return result.normalized.lower()


def email_address(form, field):
    field.data = normalize_email(field.data or "")


def normalize_phone(value: str) -> str:
    """E.164 form of a phone number, Kazakhstan being the default region."""
    try:
        number = phonenumbers.parse(value.strip(), "KZ")
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_l("Enter a valid phone number, e.g. +7 701 123 45 67.")) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("Enter a valid phone number, e.g. +7 701 123 45 67."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_number(form, field):
    field.data = normalize_phone(field.data or "")


class OnceTokenField(HiddenField):
    """A token made when the form is shown; a create action stores it so a resubmission is recognised."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if not re.fullmatch(r"[A-Za-z0-9_\-]{20,64}", self.data or ""):
            self.data = None

    def _value(self):
        return self.data or secrets.token_urlsafe(24)

    def pre_validate(self, form):
        if not self.data:
            raise ValidationError(_l("The form expired. Please reload the page and send it again."))


class PersonalDataForm(FlaskForm):
    """The personal data of policy clause 2.3, as registration asks for it and a correction edits it."""

    surname = StringField(_l("Surname"), validators=[DataRequired(), Length(max=100), plain_text, person_name])
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100), plain_text, person_name])
    patronymic = StringField(_l("Patronymic (if any)"),
                             validators=[Optional(), Length(max=100), plain_text, person_name])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), plain_text, email_address])
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=32), plain_text, phone_number])


#: WTForms' own html_params, which this module's replaces for every widget (the tests compare the two)
WTFORMS_HTML_PARAMS = widgets.html_params


#: a quote inside a Markup value (escape() leaves it), written as WTForms writes it
QUOTE, QUOTE_ENTITY = Markup('"'), Markup("&quot;")


def html_params(**kwargs) -> Markup:
    """WTForms' html_params, the same output without Markup.format (Python's string.Formatter under it cost about
    60 calls an attribute, a third of a complaint page's) and with one Markup for the whole, not one an attribute."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is False:
            continue
        key = escape(widgets.clean_key(key))
        if value is True:
            params.append(key)
            continue
        shown = escape(value)
        if '"' in shown:
            shown = shown.replace(QUOTE, QUOTE_ENTITY)
        params.append(f'{key}="{shown}"')
    return Markup(" ".join(params))  # every part escaped above


def init_app(app) -> None:
    """Every widget and label renders its attributes through html_params above: the widgets' module, the package
    that re-exports it (labels), and the widget classes that hold it as a static method (inputs, buttons)."""
    widgets.html_params = wtforms.widgets.html_params = html_params
    for widget in vars(widgets).values():
        if isinstance(widget, type) and "html_params" in vars(widget):
            widget.html_params = staticmethod(html_params)
