"""Exports of the activities lists through django-import-export (the admin's 导出)."""

from __future__ import annotations

from import_export.fields import Field

from activities.models import Attendance
from branches.admin_export import ListResource


class AttendanceResource(ListResource):
    """出席记录 with the meeting each row belongs to, read in one query."""

    held_on = Field(attribute="activity__held_on", column_name="活动日期")
    org = Field(attribute="activity__org__name", column_name="组织")
    kind = Field(column_name="活动类型")
    member_name = Field(attribute="member__name", column_name="党员")

    class Meta:
        model = Attendance
        fields = ["held_on", "org", "kind", "member_name", "guest_name", "status", "reason"]
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("activity__org", "member")

    def dehydrate_kind(self, attendance: Attendance) -> str:
        return attendance.activity.get_kind_display()
