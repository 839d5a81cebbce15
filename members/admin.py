import datetime

from django.contrib import admin
from django.db.models import Q

from branches.models import Organization, OrgKind, subtree_q
from members import services
from members.choices import MembershipReason
from members.idcard import IdNumberError, clean_id_text, parse_id_number
from members.models import Member, Membership


class TownshipFilter(admin.SimpleListFilter):
    """所在乡镇: a township has dozens of branches, so the county's list stays short."""

    title = "乡镇"
    parameter_name = "township"

    def lookups(self, request, model_admin):
        townships = Organization.objects.filter(kind=OrgKind.TOWNSHIP).live()
        return [(str(t.pk), t.name) for t in townships.only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        # Ids come from the URL and list filters run unguarded: a garbled one finds nobody.
        township = Organization.objects.filter(pk=value).first() if value.isdigit() else None
        if township is None:
            return queryset.none()
        return queryset.filter(subtree_q(township.path, prefix="branch__"))


class BranchFilter(admin.SimpleListFilter):
    """党支部, offered only once a township is chosen: never a list of every branch."""

    title = "党支部（先选乡镇）"
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        township_id = request.GET.get(TownshipFilter.parameter_name, "")
        township = (
            Organization.objects.filter(pk=township_id).first() if township_id.isdigit() else None
        )
        if township is None:
            return []
        branches = Organization.objects.subtree(township).filter(kind=OrgKind.BRANCH).live()
        return [(str(b.pk), b.name) for b in branches.only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(branch_id=value) if value.isdigit() else queryset.none()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = ["branch", "group", "started_on", "ended_on", "start_reason", "end_reason", "note"]
    readonly_fields = fields
    ordering = ["started_on", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "group")


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "masked_id_number",
        "sex",
        "branch_label",
        "group",
        "category",
        "masked_phone",
        "party_status",
        "roster_status",
    ]
    list_select_related = ["branch__parent", "group"]
    list_filter = [
        TownshipFilter,
        BranchFilter,
        "roster_status",
        "category",
        "party_status",
        "is_mobile",
        "lost_contact",
        "sex",
    ]
    search_fields = ["name"]
    search_help_text = "按姓名、身份证号（15位或18位）或手机号查找"
    autocomplete_fields = ["branch", "group"]
    list_per_page = 50
    show_full_result_count = False
    inlines = [MembershipInline]
    # Leaving the roster closes the membership row: only members.services may do it.
    readonly_fields = ["roster_status", "left_on", "left_reason"]
    fieldsets = [
        (
            "基本信息",
            {
                "fields": [
                    "name",
                    "id_number",
                    "id_check_override",
                    "id_check_override_reason",
                    "sex",
                    "ethnicity",
                    "birth_date",
                    "education",
                    "native_place",
                ]
            },
        ),
        (
            "组织关系",
            {
                "fields": [
                    "branch",
                    "group",
                    "category",
                    "joined_on",
                    "full_member_on",
                    "party_status",
                    "roster_status",
                    "left_on",
                    "left_reason",
                ]
            },
        ),
        (
            "工作与联系",
            {
                "fields": [
                    "occupation",
                    "employer",
                    "mobile_phone",
                    "landline",
                    "address",
                ]
            },
        ),
        (
            "流动与失联",
            {
                "fields": [
                    "is_mobile",
                    "mobile_destination",
                    "lost_contact",
                    "lost_contact_on",
                ]
            },
        ),
        ("党费", {"fields": ["monthly_dues", "dues_paid_until"]}),
    ]

    @admin.display(description="公民身份证号", ordering="id_number")
    def masked_id_number(self, obj):
        return obj.id_number_masked

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return obj.mobile_phone_masked

    @admin.display(description="所在党支部", ordering="branch__path")
    def branch_label(self, obj):
        # Branch names repeat across townships; the parent tells them apart.
        parent = obj.branch.parent
        prefix = (parent.short_name or parent.name) if parent else ""
        return f"{prefix} · {obj.branch.name}" if prefix else obj.branch.name

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        cleaned = clean_id_text(term)
        if len(cleaned) == 11 and cleaned.isdigit() and cleaned.startswith("1"):
            return queryset.filter(mobile_phone=cleaned), False
        if len(cleaned) in (15, 18):
            try:
                number = parse_id_number(cleaned, allow_bad_check=True).number
            except IdNumberError:
                number = cleaned
            return queryset.filter(Q(id_number=number) | Q(id_number=cleaned)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        # A change of branch or group is a transfer: it closes the open
        # membership row and opens a new one, so history stays answerable.
        if not change:
            place = ("name", "id_number", "branch", "group")
            data = {f: v for f, v in form.cleaned_data.items() if f not in place}
            created = services.member_create(
                name=obj.name,
                id_number=obj.id_number,
                branch=obj.branch,
                group=obj.group,
                started_on=obj.joined_on or datetime.date.today(),
                **data,
            )
            obj.pk = created.pk
            return
        place_changed = {"branch", "group"} & set(form.changed_data)
        if place_changed:
            original = Member.objects.get(pk=obj.pk)
            services.member_transfer(
                member=original,
                branch=obj.branch,
                group=obj.group,
                on=datetime.date.today(),
                reason=MembershipReason.TRANSFER
                if "branch" in place_changed
                else MembershipReason.REGROUP,
                note=f"后台修改（{request.user.get_username()}）",
            )
        obj.save()
