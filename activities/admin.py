from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from activities import services
from activities.models import Activity, CadenceRule
from branches.scoped_admin import AuditedAdmin


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    """Cadences are the same for the whole county: not part of the tree."""

    scope_exempt = "三会一课频次规则全县统一，不属于组织树"
    list_display = ["org_kind", "kind", "period", "times", "valid_from", "valid_to"]
    list_filter = ["org_kind", "kind", "period"]


@admin.register(Activity)
class ActivityAdmin(AuditedAdmin):
    """Activities are logged and edited on the clerk's pages; here they are read and audited."""

    list_display = [
        "held_on",
        "org",
        "kind",
        "topic",
        "present_count",
        "expected_count",
        "logged_by",
        "edit_link",
    ]
    list_select_related = ["org", "logged_by"]
    list_filter = ["kind"]
    search_fields = ["topic", "org__name"]
    readonly_fields = [f.name for f in Activity._meta.fields]
    list_per_page = 50

    @admin.display(description="")
    def edit_link(self, obj):
        return format_html(
            '<a href="{}">查看</a>', reverse("activities:activity_detail", args=[obj.pk])
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.activity_delete(activity=obj)

    def delete_queryset(self, request, queryset):
        for activity in queryset:
            services.activity_delete(activity=activity)
