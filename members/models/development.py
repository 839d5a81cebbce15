"""发展党员: a person followed from the application letter to full membership.

The procedure and its time limits are those of the 中国共产党发展党员工作细则
(2014); the rules themselves live in ``members.development.rules`` and every
write in ``members.development.services``.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.models import OrgKind
from branches.scoping import ScopedQuerySet
from members import pii
from members.choices import ETHNICITY_CHOICES, HAN, Education, Occupation, Sex
from members.dates import months_later


class Stage(models.TextChoices):
    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    LEFT = "left", "已退出"


# The stages before membership, in their order: the as-of counts and the 花名册.
PIPELINE = (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE)


class LeaveKind(models.TextChoices):
    WITHDRAWN = "withdrawn", "撤回申请"
    DROPPED = "dropped", "不再列为入党积极分子"
    NOT_ADMITTED = "not_admitted", "不再列为发展对象"
    CANCELLED = "cancelled", "取消预备党员资格"


class RecruitQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "branch"


def stages_on(day: datetime.date) -> dict[str, Q]:
    """Who was at each stage before membership on *day*, from the dates: started it on
    or before the day, not moved on (or left) by then."""
    spans = {
        Stage.APPLICANT: ("applied_on", "activist_on"),
        Stage.ACTIVIST: ("activist_on", "candidate_on"),
        Stage.CANDIDATE: ("candidate_on", "admitted_on"),
    }
    stayed = Q(left_on__isnull=True) | Q(left_on__gt=day)
    return {
        stage: Q(**{f"{start}__lte": day})
        & (Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gt": day}))
        & stayed
        for stage, (start, end) in spans.items()
    }


class Recruit(models.Model):
    """One person in the 发展党员 procedure, from the application to 转正 (or leaving it).

    ``stage`` is where the person is now; the dates say where they were on
    any day (``stages_on``), so reports for a past date give past
    figures. On the higher committee's approval the person becomes a roster
    member (``member``), joined on the day of the 支部大会; ``admitted_on``
    repeats that day and ``full_on`` the day probation ended. Votes,
    assessments and recorded exceptions hang off the record.
    """

    class ActivistHow(models.TextChoices):
        RECOMMENDED = "recommended", "党员推荐"
        NOMINATED = "nominated", "群团组织推优"

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("公民身份证号", max_length=18, db_index=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    ethnicity = models.CharField(
        "民族", max_length=10, choices=ETHNICITY_CHOICES, default=HAN, blank=True
    )
    education = models.CharField("学历", max_length=30, choices=Education.choices, blank=True)
    occupation = models.CharField("工作岗位", max_length=20, choices=Occupation.choices, blank=True)
    mobile_phone = models.CharField("手机号", max_length=20, blank=True)
    branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="所在党支部",
        on_delete=models.PROTECT,
        related_name="recruits",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    group = models.ForeignKey(
        "branches.Organization",
        verbose_name="所在党小组",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": OrgKind.GROUP},
    )
    stage = models.CharField("阶段", max_length=20, choices=Stage.choices, db_index=True)

    # 入党申请人
    applied_on = models.DateField("递交入党申请书日期")
    talk_on = models.DateField("谈话日期", null=True, blank=True)
    talk_by = models.CharField("谈话人", max_length=50, blank=True)
    # 入党积极分子
    activist_on = models.DateField("确定为入党积极分子日期", null=True, blank=True)
    activist_how = models.CharField(
        "推荐方式", max_length=20, choices=ActivistHow.choices, blank=True
    )
    activist_committee_on = models.DateField("支委会研究日期", null=True, blank=True)
    activist_filed_on = models.DateField("报上级党委备案日期", null=True, blank=True)
    contact_1 = models.ForeignKey(
        "members.Member",
        verbose_name="培养联系人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    contact_2 = models.ForeignKey(
        "members.Member",
        verbose_name="培养联系人（二）",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    # 发展对象
    candidate_on = models.DateField("确定为发展对象日期", null=True, blank=True)
    candidate_filed_on = models.DateField("发展对象报上级党委备案日期", null=True, blank=True)
    introducer_1 = models.ForeignKey(
        "members.Member",
        verbose_name="入党介绍人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    introducer_2 = models.ForeignKey(
        "members.Member",
        verbose_name="入党介绍人（二）",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    review_on = models.DateField("政治审查日期", null=True, blank=True)
    review_conclusion = models.CharField("政治审查结论", max_length=200, blank=True)
    training_from = models.DateField("集中培训开始日期", null=True, blank=True)
    training_to = models.DateField("集中培训结束日期", null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField("培训学时", null=True, blank=True)
    training_passed = models.BooleanField("培训结业", default=False)
    committee_review_on = models.DateField("支委会审查日期", null=True, blank=True)
    prereview_on = models.DateField("上级党委预审日期", null=True, blank=True)
    notice_from = models.DateField("公示开始日期", null=True, blank=True)
    notice_to = models.DateField("公示结束日期", null=True, blank=True)
    # 预备党员: the 支部大会 and its approval are in ``Vote``; these repeat their dates.
    admitted_on = models.DateField("接收为预备党员日期", null=True, blank=True)
    admission_approved_on = models.DateField("上级党委审批日期", null=True, blank=True)
    oath_on = models.DateField("入党宣誓日期", null=True, blank=True)
    member = models.OneToOneField(
        "members.Member",
        verbose_name="党员记录",
        on_delete=models.PROTECT,
        related_name="recruit",
        null=True,
        blank=True,
    )
    # 转正
    confirm_applied_on = models.DateField("转正申请日期", null=True, blank=True)
    extended_months = models.PositiveSmallIntegerField("延长预备期（月）", null=True, blank=True)
    full_on = models.DateField("转为正式党员日期", null=True, blank=True)
    # Leaving the procedure
    left_on = models.DateField("退出日期", null=True, blank=True)
    left_kind = models.CharField("退出情形", max_length=20, choices=LeaveKind.choices, blank=True)
    left_reason = models.CharField("退出原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = RecruitQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "发展党员纪实"
        verbose_name_plural = "发展党员纪实"
        ordering = ["branch__path", "applied_on", "id"]
        permissions = [("waive_rule", "记录发展党员时限例外")]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(stage__in=["left", "full"]),
                name="recruit_unique_open_id_number",
                violation_error_message="该身份证号已在发展党员程序中。",
            ),
            models.CheckConstraint(
                condition=Q(stage="left", left_on__isnull=False, left_kind__gt="")
                | ~Q(stage="left"),
                name="recruit_left_has_date",
                violation_error_message="退出发展程序须填写日期和情形。",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "stage"], name="recruit_branch_stage"),
            models.Index(fields=["admitted_on"], name="recruit_admitted"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_stage_display()}）"

    @property
    def id_number_masked(self) -> str:
        return pii.masked("id_number", self.id_number)

    @property
    def probation_ends_on(self) -> datetime.date | None:
        """The day probation ends: a year from the vote, plus any extension."""
        if self.admitted_on is None:
            return None
        return months_later(self.admitted_on, 12 + (self.extended_months or 0))

    def clean(self) -> None:
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            raise ValidationError({"branch": f"「{self.branch.name}」不是党支部。"})
        if self.group_id and self.group.parent_id != self.branch_id:
            raise ValidationError({"group": f"党小组「{self.group.name}」不在所在党支部内。"})


class Assessment(models.Model):
    """One half-yearly 考察 of an 入党积极分子 by the branch."""

    class Outcome(models.TextChoices):
        GOOD = "good", "好"
        FAIR = "fair", "较好"
        AVERAGE = "average", "一般"
        POOR = "poor", "差"

    recruit = models.ForeignKey(
        Recruit, verbose_name="发展对象", on_delete=models.CASCADE, related_name="assessments"
    )
    on = models.DateField("考察日期")
    outcome = models.CharField("考察结果", max_length=10, choices=Outcome.choices)
    note = models.CharField("考察意见", max_length=300, blank=True)

    history = audit_history()

    class Meta:
        verbose_name = "培养考察"
        verbose_name_plural = "培养考察"
        ordering = ["recruit", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recruit", "on"],
                name="assessment_one_per_day",
                violation_error_message="这一天已有一次考察记录。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recruit.name} {self.on} {self.get_outcome_display()}"


class Vote(models.Model):
    """A 支部大会 resolution on a person – to admit them, or on their 转正 – and its approval.

    Only full members have a vote: ``entitled`` counts the branch's full
    members with a vote (应到), ``present`` those at the meeting (实到), and
    the ``written_*`` counts the written opinions absent voting members
    handed in before the meeting, which count as votes.
    """

    class Purpose(models.TextChoices):
        ADMIT = "admit", "接收预备党员"
        CONFIRM = "confirm", "预备党员转正"

    class Decision(models.TextChoices):
        ADMIT = "admit", "同意接收为预备党员"
        REJECT = "reject", "不同意接收"
        CONFIRM = "confirm", "按期转为正式党员"
        EXTEND = "extend", "延长预备期"
        CANCEL = "cancel", "取消预备党员资格"

    recruit = models.ForeignKey(
        Recruit, verbose_name="发展对象", on_delete=models.CASCADE, related_name="votes"
    )
    purpose = models.CharField("事项", max_length=10, choices=Purpose.choices)
    held_on = models.DateField("支部大会日期")
    entitled = models.PositiveSmallIntegerField("应到会有表决权的正式党员")
    present = models.PositiveSmallIntegerField("实到会有表决权的正式党员")
    in_favour = models.PositiveSmallIntegerField("赞成")
    against = models.PositiveSmallIntegerField("反对")
    abstained = models.PositiveSmallIntegerField("弃权")
    written_in_favour = models.PositiveSmallIntegerField("书面意见赞成", default=0)
    written_against = models.PositiveSmallIntegerField("书面意见反对", default=0)
    written_abstained = models.PositiveSmallIntegerField("书面意见弃权", default=0)
    decision = models.CharField("决议", max_length=10, choices=Decision.choices)
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", null=True, blank=True)
    approved_on = models.DateField("上级党委审批日期", null=True, blank=True)

    history = audit_history()

    class Meta:
        verbose_name = "支部大会表决"
        verbose_name_plural = "支部大会表决"
        ordering = ["recruit", "held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(present__lte=models.F("entitled")),
                name="vote_present_within_entitled",
                violation_error_message="实到人数不能多于应到人数。",
            ),
            models.CheckConstraint(
                condition=Q(
                    in_favour__lte=models.F("present") - models.F("against") - models.F("abstained")
                ),
                name="vote_ballots_within_present",
                violation_error_message="赞成、反对、弃权之和不能多于实到人数。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recruit.name} {self.get_purpose_display()} {self.held_on}"

    @property
    def written(self) -> int:
        return self.written_in_favour + self.written_against + self.written_abstained

    @property
    def quorate(self) -> bool:
        """More than half of the full members with a vote present."""
        return self.present * 2 > self.entitled

    @property
    def votes_for(self) -> int:
        return self.in_favour + self.written_in_favour

    @property
    def carried(self) -> bool:
        """More than half of all full members with a vote (应到) in favour, written opinions counted."""
        return self.quorate and self.votes_for * 2 > self.entitled


class Rule(models.TextChoices):
    """The time limits a county may waive for one person, with a documented reason."""

    AGE = "age", "年满十八周岁"
    TALK = "talk", "一个月内谈话"
    ACTIVIST_YEAR = "activist_year", "培养教育考察一年以上"
    ASSESSMENT_GAP = "assessment_gap", "每半年考察一次"
    TRAINING = "training", "集中培训不少于三天或二十四学时"
    NOTICE = "notice", "公示期满"
    APPROVAL = "approval", "三个月内审批"
    PROBATION = "probation", "预备期满后讨论转正"


class Waiver(models.Model):
    """An exception to one rule for one person, recorded by the county with its document."""

    recruit = models.ForeignKey(
        Recruit, verbose_name="发展对象", on_delete=models.CASCADE, related_name="waivers"
    )
    rule = models.CharField("规定", max_length=20, choices=Rule.choices)
    reason = models.CharField("例外原因", max_length=300)
    document_number = models.CharField("批准文号", max_length=50)
    recorded_by = models.ForeignKey(
        "branches.User", verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    history = audit_history()

    class Meta:
        verbose_name = "发展党员时限例外"
        verbose_name_plural = "发展党员时限例外"
        ordering = ["recruit", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recruit", "rule"],
                name="waiver_one_per_rule",
                violation_error_message="该规定已记录例外。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.recruit.name} {self.get_rule_display()}（{self.document_number}）"


class DevelopmentPlanQuerySet(ScopedQuerySet):
    scope_through = "township"


class DevelopmentPlan(models.Model):
    """A township's 发展党员计划 for one year, set by the county."""

    township = models.ForeignKey(
        "branches.Organization",
        verbose_name="乡镇（街道）党委",
        on_delete=models.PROTECT,
        related_name="development_plans",
    )
    year = models.PositiveSmallIntegerField("年度")
    planned = models.PositiveSmallIntegerField("计划发展党员")
    young = models.PositiveSmallIntegerField("其中35岁及以下", null=True, blank=True)
    farmers = models.PositiveSmallIntegerField("其中农牧渔民", null=True, blank=True)
    women = models.PositiveSmallIntegerField("其中女性", null=True, blank=True)

    objects = DevelopmentPlanQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "发展党员计划"
        verbose_name_plural = "发展党员计划"
        ordering = ["-year", "township__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "year"],
                name="plan_one_per_township_year",
                violation_error_message="该乡镇这一年已有发展党员计划。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.year}年 {self.planned}名"

    def clean(self) -> None:
        for name in ("young", "farmers", "women"):
            value = getattr(self, name)
            if value is not None and value > (self.planned or 0):
                label = self._meta.get_field(name).verbose_name
                raise ValidationError({name: f"{label}不能多于计划总数。"})


class CalendarDay(models.Model):
    """A day the working-day count treats unlike its weekday: a holiday, or a 调休 workday."""

    day = models.DateField("日期", unique=True)
    workday = models.BooleanField("上班", help_text="勾选：调休上班的周末；不勾选：法定节假日。")
    note = models.CharField("说明", max_length=50, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'上班' if self.workday else '放假'} {self.note}"


class DevelopmentSettings(models.Model):
    """The county's own settings of the procedure (one row; defaults when there is none)."""

    notice_workdays = models.PositiveSmallIntegerField(
        "公示期（工作日）", default=5, help_text="发展对象公示不少于的工作日数。"
    )

    class Meta:
        verbose_name = "发展党员设置"
        verbose_name_plural = "发展党员设置"

    def __str__(self) -> str:
        return f"公示期 {self.notice_workdays} 个工作日"

    @classmethod
    def current(cls) -> DevelopmentSettings:
        return cls.objects.order_by("pk").first() or cls()
