"""What went wrong on a page's forms, gathered once so the page can sum it up and say so in its title."""

from typing import NamedTuple

from flask import before_render_template
from flask_wtf import FlaskForm

#: fields a person never sees: their errors are about the form as a whole
HIDDEN_TYPES = {"CSRFTokenField", "HiddenField", "OnceTokenField"}


class FormError(NamedTuple):
    message: str
    label: str | None = None  # the field's label; None for an error of the whole form
    href: str | None = None  # "#field-id", the control the error is about


def target_id(field) -> str:
    """The control a link to this field focuses: a radio group's first choice, otherwise the field itself."""
    if field.type == "RadioField":
        return f"{field.id}-0"
    return field.id


def errors_of(form) -> list[FormError]:
    """A form's errors in the order its fields are shown, those of the whole form first."""
    found = [FormError(str(message)) for message in getattr(form, "form_errors", [])]
    for field in form:
        for message in field.errors if isinstance(field.errors, list) else []:
            if field.type in HIDDEN_TYPES:
                found.insert(0, FormError(str(message)))
            else:
                found.append(FormError(str(message), str(field.label.text), f"#{target_id(field)}"))
    return found


def _gather(sender, template, context, **extra):
    """Before a page renders: every form it was given that has errors; base.html reads `form_errors`."""
    if "form_errors" in context:
        return
    found: list[FormError] = []
    for value in list(context.values()):
        if isinstance(value, FlaskForm):
            found.extend(errors_of(value))
    context["form_errors"] = found


def init_app(app):
    before_render_template.connect(_gather, app)
