"""What the shared form templates need: the error summary's entries, each linked to its field,
and whether a form has required fields (then the form explains the required-field marker).

``{% load brygga_forms %}`` in ``includes/form.html``, ``includes/error_summary.html`` and the
incident form templates."""

from __future__ import annotations

from django import forms, template

from brygga.core.forms import FieldGroup

register = template.Library()


def _anchor(field: forms.BoundField) -> str:
    """The id an error summary link goes to: the input (the first one of a group of radio
    buttons or check boxes), or the fieldset of a :class:`FieldGroup`; "" for a hidden input."""
    if isinstance(field.field, FieldGroup):
        return field.auto_id or ""
    if field.is_hidden or not field.auto_id:
        return ""
    return field.id_for_label or f"{field.auto_id}_0"


def _text(label, message) -> str:
    label = str(label or "").strip()
    if not label:
        return str(message)
    return f"{label} {message}" if label[-1] in "?!.:…" else f"{label}: {message}"


@register.simple_tag
def error_summary(form: forms.BaseForm) -> list[dict]:
    """The entries of the error summary at the top of a form, in the order of the form: the
    errors of the whole form first (no link), then each field's, linked to the field."""
    items = [{"anchor": "", "text": str(e)} for e in form.non_field_errors()]
    for field in form:
        for message in field.errors:
            items.append({"anchor": _anchor(field), "text": _text(field.label, message)})
    return items


@register.filter
def has_required(form: forms.BaseForm) -> bool:
    """Whether a visible field of ``form`` is required (then the form explains the marker)."""
    return any(f.field.required for f in form.visible_fields())
