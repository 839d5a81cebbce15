"""What a view that writes needs, declared on the view – read by the write-matrix test.

Verbs come from the role's permissions (``branches.roles``). Every view of
the site that accepts POST declares the permissions it checks with
``write_permission``, or – writing nothing of the records, like logging in
or changing one's own password – ``write_exempt`` with the reason.
``tests/test_write_matrix.py`` walks every URL: a view accepting POST
without a declaration fails, and each role lacking the declared permissions
must be refused (403) with nothing written. The admin's pages are declared
by their ModelAdmin's ``has_*_permission``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError


def write_permission(*perms: str):
    """Declare the permissions (``app_label.codename``) a writing view requires."""

    def mark(view):
        view.write_permission = perms
        return view

    return mark


def write_exempt(reason: str):
    """Declare that a view accepting POST writes no records a permission guards, and why."""

    def mark(view):
        view.write_exempt = reason
        return view

    return mark


def errors_to_form(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form: at its field when the form has one."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
