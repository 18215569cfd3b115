"""The correction form: contacts directly, names through a reviewed request with a scan."""

from wtforms import (
    MultipleFileField,
    PasswordField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from cabinet.forms import OnceTokenField, PersonalDataForm, plain_text
from cabinet.messages import lazy_gettext as _l


class ProfileEditForm(PersonalDataForm):
    """Corrections: contacts at once, a name through a reviewed request with a supporting scan."""

    documents = MultipleFileField(_l("Supporting document for a name change (PDF, JPEG or PNG)"))
    reason = TextAreaField(_l("Reason for the name change"), validators=[Optional(), Length(max=2000), plain_text])
    current_password = PasswordField(_l("Your current password (needed to change the e-mail or the name)"),
                                     validators=[Optional(), Length(max=1024)])
    submission_token = OnceTokenField()
