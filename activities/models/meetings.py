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


class ActivityKind(models.TextChoices):
    GENERAL_MEETING = "general_meeting", "支部党员大会"
    COMMITTEE = "committee", "支部委员会"
    GROUP_MEETING = "group_meeting", "党小组会"
    LESSON = "lesson", "党课"
    THEME_DAY = "theme_day", "主题党日"
    LIFE_MEETING = "life_meeting", "组织生活会"
    APPRAISAL = "appraisal", "民主评议党员"
    OTHER = "other", "其他"
    # The township's yearly exchange of its groups' experience: held by the 乡镇党委
    # alone (EXCHANGE_ORG_KINDS), owed by nobody (no cadence rule can name a township).
    EXCHANGE = "exchange", "经验交流会"


# Which organisations hold which kinds (and so which ones log meetings at all).
# Group meetings are the group's own; everything else belongs to a branch (its
# groups may hold theme days too). A general branch (党总支) holds its own members'
# meeting, committee and lessons; theme days, 组织生活会 and the appraisal happen
# in its branches. A 基层党委 holds the same as a 党总支: its 党员大会 (or 代表大会),
# its committee's meetings and lessons.
COMMITTEE_MEETINGS = [
    ActivityKind.GENERAL_MEETING,
    ActivityKind.COMMITTEE,
    ActivityKind.LESSON,
    ActivityKind.OTHER,
]
KINDS_FOR_ORG = {
    OrgKind.PRIMARY_COMMITTEE: COMMITTEE_MEETINGS,
    OrgKind.GENERAL_BRANCH: COMMITTEE_MEETINGS,
    OrgKind.BRANCH: [
        k for k in ActivityKind if k not in (ActivityKind.GROUP_MEETING, ActivityKind.EXCHANGE)
    ],
    OrgKind.GROUP: [ActivityKind.GROUP_MEETING, ActivityKind.THEME_DAY, ActivityKind.OTHER],
}
# The organisations that log meetings and owe them.
MEETING_ORG_KINDS = tuple(KINDS_FOR_ORG)
# The township committee logs one kind besides: its yearly 经验交流会, through the group
# reports' pages (activities.ledgers.grouprep). It stays out of KINDS_FOR_ORG and
# MEETING_ORG_KINDS, so the worklist, compliance, rules and reports never count a
# township as an organisation that owes meetings.
EXCHANGE_ORG_KINDS = (OrgKind.TOWNSHIP,)


def kinds_for(org_kind: str) -> list[str]:
    """Every kind an organisation of *org_kind* may log: its meetings, and the township's
    经验交流会."""
    kinds = list(KINDS_FOR_ORG.get(org_kind, []))
    if org_kind in EXCHANGE_ORG_KINDS:
        kinds.append(ActivityKind.EXCHANGE)
    return kinds


# Kinds given by a speaker (授课人); the form asks for one only for these.
SPEAKER_KINDS = (ActivityKind.LESSON,)
SECRETARY_LESSON_LABEL = "书记讲党课"


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
        choices=[(k, OrgKind(k).label) for k in MEETING_ORG_KINDS],
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
    by_secretary = models.BooleanField(
        "须由书记讲授",
        default=False,
        help_text="只计本组织书记讲授的党课：授课人选为党员，且活动当日任本组织书记。",
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
            models.CheckConstraint(
                condition=Q(by_secretary=False) | Q(kind__in=SPEAKER_KINDS),
                name="cadence_by_secretary_has_speaker",
                violation_error_message="只有党课可以要求由书记讲授。",
            ),
        ]

    def __str__(self) -> str:
        org_kind, kind = self.get_org_kind_display(), self.label
        return f"{org_kind}{kind}{self.get_period_display()}{self.times}次"

    @property
    def label(self) -> str:
        """What the rule asks for: the kind, or 书记讲党课 for the secretary's own lessons."""
        return SECRETARY_LESSON_LABEL if self.by_secretary else self.get_kind_display()

    def clean(self) -> None:
        # The secretary's lessons are a rule beside the lessons of every speaker, so
        # the two may run side by side.
        overlapping = CadenceRule.objects.filter(
            kind=self.kind, org_kind=self.org_kind, by_secretary=self.by_secretary
        ).exclude(pk=self.pk)
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
    # The speaker as a member where they are one: the secretary's yearly lesson is
    # checked by it (CadenceRule.by_secretary); ``speaker`` keeps the name either way.
    speaker_member = models.ForeignKey(
        "members.Member",
        verbose_name="授课党员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lessons_given",
    )
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

    def clean(self) -> None:
        if self.speaker_member_id and self.kind not in SPEAKER_KINDS:
            raise ValidationError(
                {"speaker_member": f"「{self.get_kind_display()}」没有授课人，只有党课填写。"}
            )


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
    # Lessons given by the organisation's secretary (activities.cadence.by_secretary_q),
    # judged when the tally is written: a 书记 post entered later counts once the
    # lesson is saved again or the tallies are rebuilt.
    by_secretary = models.PositiveIntegerField(default=0)

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


class ActivityYearTally(models.Model):
    """Derived: one organisation's monthly tallies of one kind for one year, packed.

    Each ``*_packed`` column holds twelve four-bit counts, January in the
    lowest bits, each month's count capped at 15 (``activities.cadence``
    reads a month as ``(packed >> 4 * (month - 1)) & 15``). The compliance
    report reads one row per organisation and kind instead of summing a
    year of monthly rows. Kept with the monthly tallies, in the same
    transaction (``activities.services.tally_refresh``), and rebuilt with
    them (``tally_rebuild``). Not audited (derived).
    """

    org = models.ForeignKey(
        "branches.Organization", on_delete=models.CASCADE, related_name="activity_year_tallies"
    )
    kind = models.CharField(max_length=20, choices=ActivityKind.choices)
    year = models.PositiveSmallIntegerField()
    count_packed = models.BigIntegerField(default=0)
    on_time_month_packed = models.BigIntegerField(default=0)
    on_time_quarter_packed = models.BigIntegerField(default=0)
    on_time_year_packed = models.BigIntegerField(default=0)
    by_secretary_packed = models.BigIntegerField(default=0)
    # Attendance by month would not fit four bits: kept as the year's sums, and
    # the months after the report's last day hold no meetings (none is logged ahead).
    expected = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)

    objects = TallyQuerySet.as_manager()

    class Meta:
        verbose_name = "活动年度汇总"
        verbose_name_plural = "活动年度汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "year"], name="year_tally_unique_key"),
        ]
        indexes = [models.Index(fields=["year", "org"], name="year_tally_year_org")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.kind} {self.year}"
