"""The back office's list exports: every admin list downloads as xlsx or csv through
django-import-export, which is what that library does best here.

The export holds the list's own rows – the admin's scoped queryset with the
filters and search in force – and, unless the admin names a resource, the
list's columns that are model fields, under their Chinese names. Related
rows are named (not numbered) and read in the same query; choices and yes/no
show as words; every cell goes through ``safe_cell``; a resource may mask
fields (members mask personal data without ``members.view_pii``).

Roster imports keep the project's own engine (``members.roster_plan``):
the library's row-by-row import is too slow for a county's roster and knows
nothing of the tree's scope.
"""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest
from django.db.models import ForeignKey
from django.utils import timezone
from import_export import resources, widgets
from import_export.admin import ExportActionMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm

from branches.spreadsheets.writing import attachment, safe_cell

YES_NO = {True: "是", False: "否"}


class NameWidget(widgets.Widget):
    """A related row by its name (or label), as the list shows it."""

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return getattr(value, "label", None) or str(value)


class ListResource(resources.ModelResource):
    """A model's rows as a user's list shows them, for the admin's export."""

    def __init__(self, user=None, **kwargs):
        self.user = user
        super().__init__(**kwargs)

    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        field.column_name = str(django_field.verbose_name)
        if isinstance(django_field, ForeignKey):
            field.attribute, field.widget = field_name, NameWidget()
        return field

    def filter_export(self, queryset, **kwargs):
        # Related rows come in the same query: the count does not grow with the rows.
        related = [
            f.name
            for f in self._meta.model._meta.concrete_fields
            if isinstance(f, ForeignKey) and f.name in self.fields
        ]
        return queryset.select_related(*related)

    def export_field(self, field, instance, **kwargs):
        name = field.attribute or ""
        model_field = self._model_field(name)
        if (
            model_field is not None
            and model_field.choices
            and not isinstance(model_field, ForeignKey)
        ):
            value = getattr(instance, f"get_{name}_display")()
        else:
            value = super().export_field(field, instance, **kwargs)
            if isinstance(getattr(instance, name, None), bool):
                value = YES_NO[getattr(instance, name)]
        return safe_cell(self.shown(name, value))

    def shown(self, name: str, value):
        """The value as this user may see it (a resource masks here)."""
        return value

    def _model_field(self, name: str):
        try:
            return self._meta.model._meta.get_field(name)
        except Exception:  # a declared field that is not a model field
            return None


def list_resource_for(model_admin) -> type[ListResource]:
    """A resource exporting the list's columns that are model fields."""
    names = {f.name for f in model_admin.model._meta.concrete_fields}
    columns = [c for c in model_admin.list_display if isinstance(c, str) and c in names]
    meta = type("Meta", (), {"model": model_admin.model, "fields": columns or ["id"]})
    return type(f"{model_admin.model.__name__}ListResource", (ListResource,), {"Meta": meta})


class ListExportMixin(ExportActionMixin):
    """Export the list (or the rows ticked) as xlsx or csv, named in Chinese."""

    export_formats = [XLSX, CSV]
    # The columns are the list's: no per-field picking, one choice (the format).
    export_form_class = ExportForm
    # The list's rows are the scoped queryset; the library's own check of ticked
    # rows reads the whole table, so the queryset alone bounds what is exported.
    show_change_form_export = False

    def get_resource_classes(self, request):
        return getattr(self, "resource_classes", None) or [list_resource_for(self)]

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_queryset(self, request):
        # The list's filters come from the query string: a garbled one is a 400,
        # as the list itself answers, never a 500.
        try:
            return super().get_export_queryset(request)
        except IncorrectLookupParameters:
            raise BadRequest("筛选条件无效。") from None

    def get_valid_export_item_pks(self, request):
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_export_filename(self, request, queryset, file_format):
        stamp = timezone.localdate().strftime("%Y%m%d")
        return f"{self.model._meta.verbose_name_plural}-{stamp}.{file_format.get_extension()}"

    def export_action(self, request):
        return self._named(super().export_action(request), request)

    def export_admin_action(self, request, queryset):
        return self._named(super().export_admin_action(request, queryset), request)

    def _named(self, response, request):
        # The library writes a bare filename="…"; Chinese names need RFC 5987.
        if response.has_header("Content-Disposition"):
            stamp = timezone.localdate().strftime("%Y%m%d")
            kind = "csv" if response["Content-Type"].startswith("text/csv") else "xlsx"
            attachment(response, f"{self.model._meta.verbose_name_plural}-{stamp}.{kind}")
            response["Cache-Control"] = "private, no-store"
        return response
