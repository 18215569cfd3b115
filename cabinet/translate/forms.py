"""The editor's forms: one catalog entry, an uploaded .po file, a translator's languages."""

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cabinet.forms import plain_text
from cabinet.messages import lazy_gettext as _l

#: gettext allows at most six plural forms
MAX_FORMS = 6
TEXT = [Optional(), Length(max=20_000), plain_text]


class EntryForm(FlaskForm):
    """One entry, with the field names of the contract: msgid, msgctxt, msgstr or msgstr_0…, entry_hash."""

    msgid = HiddenField(validators=[DataRequired(), Length(max=20_000)])
    msgctxt = HiddenField(validators=[Optional(), Length(max=2_000)])
    entry_hash = HiddenField(validators=[DataRequired(), Length(max=64)])
    msgstr = TextAreaField(_l("Translation"), validators=TEXT)

    def strings(self) -> tuple[str, ...]:
        """The submitted translation: msgstr for a plain entry, msgstr_0, msgstr_1, … for a plural one."""
        if "msgstr" in request.form:
            return (self.msgstr.data or "",)
        return tuple(self[f"msgstr_{i}"].data or "" for i in range(MAX_FORMS) if f"msgstr_{i}" in request.form)


for _index in range(MAX_FORMS):
    setattr(EntryForm, f"msgstr_{_index}", TextAreaField(_l("Plural form"), validators=TEXT))


class UploadForm(FlaskForm):
    catalog = FileField(_l("Catalog file (.po)"), validators=[FileRequired(_l("Choose a .po file."))])


class LanguagesForm(FlaskForm):
    """The languages one translator may edit; every language means no limit."""

    user_id = IntegerField(validators=[DataRequired()])
    locales = SelectMultipleField(_l("Languages"), choices=[], validate_choice=True,
                                  validators=[DataRequired(_l("Choose at least one language."))])
