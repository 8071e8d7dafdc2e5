"""Submitting an admin change form as a browser would: every field as it was rendered."""

from __future__ import annotations

from typing import Any

from django.forms import BaseForm, BaseFormSet


def _form_fields(form: BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bound_field in form:
        value = bound_field.value()
        name = bound_field.html_name
        if value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = list(value)
        else:
            data[name] = str(value)
    return data


def _formset_fields(formset: BaseFormSet) -> dict[str, Any]:
    data = _form_fields(formset.management_form)
    for form in formset.forms:
        data.update(_form_fields(form))
    return data


def rendered_form_data(response: Any) -> dict[str, Any]:
    """The POST data of the change form in `response`, including every inline formset."""
    data = _form_fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(_formset_fields(inline.formset))
    return data
