"""Organisational life: "three meetings, one lesson" (三会一课) records, attendance,
the cadence rules that say what is due, and the per-month tallies reports read."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.models import OrgKind
from branches.scoping import ScopedQuerySet
from members.choices import MemberCategory


class ActivityKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", "支部党员大会"
    COMMITTEE = "committee", "支部委员会"
    GROUP_MEETING = "group_meeting", "党小组会"
    LESSON = "lesson", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    APPRAISAL = "appraisal", "民主评议党员"
    OTHER = "other", "其他"


# Which organisations hold which kinds. Group meetings are the group's own;
# everything else belongs to a branch (its groups may hold theme days too).
KINDS_FOR_ORG = {
    OrgKind.BRANCH: [k for k in ActivityKind if k != ActivityKind.GROUP_MEETING],
    OrgKind.GROUP: [ActivityKind.GROUP_MEETING, ActivityKind.THEME_DAY, ActivityKind.OTHER],
}


class Period(models.TextChoices):
    MONTH = "month", "每月"
    QUARTER = "quarter", "每季度"
    YEAR = "year", "每年"


class CadenceRule(models.Model):
    """How often an organisation of a kind must hold a kind of activity.

    Rules carry the dates they are valid for, so changing a cadence adds a
    rule from a date on and never rewrites the compliance of past periods.
    A period is governed by the rule valid on its first day.
    """

    kind = models.CharField("活动类型", max_length=20, choices=ActivityKind.choices)
    org_kind = models.CharField(
        "组织类别",
        max_length=20,
        choices=[(OrgKind.BRANCH, OrgKind.BRANCH.label), (OrgKind.GROUP, OrgKind.GROUP.label)],
    )
    period = models.CharField("周期", max_length=10, choices=Period.choices)
    # Reports pack a month's count into four bits (reports.selectors.MONTH_BITS).
    times = models.PositiveSmallIntegerField(
        "每周期次数", default=1, validators=[MaxValueValidator(15)]
    )
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField(
        "失效日期", null=True, blank=True, help_text="含当日；留空为长期有效。"
    )

    class Meta:
        verbose_name = "三会一课频次规则"
        verbose_name_plural = "三会一课频次规则"
        ordering = ["org_kind", "kind", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="cadence_valid_range",
                violation_error_message="失效日期不能早于生效日期。",
            ),
            models.CheckConstraint(condition=Q(times__gte=1), name="cadence_times_positive"),
        ]

    def __str__(self) -> str:
        org_kind, kind = self.get_org_kind_display(), self.get_kind_display()
        return f"{org_kind}{kind}{self.get_period_display()}{self.times}次"

    def clean(self) -> None:
        overlapping = CadenceRule.objects.filter(kind=self.kind, org_kind=self.org_kind).exclude(
            pk=self.pk
        )
        if self.valid_to:
            overlapping = overlapping.filter(valid_from__lte=self.valid_to)
        overlapping = overlapping.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from)
        )
        if overlapping.exists():
            raise ValidationError(
                "同一组织类别和活动类型的规则有效期不能重叠：请先给旧规则填写失效日期。"
            )


class ActivityQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Activity(models.Model):
    """One meeting or event of an organisation, as logged by a clerk or secretary.

    The counts (present, on leave, absent, expected, guests) are kept by
    ``activities.services`` whenever attendance is saved, so reports read
    them from this row instead of joining attendance. A record counts for
    the period of ``held_on``, whenever it was logged.
    """

    org = models.ForeignKey(
        "branches.Organization",
        verbose_name="组织",
        on_delete=models.PROTECT,
        related_name="activities",
    )
    kind = models.CharField("活动类型", max_length=20, choices=ActivityKind.choices)
    held_on = models.DateField("活动日期")
    topic = models.CharField("主题", max_length=200)
    host = models.CharField("主持人", max_length=50, blank=True)
    speaker = models.CharField("授课人", max_length=50, blank=True, help_text="党课填写。")
    recorder = models.CharField("记录人", max_length=50, blank=True)
    place = models.CharField("地点", max_length=100, blank=True)
    minutes = models.TextField("会议记录", blank=True)
    resolutions = models.TextField("决议事项", blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    logged_at = models.DateTimeField("登记时间")
    expected_count = models.PositiveIntegerField("应到人数", default=0)
    present_count = models.PositiveIntegerField("实到人数", default=0)
    leave_count = models.PositiveIntegerField("请假人数", default=0)
    absent_count = models.PositiveIntegerField("缺席人数", default=0)
    guest_count = models.PositiveIntegerField("列席人数", default=0)
    quorate = models.BooleanField(
        "达到法定人数",
        null=True,
        blank=True,
        help_text="支部党员大会：出席的正式党员超过应到正式党员半数。",
    )

    objects = ActivityQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "组织生活记录"
        verbose_name_plural = "组织生活记录"
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["org", "held_on"], name="activity_org_held"),
            models.Index(fields=["held_on", "kind"], name="activity_held_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.org} {self.get_kind_display()}"

    @property
    def attendance_rate(self) -> float | None:
        return self.present_count / self.expected_count if self.expected_count else None


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class AttendanceQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "activity__org"


class Attendance(models.Model):
    """One expected attendee's presence at an activity, or a guest (列席).

    Guests do not count towards the attendance rate; they may be people
    from outside the roster, so a guest row may carry a name instead of a
    member.
    """

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attendance",
    )
    guest_name = models.CharField("列席人员", max_length=50, blank=True)
    status = models.CharField("出席情况", max_length=10, choices=AttendanceStatus.choices)
    reason = models.CharField("请假事由", max_length=200, blank=True)
    is_guest = models.BooleanField("列席", default=False)
    was_mobile = models.BooleanField("流动党员", default=False)
    was_full_member = models.BooleanField("正式党员", default=True)

    objects = AttendanceQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "出席记录"
        verbose_name_plural = "出席记录"
        ordering = ["activity", "is_guest", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(member__isnull=False),
                name="attendance_one_row_per_member",
            ),
            models.CheckConstraint(
                condition=~Q(status="leave") | ~Q(reason=""),
                name="attendance_leave_has_reason",
                violation_error_message="请假必须填写事由。",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | (Q(is_guest=True) & ~Q(guest_name="")),
                name="attendance_member_or_named_guest",
            ),
        ]
        indexes = [models.Index(fields=["member", "activity"], name="attendance_member")]

    def __str__(self) -> str:
        return f"{self.member or self.guest_name} {self.get_status_display()}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Non-guessable names; the original name is kept in the row for display.
    return f"activities/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class AttachmentQuerySet(ScopedQuerySet):
    scope_through = "activity__org"


class Attachment(models.Model):
    """A sign-in sheet photo or a scan attached to an activity, served only in scope."""

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField("文件", upload_to=attachment_path)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["activity", "id"]

    def __str__(self) -> str:
        return self.original_name


class TallyQuerySet(ScopedQuerySet):
    scope_through = "org"


class ActivityTally(models.Model):
    """Derived: one organisation's activities of one kind held in one month.

    Kept by ``activities.services`` whenever an activity is saved or
    deleted, so the worklist, compliance and reports aggregate a few rows
    per organisation instead of every activity and attendance row. The
    ``on_time_*`` counts say how many were logged by the end of the month,
    quarter and year that held them, which is what "late" means for a
    monthly, quarterly or yearly rule. Not audited (derived).
    """

    org = models.ForeignKey(
        "branches.Organization", on_delete=models.CASCADE, related_name="activity_tallies"
    )
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    month = models.DateField(help_text="First day of the month.")
    count = models.PositiveIntegerField(default=0)
    on_time_month = models.PositiveIntegerField(default=0)
    on_time_quarter = models.PositiveIntegerField(default=0)
    on_time_year = models.PositiveIntegerField(default=0)
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    leave = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        verbose_name = "活动月度汇总"
        verbose_name_plural = "活动月度汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "month"], name="tally_unique_key"),
        ]
        indexes = [models.Index(fields=["month", "org"], name="tally_month_org")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.month:%Y-%m}: {self.count}"


# --- Points (党员积分制管理) and star ratings (评星定级) ----------------------------
#
# A year is governed by the rules in force on its 1 January, like a cadence
# period by the rule valid on its first day: editing a scheme adds rows from a
# date on and never rewrites a year already under way or past.


def stars_label(stars: int) -> str:
    return "★" * stars if stars else "不合格"


class PointSource(models.TextChoices):
    BASE = "base", "年度基础分"
    ATTENDANCE = "attendance", "参加组织生活"
    ABSENCE = "absence", "无故缺席"
    VOLUNTEER = "volunteer", "志愿服务"
    DUTY = "duty", "设岗定责"
    PAIRING = "pairing", "结对帮扶"
    DUES_ARREARS = "dues_arrears", "欠缴党费"
    DISCIPLINE = "discipline", "违规违纪"


# Derived from attendance rows; the rest are entered by hand and approved.
DERIVED_SOURCES = (PointSource.ATTENDANCE, PointSource.ABSENCE)
MANUAL_SOURCES = (
    PointSource.VOLUNTEER,
    PointSource.DUTY,
    PointSource.PAIRING,
    PointSource.DUES_ARREARS,
    PointSource.DISCIPLINE,
)
DEDUCTION_SOURCES = (PointSource.ABSENCE, PointSource.DUES_ARREARS, PointSource.DISCIPLINE)


class DatedRule(models.Model):
    """Fields and checks shared by every rule row that is valid for a span of dates."""

    valid_from = models.DateField("生效日期", help_text="年度按当年1月1日有效的规则计算。")
    valid_to = models.DateField(
        "失效日期", null=True, blank=True, help_text="含当日；留空为长期有效。"
    )

    class Meta:
        abstract = True

    def overlapping(self, **same):
        rows = type(self).objects.filter(**same).exclude(pk=self.pk)
        if self.valid_to:
            rows = rows.filter(valid_from__lte=self.valid_to)
        return rows.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=self.valid_from))

    def clean(self) -> None:
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "失效日期不能早于生效日期。"})


def in_force_q(on) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


class PointRule(DatedRule):
    """How many points one kind of event is worth, and the yearly cap for a member.

    Attendance and absence rules are per kind of meeting; the base is the
    points every member starts the year with. Deductions carry negative
    points. The cap limits what one member gains (or loses) from this rule
    in a year, and is applied when the year is rated, so the ledger keeps
    every event.
    """

    source = models.CharField("积分项目", max_length=20, choices=PointSource.choices)
    activity_kind = models.CharField(
        "活动类型",
        max_length=20,
        choices=ActivityKind.choices,
        blank=True,
        help_text="参加组织生活、无故缺席两项按活动类型分别设定；其他项目留空。",
    )
    points = models.DecimalField("分值", max_digits=5, decimal_places=1)
    yearly_cap = models.DecimalField(
        "年度上限",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="一名党员一年内本项加分（或扣分）的最高绝对值；留空为不设上限。",
    )

    history = audit_history()

    class Meta:
        verbose_name = "积分规则"
        verbose_name_plural = "积分规则"
        ordering = ["source", "activity_kind", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pointrule_valid_range",
                violation_error_message="失效日期不能早于生效日期。",
            ),
            models.CheckConstraint(
                condition=Q(yearly_cap__isnull=True) | Q(yearly_cap__gt=0),
                name="pointrule_cap_positive",
                violation_error_message="年度上限必须大于0。",
            ),
        ]

    def __str__(self) -> str:
        kind = self.get_activity_kind_display() if self.activity_kind else ""
        return f"{self.get_source_display()}{kind} {self.points:+}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        per_kind = self.source in DERIVED_SOURCES
        if per_kind and not self.activity_kind:
            errors["activity_kind"] = "参加组织生活和无故缺席必须选择活动类型。"
        if not per_kind and self.activity_kind:
            errors["activity_kind"] = "只有参加组织生活和无故缺席按活动类型设定。"
        if self.points is not None:
            if self.source in DEDUCTION_SOURCES and self.points >= 0:
                errors["points"] = "扣分项目的分值必须为负数。"
            if self.source not in DEDUCTION_SOURCES and self.points <= 0:
                errors["points"] = "加分项目和基础分的分值必须为正数。"
        if (
            not errors
            and self.valid_from
            and self.overlapping(source=self.source, activity_kind=self.activity_kind).exists()
        ):
            errors["valid_from"] = "同一项目的规则有效期不能重叠：请先给旧规则填写失效日期。"
        if errors:
            raise ValidationError(errors)


class StarBand(DatedRule):
    """The lowest year total that earns a number of stars (0 stars: 不合格)."""

    stars = models.PositiveSmallIntegerField(
        "星级", choices=[(n, stars_label(n)) for n in range(6)]
    )
    min_points = models.DecimalField("最低积分", max_digits=6, decimal_places=1)

    history = audit_history()

    class Meta:
        verbose_name = "星级分档"
        verbose_name_plural = "星级分档"
        ordering = ["valid_from", "stars"]

    def __str__(self) -> str:
        return f"{self.get_stars_display()} ≥{self.min_points}"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping(stars=self.stars).exists():
            raise ValidationError({"valid_from": "同一星级的分档有效期不能重叠。"})


class RankingScope(models.TextChoices):
    BRANCH = "branch", "在本支部内排名"
    TOWNSHIP = "township", "在本乡镇内排名"


class ApprovalLevel(models.TextChoices):
    COUNTY = "county", "县委组织部审批"
    TOWNSHIP = "township", "乡镇党委审批"


class RatingRule(DatedRule):
    """The settings of a year's rating: the last-ranked-group rule, the appraisal cap
    and which level approves manual point entries."""

    last_rank_enabled = models.BooleanField("启用党小组末位规则", default=True)
    ranking_scope = models.CharField(
        "排名范围", max_length=10, choices=RankingScope.choices, default=RankingScope.BRANCH
    )
    weight_compliance = models.DecimalField(
        "组织生活完成率权重", max_digits=4, decimal_places=2, default=0.5
    )
    weight_points = models.DecimalField(
        "党员平均积分权重", max_digits=4, decimal_places=2, default=0.5
    )
    min_groups = models.PositiveSmallIntegerField(
        "最少党小组数", default=3, help_text="参与排名的党小组少于此数时不确定末位。"
    )
    last_rank_cap_stars = models.PositiveSmallIntegerField(
        "末位党小组党员最高星级", default=4, choices=[(n, stars_label(n)) for n in range(6)]
    )
    unqualified_appraisal_caps = models.BooleanField("民主评议不合格者评为不合格", default=True)
    approval_level = models.CharField(
        "手工积分审批层级",
        max_length=10,
        choices=ApprovalLevel.choices,
        default=ApprovalLevel.TOWNSHIP,
    )

    history = audit_history()

    class Meta:
        verbose_name = "评星定级规则"
        verbose_name_plural = "评星定级规则"
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"评星定级规则（{self.valid_from:%Y-%m-%d} 起）"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping().exists():
            raise ValidationError({"valid_from": "评星定级规则的有效期不能重叠。"})


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class AppraisalQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "branch"


class Appraisal(models.Model):
    """A member's democratic appraisal (民主评议) grade for a year, entered by the branch.

    Probationary members take part in the appraisal but are not graded.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    grade = models.CharField("评议等次", max_length=20, choices=AppraisalGrade.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    objects = AppraisalQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "民主评议结果"
        verbose_name_plural = "民主评议结果"
        ordering = ["-year", "branch__path", "member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year"],
                name="appraisal_one_per_year",
                violation_error_message="该党员本年度已有民主评议结果。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.member} {self.get_grade_display()}"

    def clean(self) -> None:
        if self.member_id and self.member.category == MemberCategory.PROBATIONARY:
            raise ValidationError(
                {"member": f"「{self.member.name}」是预备党员：参加民主评议，但不评定等次。"}
            )


class EntryStatus(models.TextChoices):
    AUTO = "auto", "自动计入"
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已审批"
    REJECTED = "rejected", "未通过"


COUNTED_STATUSES = (EntryStatus.AUTO, EntryStatus.APPROVED)


class PointEntryQuerySet(ScopedQuerySet):
    scope_through = "org"

    def counted(self):
        return self.filter(status__in=COUNTED_STATUSES)


class PointEntry(models.Model):
    """One gain or loss of points by a member: the ledger the year's total is summed from.

    Entries from attendance (``activity`` set, status 自动计入) are derived:
    ``activities.points`` rewrites them whenever a meeting's attendance is
    saved, so they always equal what the attendance says. Manual entries
    carry a reason, who entered them and who approved them, and count only
    once approved by another user. ``org`` is where the points were earned
    (the meeting's organisation, or the member's place on the date).
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "branches.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    date = models.DateField("日期")
    source = models.CharField("积分项目", max_length=20, choices=PointSource.choices)
    activity_kind = models.CharField(
        "活动类型", max_length=20, choices=ActivityKind.choices, blank=True
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name="活动",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    points = models.DecimalField("分值", max_digits=6, decimal_places=1)
    reason = models.CharField("事由", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=EntryStatus.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("登记时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    objects = PointEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "积分记录"
        verbose_name_plural = "积分记录"
        ordering = ["date", "id"]
        permissions = [("approve_pointentry", "审批手工积分")]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(activity__isnull=False),
                name="pointentry_one_per_attendance",
            ),
            models.CheckConstraint(
                condition=Q(activity__isnull=False) | ~Q(reason=""),
                name="pointentry_manual_has_reason",
                violation_error_message="手工积分必须填写事由。",
            ),
            models.CheckConstraint(
                condition=Q(activity__isnull=True, status__in=["pending", "approved", "rejected"])
                | Q(activity__isnull=False, status="auto"),
                name="pointentry_status_matches_source",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "member"], name="pointentry_year_member"),
            models.Index(fields=["year", "status"], name="pointentry_year_status"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.member_id} {self.get_source_display()} {self.points}"


class RatingPublicationQuerySet(ScopedQuerySet):
    scope_through = "org"


class RatingPublication(models.Model):
    """A year's ratings published for a node: the frozen snapshot its rows belong to."""

    year = models.PositiveSmallIntegerField("年度")
    org = models.ForeignKey(
        "branches.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间")
    member_count = models.PositiveIntegerField("党员数")

    objects = RatingPublicationQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "评星定级发布"
        verbose_name_plural = "评星定级发布"
        ordering = ["-year", "org__path"]
        permissions = [("publish_rating", "发布年度评星定级")]
        constraints = [
            models.UniqueConstraint(fields=["year", "org"], name="publication_unique_year_org"),
        ]

    def __str__(self) -> str:
        return f"{self.year}年度 {self.org} 评星定级"


class RatingQuerySet(ScopedQuerySet):
    scope_through = "org"


class Rating(models.Model):
    """A member's rating for a year: a draft row (no publication) or a published, frozen one.

    Drafts are recomputed from the ledger by ``activities.ratings``; published
    rows are copies that nothing rewrites. ``org`` is the member's group (or
    branch) at the year's end. ``capped`` is what the per-rule caps took off;
    ``note`` explains any cap on the stars.
    """

    year = models.PositiveSmallIntegerField("年度")
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "branches.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    publication = models.ForeignKey(
        RatingPublication,
        verbose_name="发布",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ratings",
    )
    base = models.DecimalField("基础分", max_digits=6, decimal_places=1)
    additions = models.DecimalField("加分", max_digits=6, decimal_places=1)
    deductions = models.DecimalField("扣分", max_digits=6, decimal_places=1)
    capped = models.DecimalField("超出上限未计", max_digits=6, decimal_places=1)
    total = models.DecimalField("总分", max_digits=6, decimal_places=1)
    points_stars = models.PositiveSmallIntegerField("按积分星级")
    appraisal = models.CharField(
        "民主评议", max_length=20, choices=AppraisalGrade.choices, blank=True
    )
    stars = models.PositiveSmallIntegerField("评定星级")
    note = models.CharField("说明", max_length=300, blank=True)
    computed_at = models.DateTimeField("计算时间")

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "党员评星"
        verbose_name_plural = "党员评星"
        permissions = [("compute_rating", "计算评星定级草稿")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "member"],
                condition=Q(publication__isnull=True),
                name="rating_one_draft_per_year",
            ),
            models.UniqueConstraint(
                fields=["publication", "member"], name="rating_one_per_publication"
            ),
        ]
        indexes = [models.Index(fields=["year", "org"], name="rating_year_org")]

    def __str__(self) -> str:
        return f"{self.year} {self.member_id} {self.total} {self.stars}★"

    @property
    def stars_text(self) -> str:
        return stars_label(self.stars)

    @property
    def points_stars_text(self) -> str:
        return stars_label(self.points_stars)


