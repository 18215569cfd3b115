"""Publishing a policy version from the browser."""

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from cabinet.forms import plain_text
from cabinet.messages import lazy_gettext as _l

LABEL = Regexp(r"^[0-9A-Za-z.\-]+$", message=_l("Use digits, letters, dots and hyphens."))
TEXT = [DataRequired(), Length(max=200_000), plain_text]
SUMMARY = [Optional(), Length(max=2000), plain_text]


class PublishPolicyForm(FlaskForm):
    label = StringField(_l("Version label"), validators=[DataRequired(), Length(max=32), LABEL])
    effective_from = DateField(_l("In effect from"), validators=[DataRequired()])
    text_kk = TextAreaField(_l("Text in Kazakh (Markdown)"), validators=TEXT)
    text_ru = TextAreaField(_l("Text in Russian (Markdown)"), validators=TEXT)
    summary_kk = TextAreaField(_l("Summary of changes in Kazakh"), validators=SUMMARY)
    summary_ru = TextAreaField(_l("Summary of changes in Russian"), validators=SUMMARY)
    preview = SubmitField(_l("Preview"))
    publish = SubmitField(_l("Publish"))


class RolesForm(FlaskForm):
    """The roles of one account, as checkboxes."""

    user_id = IntegerField(validators=[DataRequired()])
    roles = SelectMultipleField(_l("Roles"), choices=[], validate_choice=True)


class DayOverrideForm(FlaskForm):
    """One day made working or a day off, with the decree or source that says so."""

    day = DateField(_l("Day"), validators=[DataRequired()])
    is_working = RadioField(_l("The day is"), choices=[SelectChoice("1", _l("a working day")),
                                                       SelectChoice("0", _l("a day off"))],
                            validators=[DataRequired()])
    note = StringField(_l("Source (e.g. the government decree)"),
                       validators=[DataRequired(), Length(max=200), plain_text])
    check = SubmitField(_l("Check the effect"))
    save = SubmitField(_l("Save"))
    remove = SubmitField(_l("Remove the override"))
