from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from simple_history.admin import SimpleHistoryAdmin

from branches.labels import attach_labels
from branches.models import Organization, OrgKind, county_unit_q
from branches.params import id_or_none
from branches.paths import subtree_q
from branches.scoped_admin import (
    AuditedAdmin,
    HistoryValues,
    HistoryValuesMixin,
    ReadOnlyHistoryMixin,
    ReadOnlyMixin,
    ScopedAdmin,
    ScopedTabularInline,
)
from members import pii, services
from members.choices import PartyStatus
from members.dues.services import dues_rule_save
from members.idcard import IdNumberError, clean_id_text, parse_id_number
from members.models import (
    CalendarDay,
    DevelopmentPlan,
    DevelopmentSettings,
    DuesRetention,
    DuesRule,
    Member,
    Membership,
    PiiAccess,
    Recruit,
    Transfer,
    needs_review_q,
)
from members.resources import MemberResource

# Without view_pii each personal-data field is replaced by its masked display.
MASKED_DISPLAY = {field: f"masked_{field}" for field in pii.PII_FIELDS}


def township_in_scope(request, value: str):
    # Ids come from the URL and list filters run unguarded: a garbled one finds nobody.
    pk = id_or_none(value)
    if pk is None:
        return None
    return Organization.objects.visible_to(request.user).filter(pk=pk).first()


class LabelledChangeList(ChangeList):
    """The member list with every row's branch labelled in one query."""

    def get_results(self, request):
        super().get_results(request)
        attach_labels(m.branch for m in self.result_list)


