"""The member list's export through django-import-export (the admin's 导出): the
roster's own columns, so an exported list imports back through the roster import,
with personal data masked for users without ``members.view_pii``."""

from __future__ import annotations

from import_export.fields import Field

from branches.admin_export import ListResource
from branches.spreadsheets.writing import safe_cell
from members import pii
from members.models import Member, PiiAccess
from members.roster_columns import COLUMNS
from members.roster_export import branch_labels, roster_value


class MemberResource(ListResource):
    """Every roster column (``roster_columns.COLUMNS``), valued as the roster export does."""

    class Meta:
        model = Member
        fields = []  # the columns are declared below, from the roster's own list

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self.mask = not (user is not None and pii.sees_pii(user))
        self.labels = branch_labels(user) if user is not None else {}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("branch", "group")

    def export_field(self, field, instance, **kwargs):
        return safe_cell(roster_value(instance, field.attribute, self.labels, self.mask))

    def after_export(self, queryset, dataset, **kwargs):
        if not self.mask:
            PiiAccess.objects.create(
                user=self.user,
                action=PiiAccess.Action.EXPORT,
                detail=f"后台导出党员列表 {len(dataset)} 人",
            )


for _column in COLUMNS:
    MemberResource.fields[_column.field] = Field(
        attribute=_column.field, column_name=_column.header, readonly=True
    )
