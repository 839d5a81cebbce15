from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from activities import services
from activities.ledgers.diary.services import diary_entry_delete
from activities.ledgers.duty.services import duty_log_delete
from activities.ledgers.pairs.services import pairing_visit_delete
from activities.ledgers.study.services import study_session_delete
from activities.ledgers.talks.services import talk_delete
from activities.models import (
    MANUAL_SOURCES,
    Activity,
    Appraisal,
    Attendance,
    CadenceRule,
    DiaryEntry,
    DutyLog,
    GradeLevel,
    OrgGrade,
    PairingVisit,
    PointEntry,
    PointRule,
    Rating,
    RatingPublication,
    RatingRule,
    SecretaryReportMeeting,
    StarBand,
    StudyAttendance,
    StudySession,
    StudyTarget,
    Talk,
)
from activities.points.selectors import excellent_share
from activities.points.services import (
    appraisal_save,
    point_entries_decide,
    point_entry_create,
    point_entry_errors,
)
from activities.rectification.admin import ModelSiteAdmin, RectificationCaseAdmin  # noqa: F401
from activities.resources import AttendanceResource
from activities.tasks import recompute_points
from branches.scoped_admin import (
    AuditedAdmin,
    HistoryValuesMixin,
    ReadOnlyHistoryMixin,
    ReadOnlyMixin,
    ScopedAdmin,
)


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):
    """Cadences are the same for the whole county: not part of the tree."""

    scope_exempt = "三会一课频次规则全县统一，不属于组织树"
    list_display = ["org_kind", "kind", "by_secretary", "period", "times", "valid_from", "valid_to"]
    list_filter = ["org_kind", "kind", "period", "by_secretary"]


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