class NeedsReviewFilter(admin.SimpleListFilter):
    """待规范: members whose 工作岗位, 学历 or 民族 a roster gave in words no code fits."""

    title = "待规范"
    parameter_name = "review"
    FIELDS = {"occupation": "工作岗位", "education": "学历", "ethnicity": "民族"}

    def lookups(self, request, model_admin):
        return [("any", "任一项待规范"), *self.FIELDS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(needs_review_q())
        if value in self.FIELDS:
            return queryset.exclude(**{f"{value}_as_written": ""})
        return queryset


class TownshipFilter(admin.SimpleListFilter):
    """所在乡镇（单位）: a township, 工委 or 基层党委 under the county has dozens of
    branches, so the county's list stays short."""

    title = "乡镇（单位）"
    parameter_name = "township"

    def lookups(self, request, model_admin):
        townships = Organization.objects.visible_to(request.user).filter(county_unit_q())
        townships = townships.live()
        return [(str(t.pk), t.name) for t in townships.only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        township = township_in_scope(request, value)
        if township is None:
            return queryset.none()
        return queryset.filter(subtree_q(township.path, prefix="branch__"))


class BranchFilter(admin.SimpleListFilter):
    """党支部, offered only once a township is chosen: never a list of every branch."""

    title = "党支部（先选乡镇或单位）"
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        township = township_in_scope(request, request.GET.get(TownshipFilter.parameter_name, ""))
        if township is None:
            return []
        branches = Organization.objects.subtree(township).filter(kind=OrgKind.BRANCH).live()
        return [(str(b.pk), b.name) for b in branches.only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        pk = id_or_none(value)
        return queryset.none() if pk is None else queryset.filter(branch_id=pk)


class MembershipInline(ScopedTabularInline):
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


class MaskedHistoryHelper(HistoryValues):
    """History changes with ID numbers and phones masked, for users without view_pii."""

    def prepare_delta_change_value(self, change, value):
        if change.field in pii.PII_FIELDS:
            return pii.masked(change.field, value)
        return super().prepare_delta_change_value(change, value)


@admin.register(PiiAccess)
class PiiAccessAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ["at", "user", "action", "member", "detail"]
    list_select_related = ["user", "member"]
    list_filter = ["action"]


@admin.register(Recruit)
class RecruitAdmin(ReadOnlyMixin, ScopedAdmin):
    # Kept step by step on the clerk's pages (members.development), where each step's
    # time limits are checked: the admin lists and finds.
    list_display = ["name", "branch", "stage", "applied_on", "activist_on", "candidate_on"]
    list_select_related = ["branch"]
    list_filter = ["stage"]
    search_fields = ["name"]

    def view_on_site(self, obj):
        return reverse("members:recruit_detail", args=[obj.pk])


@admin.register(DevelopmentPlan)
class DevelopmentPlanAdmin(ReadOnlyMixin, ScopedAdmin):
    # Set on the plan page's edit form (members.development.views.development_plan_edit).
    list_display = ["township", "year", "planned", "young", "farmers", "women"]
    list_select_related = ["township"]
    list_filter = ["year"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """The county's holidays and 调休 workdays: one calendar for everyone."""

    scope_exempt = "节假日与调休全县统一，不属于组织树"
    list_display = ["day", "workday", "note"]
    list_filter = ["workday"]
    date_hierarchy = "day"


@admin.register(DevelopmentSettings)
class DevelopmentSettingsAdmin(admin.ModelAdmin):
    scope_exempt = "发展党员设置全县统一，不属于组织树"
    list_display = ["__str__", "notice_workdays"]

    def add_view(self, request, form_url="", extra_context=None):
        # One row, the settings in force: adding again edits it. Checked here rather
        # than in has_add_permission, which every admin page asks.
        existing = DevelopmentSettings.objects.order_by("pk").first()
        if existing is not None:
            return redirect("admin:members_developmentsettings_change", existing.pk)
        return super().add_view(request, form_url, extra_context)


class DuesStandardAdmin(HistoryValuesMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """The dues standard is the same for the whole county: not part of the tree, but audited."""

    scope_exempt = "党费标准和留存比例全县统一，不属于组织树"

    def get_form(self, request, obj=None, **kwargs):
        help_text = "调整标准请给旧规则填写失效日期，再新增一条自某月1日起生效的规则；此前月份的应缴金额不变。"
        kwargs.setdefault("help_texts", {"valid_from": help_text})
        return super().get_form(request, obj, **kwargs)


@admin.register(DuesRule)
class DuesRuleAdmin(DuesStandardAdmin):
    list_display = [
        "category",
        "income_above",
        "rate",
        "amount_min",
        "amount_max",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["category"]

    def save_model(self, request, obj, form, change):
        # Months from the rule's first day on are repriced; earlier months keep theirs.
        changed = dues_rule_save(rule=obj)
        if changed:
            self.message_user(request, f"已按新标准重算{changed}条党费台账的应缴金额。")


@admin.register(DuesRetention)
class DuesRetentionAdmin(DuesStandardAdmin):
    list_display = ["level", "share", "valid_from", "valid_to"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyMixin, ScopedAdmin):
    # Issued, received and closed on the clerk's pages (members.views), through the services.
    list_display = [
        "member",
        "kind",
        "state",
        "from_branch",
        "to_org",
        "to_branch",
        "letter_number",
        "letter_date",
        "valid_until",
    ]
    list_select_related = ["member", "from_branch", "to_org", "to_branch"]
    list_filter = ["state", "kind"]
    search_fields = ["member__name", "letter_number"]

    def view_on_site(self, obj):
        return reverse("members:transfer_detail", args=[obj.pk])


class MemberAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # A member with an open 介绍信 moves only by its receipt (members.services).
        moved = {"branch", "group"} & set(self.changed_data)
        if self.instance.pk and moved and self.instance.transfers.open().exists():
            raise forms.ValidationError(
                "该党员正在转出（介绍信未办结），不能直接修改所在党支部或党小组；"
                "请在组织关系转接中接收或退回。"
            )
        if "party_status" in self.changed_data and PartyStatus.SUSPENDED in (
            self.initial.get("party_status"),
            cleaned.get("party_status"),
        ):
            self.add_error(
                "party_status", "停止党籍和恢复党籍请在「流动、失联与党籍」页登记决定日期和文号。"
            )
        return cleaned


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    form = MemberAdminForm
    resource_classes = [MemberResource]
    # The member list keeps its own object tools (roster import and export).
    change_list_template = "admin/members/member/change_list.html"
    list_display = [
        "name",
        "masked_id_number",
        "sex",
        "branch_label",
        "group",
        "category",
        "masked_mobile_phone",
        "party_status",
        "roster_status",
    ]
    list_select_related = ["branch", "group"]
    list_filter = [
        TownshipFilter,
        NeedsReviewFilter,
        BranchFilter,
        "roster_status",
        "category",
        "party_status",
        "is_mobile",
        "lost_contact",
        "sex",
    ]
    search_fields = ["name"]
    search_help_text = "按姓名查找；有权查看个人信息的用户还可按身份证号（15位或18位）或手机号查找"
    autocomplete_fields = ["branch", "group"]
    list_per_page = 50
    inlines = [MembershipInline]
    # Leaving the roster closes the membership row: only members.services may do it.
    # 外出, 失联 and 停止党籍 are dated steps on the member's 流动、失联与党籍 page
    # (members.standing), which keeps these flags; here they are read only.
    readonly_fields = [
        "roster_status",
        "left_on",
        "left_reason",
        "transfer_link",
        "attendance_link",
        "development_link",
        "standing_link",
        # Derived from the dues ledger (members.dues): recorded on the 党费 pages.
        "dues_link",
        "monthly_dues",
        "dues_paid_until",
        "is_mobile",
        "mobile_destination",
        "lost_contact",
        "lost_contact_on",
        "lost_contact_on_precision",
    ]
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
                    ("ethnicity", "ethnicity_as_written"),
                    "birth_date",
                    ("education", "education_as_written"),
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
                    "development_link",
                    ("joined_on", "joined_on_precision"),
                    ("full_member_on", "full_member_on_precision"),
                    "party_status",
                    "roster_status",
                    "left_on",
                    "left_reason",
                    "transfer_link",
                    "attendance_link",
                ]
            },
        ),
        (
            "工作与联系",
            {
                "fields": [
                    ("occupation", "occupation_as_written"),
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
                    "standing_link",
                    "is_mobile",
                    "mobile_destination",
                    "lost_contact",
                    ("lost_contact_on", "lost_contact_on_precision"),
                ]
            },
        ),
        ("党费", {"fields": ["dues_link", "monthly_dues", "dues_paid_until"]}),
    ]

    # No ordering on masked columns: sorting by the whole number would reveal
    # the order of the hidden digits (the birth dates).
    @admin.display(description="公民身份证号")
    def masked_id_number(self, obj):
        return pii.masked("id_number", obj.id_number)

    @admin.display(description="出生日期")
    def masked_birth_date(self, obj):
        return pii.masked("birth_date", obj.birth_date)

    @admin.display(description="手机号")
    def masked_mobile_phone(self, obj):
        return pii.masked("mobile_phone", obj.mobile_phone)

    @admin.display(description="固定电话")
    def masked_landline(self, obj):
        return pii.masked("landline", obj.landline)

    @admin.display(description="所在党支部", ordering="branch__path")
    def branch_label(self, obj):
        # Branch names repeat across townships: the label says which one.
        return obj.branch.label

    def get_changelist(self, request, **kwargs):
        return LabelledChangeList

    def get_search_results(self, request, queryset, search_term):
        # Searching by a whole number is a way of reading it: only holders of
        # view_pii may, and each such search is logged. Others search by name.
        if not pii.sees_pii(request.user):
            return self._search_names(queryset, search_term)
        cleaned = clean_id_text(search_term.strip())
        if len(cleaned) == 11 and cleaned.isdigit() and cleaned.startswith("1"):
            found, what = queryset.filter(mobile_phone=cleaned), ("手机号", "mobile_phone", cleaned)
        elif len(cleaned) in (15, 18):
            try:
                number = parse_id_number(cleaned, allow_bad_check=True).number
            except IdNumberError:
                number = cleaned
            found = queryset.filter(Q(id_number=number) | Q(id_number=cleaned))
            what = ("身份证号", "id_number", number)
        else:
            return self._search_names(queryset, search_term)
        label, field, value = what
        services.pii_access_record(
            user=request.user,
            action=PiiAccess.Action.SEARCH,
            detail=f"按{label}查找 {pii.masked(field, value)}，找到 {found.count()} 人",
        )
        return found, False

    def _search_names(self, queryset, search_term):
        """The admin's search over ``search_fields`` (the name), each word of the term
        in the name. Django compares ``UPPER(name) LIKE UPPER('%…%')``, which no index
        holds; a term without letter case (Chinese) finds the same rows by plain
        LIKE, which the trigram index serves on PostgreSQL (migration 0013)."""
        uncased = search_term.upper() == search_term.lower()
        lookup = "contains" if uncased else "icontains"
        for bit in smart_split(search_term):
            if bit[0] in "\"'" and bit[-1] == bit[0]:
                bit = unescape_string_literal(bit)
            queryset = queryset.filter(
                Q.create([(f"{field}__{lookup}", bit) for field in self.search_fields], "OR")
            )
        return queryset, False

    def lookup_allowed(self, lookup, value, request=None):
        # The admin lets the query string filter on any field of the model
        # (?id_number__startswith=…): without view_pii that would read the
        # masked digits one at a time.
        if lookup.split("__")[0] in pii.PII_FIELDS and not (
            request is not None and pii.sees_pii(request.user)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="参加组织生活情况")
    def attendance_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("activities:member_attendance", args=[obj.pk])
        return format_html('<a href="{}">查看本年度出席明细与出席率</a>', url)

    @admin.display(description="发展党员纪实")
    def development_link(self, obj):
        # Members admitted through the procedure here: their record, up to 转正.
        recruit = Recruit.objects.filter(member=obj).first() if obj.pk else None
        if recruit is None:
            return "—"
        url = reverse("members:recruit_detail", args=[recruit.pk])
        return format_html('<a href="{}">{}</a>', url, f"查看纪实（{recruit.get_stage_display()}）")

    @admin.display(description="党费记录")
    def dues_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("members:dues_member", args=[obj.pk])
        return format_html('<a href="{}">党费基数、台账和收据</a>', url)

    @admin.display(description="流动、失联与党籍")
    def standing_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("members:member_standing", args=[obj.pk])
        return format_html('<a href="{}">登记外出、返回、失联或党籍变化</a>', url)

    @admin.display(description="组织关系转接")
    def transfer_link(self, obj):
        if obj.pk is None:
            return "—"
        open_letter = obj.transfers.open().first()
        if open_letter is not None:
            url = reverse("members:transfer_detail", args=[open_letter.pk])
            return format_html(
                '转出中：<a href="{}">介绍信 {}（{}）</a>',
                url,
                open_letter.letter_number,
                open_letter.destination,
            )
        if obj.roster_status != "active":
            return "—"
        url = reverse("members:transfer_issue", args=[obj.pk])
        return format_html('<a href="{}">开具组织关系介绍信</a>', url)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if pii.sees_pii(request.user):
            return fieldsets
        return [
            (name, {**opts, "fields": [MASKED_DISPLAY.get(f, f) for f in opts["fields"]]})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not pii.sees_pii(request.user):
            readonly += MASKED_DISPLAY.values()
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and pii.sees_pii(request.user):
            services.pii_access_record(
                user=request.user,
                action=PiiAccess.Action.VIEW,
                member=response.context_data["original"],
            )
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A past version shows every field whole; without view_pii it is closed
        # (403 only in scope: out of scope stays "does not exist").
        if not pii.sees_pii(request.user) and not self.out_of_scope(request, object_id):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        if pii.sees_pii(request.user):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedHistoryHelper(self.model, historical_record)

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
                started_on=obj.joined_on or timezone.localdate(),
                **data,
            )
            obj.pk = created.pk
            return
        if {"branch", "group"} & set(form.changed_data):
            # The move service records 支部间转接 or 调整党小组 as the case is.
            services.member_transfer(
                member=Member.objects.get(pk=obj.pk),
                branch=obj.branch,
                group=obj.group,
                on=timezone.localdate(),
                note=f"后台修改（{request.user.get_username()}）",
            )
        obj.save()
