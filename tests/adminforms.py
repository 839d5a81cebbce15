"""Turn an admin add/change page into the POST data its form would submit."""

from __future__ import annotations

import datetime
from typing import Any


def _post_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _add_form(data: dict[str, Any], form) -> None:
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if value is False:
            continue  # an unticked checkbox is absent from a real POST
        data[bound.html_name] = True if value is True else _post_value(value)


def admin_form_data(response, **overrides: Any) -> dict[str, Any]:
    """The main form's current values plus every inline's management form and rows."""
    data: dict[str, Any] = {}
    _add_form(data, response.context["adminform"].form)
    # simple-history's version page has no inlines.
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    for name, value in overrides.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = _post_value(value)
    return data