class DatedRuleAdmin(HistoryValuesMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """Scheme rows are the same for the whole county: not part of the tree, but audited."""

    scope_exempt = "积分和评星规则全县统一，不属于组织树"
    date_help = "修改分值请给旧规则填写失效日期，再新增一条自次年1月1日起生效的规则。"

    def get_form(self, request, obj=None, **kwargs):
        kwargs.setdefault("help_texts", {"valid_from": self.date_help})
        return super().get_form(request, obj, **kwargs)


@admin.register(PointRule)
class PointRuleAdmin(DatedRuleAdmin):
    list_display = ["source", "activity_kind", "points", "yearly_cap", "valid_from", "valid_to"]
    list_filter = ["source", "activity_kind"]
    actions = ["recompute_this_year"]

    @admin.action(description="按规则重新计算今年的出席积分（后台执行）", permissions=["change"])
    def recompute_this_year(self, request, queryset):
        year = timezone.localdate().year
        recompute_points.enqueue(year)
        self.message_user(
            request,
            f"已在后台按{year}年1月1日有效的规则重新计算出席积分，全县数据约需一分钟；"
            "完成后请在评星定级页重新计算草稿。",
        )


@admin.register(StudyTarget)
class StudyTargetAdmin(DatedRuleAdmin):
    scope_exempt = "党员学习学时要求全县统一，不属于组织树"
    date_help = "修改学时要求请给旧规则填写失效日期，再新增一条自次年1月1日起生效的规则。"
    list_display = ["member_hours", "secretary_hours", "valid_from", "valid_to"]


@admin.register(StarBand)
class StarBandAdmin(DatedRuleAdmin):
    list_display = ["stars", "min_points", "valid_from", "valid_to"]


@admin.register(RatingRule)
class RatingRuleAdmin(DatedRuleAdmin):
    list_display = [
        "valid_from",
        "valid_to",
        "last_rank_enabled",
        "ranking_scope",
        "min_groups",
        "last_rank_cap_stars",
        "approval_level",
    ]


@admin.register(Appraisal)
class AppraisalAdmin(AuditedAdmin):
    """民主评议 grades, entered by the branch once a year; probationary members are not graded."""

    list_display = ["year", "member", "branch", "grade", "entered_by"]
    list_select_related = ["member", "branch", "entered_by"]
    list_filter = ["year", "grade"]
    search_fields = ["member__name"]
    autocomplete_fields = ["member"]
    fields = ["member", "year", "grade"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        appraisal_save(appraisal=obj, by=request.user)
        excellent, graded = excellent_share(branch_id=obj.branch_id, year=obj.year)
        if excellent * 3 > graded:
            # A guide, not a rule: grades are often entered one by one, so only warn.
            self.message_user(
                request,
                f"{obj.branch.name}{obj.year}年度评为优秀的已有 {excellent} 人，"
                f"占已评定 {graded} 人的三分之一以上，请核对（一般不超过三分之一）。",
                messages.WARNING,
            )


class PointEntryForm(forms.ModelForm):
    """A manual entry: the size of the gain or loss; its sign follows the source."""

    source = forms.ChoiceField(
        label="积分项目", choices=[(s.value, s.label) for s in MANUAL_SOURCES]
    )
    points = forms.DecimalField(
        label="分值",
        required=False,
        min_value=Decimal("0.1"),
        max_digits=5,
        decimal_places=1,
        help_text="填写加分或扣分的大小；留空按积分规则的分值。扣分项目自动记为负数。",
    )

    class Meta:
        model = PointEntry
        fields = ["member", "date", "source", "points", "reason"]

    def clean(self):
        data = super().clean()
        if {"source", "date", "reason"} <= set(data):
            errors = point_entry_errors(
                source=data["source"],
                date=data["date"],
                points=data.get("points"),
                reason=data["reason"],
            )
            for field, message in errors.items():
                self.add_error(field, message)
        return data

    def _post_clean(self):
        # The entry is built by the service on save; the model checks fields it sets.
        pass


@admin.register(PointEntry)
class PointEntryAdmin(ScopedAdmin):
    """The ledger. Manual entries are added here and approved in bulk by another user;
    entries from attendance are derived and read-only."""

    form = PointEntryForm
    list_display = [
        "date",
        "member",
        "org",
        "source",
        "activity_kind",
        "points",
        "reason",
        "status",
        "entered_by",
        "decided_by",
    ]
    list_select_related = ["member", "org", "entered_by", "decided_by"]
    list_filter = ["status", "source", "year"]
    search_fields = ["member__name", "reason"]
    autocomplete_fields = ["member"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["approve", "reject"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PointEntry._meta.fields] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = point_entry_create(
            member=data["member"],
            source=data["source"],
            date=data["date"],
            points=data["points"],
            reason=data["reason"],
            by=request.user,
        )
        obj.pk = saved.pk

    def _decide(self, request, queryset, approve: bool):
        try:
            count = point_entries_decide(entries=queryset, by=request.user, approve=approve)
        except (ValidationError, PermissionDenied) as error:
            for message in getattr(error, "messages", [str(error)]):
                self.message_user(request, message, level=messages.ERROR)
            self.message_user(request, "没有审批任何记录，请去掉上述记录后重试。", messages.ERROR)
            return
        verb = "批准" if approve else "退回"
        self.message_user(request, f"已{verb} {count} 条手工积分。")

    @admin.action(description="批准所选的手工积分", permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="退回所选的手工积分", permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)

    def has_approve_permission(self, request):
        return request.user.has_perm("activities.approve_pointentry")


@admin.register(RatingPublication)
class RatingPublicationAdmin(ReadOnlyMixin, AuditedAdmin):
    """Publications are made on the rating pages; here they are read and audited."""

    list_display = [
        "year",
        "org",
        "published_by",
        "published_at",
        "member_count",
        "withdrawn_at",
        "withdraw_reason",
    ]
    list_select_related = ["org", "published_by"]
    readonly_fields = [f.name for f in RatingPublication._meta.fields]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyMixin, ScopedAdmin):
    """出席记录: every expected attendee of every meeting, as logged."""

    resource_classes = [AttendanceResource]
    list_display = ["held_on", "org", "kind", "member", "guest_name", "status", "reason"]
    list_select_related = ["activity__org", "member"]
    list_filter = ["status", "is_guest", "activity__kind"]
    search_fields = ["member__name", "guest_name"]
    # By id: the default ordering by meeting would sort a county's 1.8 million rows.
    ordering = ["-id"]
    list_per_page = 50

    @admin.display(description="活动日期")
    def held_on(self, obj):
        return obj.activity.held_on

    @admin.display(description="组织")
    def org(self, obj):
        return obj.activity.org

    @admin.display(description="活动类型")
    def kind(self, obj):
        return obj.activity.get_kind_display()


@admin.register(Rating)
class RatingAdmin(ReadOnlyMixin, ScopedAdmin):
    """评星结果: each member's draft or published rating, as the rating pages store it."""

    list_display = ["year", "member", "branch", "org", "total", "stars", "appraisal", "note"]
    list_select_related = ["member", "branch", "org"]
    list_filter = ["year", "stars", ("publication", admin.EmptyFieldListFilter)]
    search_fields = ["member__name"]
    ordering = ["-year", "branch__path", "member__name"]
    list_per_page = 100


# --- Yearly assessment (activities.assessment) ---------------------------------------------


@admin.register(GradeLevel)
class GradeLevelAdmin(HistoryValuesMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin):
    """The county's grading levels and their minimums: the same for the whole county."""

    scope_exempt = "定级等次和标准全县统一，不属于组织树"
    list_display = ["rank", "name", "min_compliance", "min_stars", "no_last_group", "lagging"]
    ordering = ["rank"]

    def has_delete_permission(self, request, obj=None):
        # Grades hold on to their level: a level is changed, never deleted.
        return False


@admin.register(OrgGrade)
class OrgGradeAdmin(ReadOnlyMixin, AuditedAdmin):
    """Grades are confirmed on the grading page; here they are read and audited."""

    list_display = ["year", "org", "level", "suggested", "reasons", "graded_by", "graded_at"]
    list_select_related = ["org", "level", "suggested", "graded_by"]
    list_filter = ["year", "level"]
    search_fields = ["org__name"]
    readonly_fields = [f.name for f in OrgGrade._meta.fields]


@admin.register(SecretaryReportMeeting)
class SecretaryReportMeetingAdmin(ReadOnlyMixin, AuditedAdmin):
    """述职评议会 are recorded on their pages; here they are read and audited."""

    list_display = ["year", "quarter", "org", "held_on", "evaluators", "recorded_by"]
    list_select_related = ["org", "recorded_by"]
    list_filter = ["year", "quarter"]
    search_fields = ["org__name"]
    readonly_fields = [f.name for f in SecretaryReportMeeting._meta.fields]


class LedgerRecordAdmin(AuditedAdmin):
    """A working ledger's record (activities.ledgers), read here and, when it was logged by
    mistake, deleted one at a time through its service, which keeps the derived points
    in step and refuses what its ledger forbids (``delete_service``); the clerk's pages
    record them, so nothing is added or changed here."""

    show_full_result_count = False
    list_per_page = 50
    # The latest recorded first, through the primary key's index (a date order would
    # sort a county's 200,000 visits on each page). No date hierarchy either: its years
    # would be read from every row in scope. The clerk comes here from a record's 删除
    # link, and the search finds one by name or text.
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # One at a time, through the confirmation page: a refusal is shown there.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_service(self, record) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.delete_service(obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, "；".join(exc.messages), messages.ERROR)
            opts = self.opts
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", object_id)


@admin.register(Talk)
class TalkAdmin(LedgerRecordAdmin):
    list_display = ["talked_on", "org", "initiator", "partner", "summary", "recorded_by"]
    list_select_related = ["org", "initiator", "partner", "recorded_by"]
    search_fields = ["initiator__name", "partner__name", "org__name"]

    def delete_service(self, talk):
        talk_delete(talk=talk)


@admin.register(StudySession)
class StudySessionAdmin(LedgerRecordAdmin):
    list_display = ["date", "org", "topic", "form", "hours", "recorded_by"]
    list_select_related = ["org", "recorded_by"]
    list_filter = ["form"]
    search_fields = ["topic", "org__name"]

    def delete_service(self, session):
        study_session_delete(session=session)

    def get_deleted_objects(self, objs, request):
        # The admin would list every attendance row by id; the count says it plainly.
        objs = list(objs)
        attended = dict(
            StudyAttendance.objects.filter(session__in=objs)
            .values_list("session_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        listed = [
            f"{s.date:%Y-%m-%d} {s.topic}（{attended.get(s.pk, 0)}名党员的参加记录一并删除）"
            for s in objs
        ]
        counts = {"党员学习": len(objs), "党员学习参加人员": sum(attended.values())}
        return listed, counts, set(), []


@admin.register(DiaryEntry)
class DiaryEntryAdmin(LedgerRecordAdmin):
    list_display = ["date", "org", "cadre", "household", "concern", "outcome", "recorded_by"]
    list_select_related = ["org", "cadre", "recorded_by"]
    list_filter = ["outcome"]
    search_fields = ["household", "concern", "cadre__name", "org__name"]

    def delete_service(self, entry):
        diary_entry_delete(entry=entry)


@admin.register(DutyLog)
class DutyLogAdmin(LedgerRecordAdmin):
    list_display = ["done_on", "assignment", "text", "recorded_by"]
    list_select_related = ["assignment__post__org", "assignment__member", "recorded_by"]
    search_fields = ["text", "assignment__member__name", "assignment__post__name"]

    def delete_service(self, log):
        duty_log_delete(log=log)


@admin.register(PairingVisit)
class PairingVisitAdmin(LedgerRecordAdmin):
    list_display = ["visited_on", "pairing", "kind", "help_given", "recorded_by"]
    list_select_related = ["pairing__org", "pairing__member", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["help_given", "pairing__partner_name", "pairing__member__name"]

    def delete_service(self, visit):
        pairing_visit_delete(visit=visit)
