"""One small form per purpose: grant or withdraw."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField
from wtforms.validators import AnyOf, DataRequired, Length

from cabinet.consents.purposes import OPTIONAL
from cabinet.messages import lazy_gettext as _l


class ConsentForm(FlaskForm):
    purpose = HiddenField(validators=[DataRequired(), AnyOf(OPTIONAL)])
    action = HiddenField(validators=[DataRequired(), AnyOf(("grant", "withdraw"))])
    #: "yes" once the subject has seen what the change means; without it the page asks first
    confirm = HiddenField()


class WithdrawAllForm(FlaskForm):
    """Withdrawing all consent is serious: an explicit tick and the password."""

    confirm = BooleanField(_l("I understand the consequences and withdraw all my consent"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
    current_password = PasswordField(_l("Your current password"), validators=[DataRequired(), Length(max=1024)])
