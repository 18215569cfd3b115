"""Staff forms: a reason for every look, a basis for every act, a reason for every refusal."""

from flask_wtf import FlaskForm
from wtforms import DateField, FileField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from cabinet.forms import plain_text
from cabinet.messages import lazy_gettext as _l

REASON = [DataRequired(), Length(min=5, max=500), plain_text]


class ViewReasonForm(FlaskForm):
    reason = StringField(_l("Why do you open this record?"), validators=REASON)


class ActForm(FlaskForm):
    reason = TextAreaField(_l("Reason for acting on the subject's behalf"), validators=REASON)
    basis = FileField(_l("The written request or power of attorney (PDF, JPEG or PNG)"))


class _DecisionForm(FlaskForm):
    """Choices are set after construction: WTForms 3.3 warns on (value, label) tuples passed to the field."""

    DECISIONS: list = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = list(self.DECISIONS)


class CorrectionDecisionForm(_DecisionForm):
    DECISIONS = [("approve", _l("Approve")), ("reject", _l("Reject"))]
    decision = RadioField(_l("Decision"), validators=[InputRequired(), AnyOf(("approve", "reject"))])
    reason = TextAreaField(_l("Reason (the subject sees it; required to reject)"),
                           validators=[Optional(), Length(max=2000), plain_text])


class WithdrawalDecisionForm(_DecisionForm):
    DECISIONS = [("carry_out", _l("Destroy the data now")), ("refuse", _l("Refuse with a reason"))]
    decision = RadioField(_l("Decision"), validators=[InputRequired(), AnyOf(("carry_out", "refuse"))])
    reason = TextAreaField(_l("Reason (the subject sees it; required to refuse)"),
                           validators=[Optional(), Length(max=2000), plain_text])


class DisclosureForm(FlaskForm):
    subject_id = IntegerField(_l("Subject's account number"), validators=[DataRequired()])
    recipient = StringField(_l("Recipient"), validators=[DataRequired(), Length(max=200), plain_text])
    basis = SelectField(_l("Legal basis"), choices=[], validators=[DataRequired()])
    categories = TextAreaField(_l("Data passed"), validators=[DataRequired(), Length(max=2000), plain_text])
    disclosed_on = DateField(_l("Date of the disclosure"), validators=[DataRequired()])
    reference = StringField(_l("Reference of the request"), validators=[DataRequired(), Length(max=200), plain_text])