class GroupRankQuerySet(ScopedQuerySet):
    scope_through = "group"


class GroupRank(models.Model):
    """A party group's place in the year's ranking (a draft row, or part of a publication).

    Score = compliance (percent of due meetings held) × its weight + the
    members' average points × its weight; ranked within the branch or the
    township as the rating rule says. ``is_last`` marks every group tied at
    the bottom when the ranking applies (enough groups).
    """

    year = models.PositiveSmallIntegerField("年度")
    group = models.ForeignKey(
        "branches.Organization", verbose_name="党小组", on_delete=models.PROTECT, related_name="+"
    )
    scope_org = models.ForeignKey(
        "branches.Organization", verbose_name="排名范围", on_delete=models.PROTECT, related_name="+"
    )
    publication = models.ForeignKey(
        RatingPublication,
        verbose_name="发布",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_ranks",
    )
    member_count = models.PositiveIntegerField("党员数")
    compliance = models.DecimalField(
        "组织生活完成率", max_digits=5, decimal_places=4, null=True, blank=True
    )
    average_points = models.DecimalField("平均积分", max_digits=6, decimal_places=2)
    score = models.DecimalField("综合得分", max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField("名次")
    group_count = models.PositiveIntegerField("参与排名党小组数")
    is_last = models.BooleanField("末位", default=False)
    leader = models.ForeignKey(
        "members.Member",
        verbose_name="党小组长",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    computed_at = models.DateTimeField("计算时间")

    objects = GroupRankQuerySet.as_manager()

    class Meta:
        verbose_name = "党小组排名"
        verbose_name_plural = "党小组排名"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "group"],
                condition=Q(publication__isnull=True),
                name="grouprank_one_draft_per_year",
            ),
        ]
        indexes = [models.Index(fields=["year", "scope_org"], name="grouprank_year_scope")]

    def __str__(self) -> str:
        return f"{self.year} {self.group_id} 第{self.rank}名"
