"""The admin base class every back-office page of the project uses.

It routes every row the admin shows, every choice it offers, every object it
looks up and every list it exports (``branches.admin_export``) through
``visible_to(request.user)`` (branches.scoping),
and answers an object outside the user's part of the tree with the admin's
"does not exist" redirect before any permission check, so neither a 403 nor
the history page confirms that the object exists.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import display_for_field, unquote
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from branches.admin_export import ListExportMixin


def is_scoped_model(model) -> bool:
    return hasattr(model._default_manager.get_queryset(), "visible_to")


class ScopedRowsMixin:
    """Rows and foreign-key choices limited to the user's part of the tree."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and is_scoped_model(related):
            kwargs["queryset"] = related._default_manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdmin(ScopedRowsMixin, ListExportMixin, admin.ModelAdmin):
    # The admin counts the whole table on every page unless told not to.
    show_full_result_count = False
    # Declared for the resolver-walking access test: this admin is scoped.
    scoped = True

    def out_of_scope(self, request, object_id) -> bool:
        return object_id is not None and self.get_object(request, unquote(object_id)) is None

    def not_found(self, request, object_id):
        return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self.out_of_scope(request, object_id):
            return self.not_found(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if self.out_of_scope(request, object_id):
            return self.not_found(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the history table for objects the
        # queryset does not return: out of scope must stop here.
        if self.out_of_scope(request, object_id):
            return self.not_found(request, object_id)
        return super().history_view(request, object_id, extra_context)


class ReadOnlyHistoryMixin:
    """Past versions in simple-history's admin are for reading only.

    simple-history saves a POSTed version form ("revert") for anyone who may
    merely view the history, whatever SIMPLE_HISTORY_REVERT_DISABLED says:
    a write past the services, the audit's own rules and the change
    permission. Only GET reaches it.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class HistoryValues(HistoricalRecordContextHelper):
    """The old and new values of a history page's changes, shown as the admin shows fields.

    simple-history prints the raw Python value (None, True, a choice's key)
    and an emptied foreign key as "Deleted <model> (pk=None)", in English.
    """

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.many_to_many:
            return super().prepare_delta_change_value(change, value)
        if isinstance(value, DeletedObject):
            if value.pk is not None:
                return f"已删除的{value.model._meta.verbose_name}（编号 {value.pk}）"
            value = None
        return display_for_field(value, field, "-")


class HistoryValuesMixin:
    def get_historical_record_context_helper(self, request, historical_record):
        return HistoryValues(self.model, historical_record)


class AuditedAdmin(HistoryValuesMixin, ReadOnlyHistoryMixin, ScopedAdmin, SimpleHistoryAdmin):
    """A scoped admin for an audited model: its history pages are scoped too."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if self.out_of_scope(request, object_id):
            return self.not_found(request, object_id)
        history = self.model.history.filter(**{self.opts.pk.attname: unquote(object_id)})
        try:
            exists = history.filter(history_id=version_id).exists()
        except (ValueError, ValidationError):
            exists = False
        if not exists:
            return self.not_found(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyMixin:
    """A list to read and export: its rows are written by the services behind the pages."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedTabularInline(ScopedRowsMixin, admin.TabularInline):
    """Inline rows and their choices, limited to the user's part of the tree."""
