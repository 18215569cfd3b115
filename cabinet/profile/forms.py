"""The correction form: contacts directly, names through a reviewed request with a scan."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    MultipleFileField,
    PasswordField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from cabinet.forms import OnceTokenField, email_address, person_name, phone_number, plain_text


class ProfileEditForm(FlaskForm):
    surname = StringField(_l("Surname"), validators=[DataRequired(), Length(max=100), plain_text, person_name])
    given_name = StringField(_l("Given name"), validators=[DataRequired(), Length(max=100), plain_text, person_name])
    patronymic = StringField(_l("Patronymic (if any)"),
                             validators=[Optional(), Length(max=100), plain_text, person_name])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254), plain_text, email_address])
    phone = TelField(_l("Phone"), validators=[DataRequired(), Length(max=32), plain_text, phone_number])
    documents = MultipleFileField(_l("Supporting document for a name change (PDF, JPEG or PNG)"))
    reason = TextAreaField(_l("Reason for the name change"), validators=[Optional(), Length(max=2000), plain_text])
    current_password = PasswordField(_l("Your current password (needed to change the e-mail or the name)"),
                                     validators=[Optional(), Length(max=1024)])
    submission_token = OnceTokenField()
