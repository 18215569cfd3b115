"""One small form per purpose: grant or withdraw."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired

from cabinet.consents.purposes import OPTIONAL


class ConsentForm(FlaskForm):
    purpose = HiddenField(validators=[DataRequired(), AnyOf(OPTIONAL)])
    action = HiddenField(validators=[DataRequired(), AnyOf(("grant", "withdraw"))])
