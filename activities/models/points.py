"""Points (党员积分制管理): the dated rules and the ledger of entries.

A year is governed by the rules in force on its 1 January, like a cadence
period by the rule valid on its first day: editing a scheme adds rows from a
date on and never rewrites a year already under way or past.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from activities.models.meetings import Activity, ActivityKind
from branches.audit import audit_history
from branches.dated import DatedRule, in_force_q  # noqa: F401  (re-exported)
from branches.scoping import ScopedQuerySet


class PointSource(models.TextChoices):
    BASE = "base", "年度基础分"
    ATTENDANCE = "attendance", "参加组织生活"
    ABSENCE = "absence", "无故缺席"
    VOLUNTEER = "volunteer", "志愿服务"
    DUTY = "duty", "设岗定责"
    PAIRING = "pairing", "结对帮扶"
    DUES_ARREARS = "dues_arrears", "欠缴党费"
    DISCIPLINE = "discipline", "违规违纪"
    PLEDGE = "pledge", "兑现公开承诺"
    DUTY_LOG = "duty_log", "设岗定责履职"
    PAIRING_VISIT = "pairing_visit", "结对帮扶走访"
    STUDY = "study", "学习达标"


# Derived from attendance rows; the rest are entered by hand and approved, except
# dues arrears, derived from the dues ledger (activities.points.dues) so they are
# never deducted twice, and the working ledgers' items (activities.points.ledgers).
# 设岗定责 stays a manual source for the years its rule row covers: from the year the
# 设岗定责履职 rule starts (0021_duty_posts_defaults) the manual rule is closed, so
# only the ledger's derived items count and old approved entries keep theirs; 结对帮扶
# likewise from 结对帮扶走访 (0023_pairings_defaults).
DERIVED_SOURCES = (PointSource.ATTENDANCE, PointSource.ABSENCE)
LEDGER_SOURCES = (
    PointSource.PLEDGE,
    PointSource.DUTY_LOG,
    PointSource.PAIRING_VISIT,
    PointSource.STUDY,
)
MANUAL_SOURCES = (
    PointSource.VOLUNTEER,
    PointSource.DUTY,
    PointSource.PAIRING,
    PointSource.DISCIPLINE,
)
DEDUCTION_SOURCES = (PointSource.ABSENCE, PointSource.DUES_ARREARS, PointSource.DISCIPLINE)


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
                | Q(activity__isnull=False, status="auto")
                | Q(
                    activity__isnull=True,
                    source__in=["dues_arrears", "pledge", "duty_log", "pairing_visit", "study"],
                    status="auto",
                ),
                name="pointentry_status_matches_source",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "member"], name="pointentry_year_member"),
            models.Index(fields=["year", "status"], name="pointentry_year_status"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.member_id} {self.get_source_display()} {self.points}"
