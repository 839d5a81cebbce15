"""The back office of the 软弱涣散 register: cases to read (with their measures and
progress) and the 示范点 county staff name. Imported by ``activities.admin`` so that
the admin's autodiscovery registers them; scoped like every admin (branches.scoped_admin)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from activities.models import (
    ModelSite,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
)
from branches.models import OrgKind
from branches.scoped_admin import AuditedAdmin, ReadOnlyMixin, ScopedTabularInline


class MeasureInline(ReadOnlyMixin, ScopedTabularInline):
    model = RectificationMeasure
    extra = 0
    fields = ["text", "deadline", "done_on"]
    readonly_fields = fields
    ordering = ["deadline", "pk"]


class ProgressInline(ReadOnlyMixin, ScopedTabularInline):
    model = RectificationProgress
    extra = 0
    fields = ["on", "text", "measure", "recorded_by"]
    readonly_fields = fields
    ordering = ["-on", "-pk"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("measure", "recorded_by")


@admin.register(RectificationCase)
class RectificationCaseAdmin(ReadOnlyMixin, AuditedAdmin):
    """Cases are opened, followed and closed on the register's pages; here they are read
    and audited."""

    list_display = [
        "year",
        "org",
        "identified_on",
        "county_leader",
        "township_cadre",
        "closed_on",
        "closing_decision",
        "page_link",
    ]
    list_select_related = ["org"]
    list_filter = ["year", ("closed_on", admin.EmptyFieldListFilter)]
    search_fields = ["org__name", "county_leader", "township_cadre"]
    # The reasons as their labels: the stored codes (no_activity …) are not for people.
    fields = [
        "org",
        "year",
        "identified_on",
        "grade",
        "reason_list",
        "reason_note",
        "county_leader",
        "township_cadre",
        "plan",
        "closed_on",
        "closing_decision",
        "closing_assessment",
        "recorded_by",
        "recorded_at",
    ]
    readonly_fields = fields
    inlines = [MeasureInline, ProgressInline]
    list_per_page = 50

    @admin.display(description="软弱涣散类型")
    def reason_list(self, obj):
        return "；".join(obj.reason_labels())

    @admin.display(description="")
    def page_link(self, obj):
        return format_html(
            '<a href="{}">查看</a>', reverse("activities:rectification_detail", args=[obj.pk])
        )


@admin.register(ModelSite)
class ModelSiteAdmin(AuditedAdmin):
    """示范点: named by the county (or a level above it) for a year."""

    list_display = ["year", "org", "level", "title", "document"]
    list_select_related = ["org"]
    list_filter = ["year", "level"]
    search_fields = ["org__name", "title", "document"]
    fields = ["org", "year", "level", "title", "document"]
    list_per_page = 50

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "org":
            # Below the townships: the organisations a 示范点 is named among.
            field.queryset = field.queryset.exclude(
                kind__in=(OrgKind.CITY, OrgKind.COUNTY, OrgKind.GROUP)
            ).order_by("path")
        return field
