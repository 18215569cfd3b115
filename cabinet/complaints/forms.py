"""The complaint's forms: filing, supplement, withdrawal; and staff's answer, note, review and check."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, MultipleFileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cabinet.forms import OnceTokenField, plain_text
from cabinet.messages import lazy_gettext as _l

SUBJECT_MAX, BODY_MAX, OUTCOME_MAX, ANSWER_MAX, NOTE_MAX = 200, 10_000, 2_000, 20_000, 5_000


def text_block(value):
    """One newline convention and no surrounding blanks, so lengths count what the reader sees."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


def one_line(value):
    return " ".join(value.split()) if isinstance(value, str) else value


class ComplaintForm(FlaskForm):
    subject = StringField(_l("Subject of the complaint"), filters=[one_line],
                          validators=[DataRequired(), Length(max=SUBJECT_MAX), plain_text])
    body = TextAreaField(_l("Your complaint"), filters=[text_block],
                         validators=[DataRequired(), Length(max=BODY_MAX), plain_text])
    desired_outcome = TextAreaField(_l("What you ask the operator to do"), filters=[text_block],
                                    validators=[Optional(), Length(max=OUTCOME_MAX), plain_text])
    attachments = MultipleFileField(_l("Attachments (PDF, JPEG or PNG)"))
    submission_token = OnceTokenField()


class SupplementForm(FlaskForm):
    text = TextAreaField(_l("Supplement"), filters=[text_block],
                         validators=[DataRequired(), Length(max=BODY_MAX), plain_text])
    attachments = MultipleFileField(_l("Attachments (PDF, JPEG or PNG)"))
    submission_token = OnceTokenField()


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("I withdraw this complaint; the operator will not answer it"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("The operator's answer"), filters=[text_block],
                           validators=[DataRequired(), Length(max=ANSWER_MAX), plain_text])
    attachments = MultipleFileField(_l("Attachments (PDF, JPEG or PNG)"))
    submission_token = OnceTokenField()


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Internal note (never shown to the complainant)"), filters=[text_block],
                         validators=[DataRequired(), Length(max=NOTE_MAX), plain_text])
    submission_token = OnceTokenField()


class ReviewForm(FlaskForm):
    """Only the CSRF token: taking a complaint under review is one button."""


class VerifyForm(FlaskForm):
    number = StringField(_l("Registration number"), filters=[one_line],
                         validators=[DataRequired(), Length(max=32), plain_text])
    code = StringField(_l("Verification code"), filters=[one_line],
                       validators=[DataRequired(), Length(max=40), plain_text])
