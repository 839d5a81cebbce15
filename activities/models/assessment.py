"""The county's yearly assessment of its organisations: 书记述职评议, the grading of each
organisation (先进 / 一般 / 后进), and the register of 软弱涣散 organisations under
rectification, with the 示范点 the county names."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet

# --- 书记述职评议 -------------------------------------------------------------------------------


class Evaluation(models.TextChoices):
    GOOD = "good", "好"
    FAIRLY_GOOD = "fairly_good", "较好"
    AVERAGE = "average", "一般"
    POOR = "poor", "差"


class SecretaryReportMeetingQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class SecretaryReportMeeting(models.Model):
    """A 述职评议会: the secretaries under a committee report on their party-building work.

    Held once a year, and each quarter where the county chooses (``quarter``
    set). The committee holding it (``org``) is a township, a 工委 or a
    基层党委; the reports given are ``SecretaryReport`` rows.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="召开组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField(
        "季度",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="年度述职留空。",
    )
    held_on = models.DateField("召开日期")
    evaluators = models.PositiveIntegerField("参加评议人数")
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = SecretaryReportMeetingQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "书记述职评议会"
        verbose_name_plural = "书记述职评议会"
        ordering = ["-year", "-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__isnull=True) | Q(quarter__gte=1, quarter__lte=4),
                name="reportmeeting_quarter_range",
                violation_error_message="季度应为1至4。",
            ),
            models.CheckConstraint(
                condition=Q(evaluators__gt=0),
                name="reportmeeting_has_evaluators",
                violation_error_message="参加评议人数须大于0。",
            ),
        ]

    def __str__(self) -> str:
        period = f"第{self.quarter}季度" if self.quarter else "年度"
        return f"{self.org} {self.year}年{period}书记述职评议会"


class SecretaryReportQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class SecretaryReport(models.Model):
    """One secretary's report (述职) at a meeting, and how the evaluators rated it.

    The counts are the evaluators' votes for 好 / 较好 / 一般 / 差; ``evaluation``
    is the result the meeting settled on.
    """

    meeting = models.ForeignKey(
        SecretaryReportMeeting,
        verbose_name="述职评议会",
        on_delete=models.CASCADE,
        related_name="reports",
    )
    org = models.ForeignKey(
        "branches.Organization",
        verbose_name="述职党组织",
        on_delete=models.PROTECT,
        related_name="+",
    )
    secretary = models.ForeignKey(
        "members.Member", verbose_name="述职书记", on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField("述职要点", max_length=2000)
    good = models.PositiveIntegerField("评“好”票数", default=0)
    fairly_good = models.PositiveIntegerField("评“较好”票数", default=0)
    average = models.PositiveIntegerField("评“一般”票数", default=0)
    poor = models.PositiveIntegerField("评“差”票数", default=0)
    evaluation = models.CharField("评议结果", max_length=20, choices=Evaluation.choices)

    objects = SecretaryReportQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "书记述职"
        verbose_name_plural = "书记述职"
        ordering = ["meeting", "org__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "org"],
                name="secretaryreport_once_per_meeting",
                violation_error_message="该党组织书记已在本次会议述职。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.secretary} {self.get_evaluation_display()}"

    @property
    def votes(self) -> int:
        return self.good + self.fairly_good + self.average + self.poor

    def clean(self) -> None:
        if self.meeting_id and self.votes > self.meeting.evaluators:
            raise ValidationError({"good": "各档票数之和不能多于参加评议人数。"})


# --- Yearly grading ---------------------------------------------------------------------------


class GradeLevel(models.Model):
    """A level of the yearly grading of organisations (先进 / 一般 / 后进), best first.

    The minimums make the suggestion: an organisation is suggested the best
    level whose minimums its year meets (meeting compliance, the members'
    average stars, no group ranked last). The lowest level has none. A person
    always confirms the grade; ``lagging`` levels may open a 软弱涣散 case.
    """

    name = models.CharField("等次", max_length=20, unique=True)
    rank = models.PositiveSmallIntegerField("顺序", unique=True, help_text="1为最高等次。")
    min_compliance = models.DecimalField(
        "组织生活完成率不低于",
        max_digits=5,
        decimal_places=4,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="0至1，如0.95表示95%。",
    )
    min_stars = models.DecimalField(
        "党员平均星级不低于",
        max_digits=3,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    no_last_group = models.BooleanField("须无末位党小组", default=False)
    lagging = models.BooleanField("后进等次", default=False, help_text="可列入软弱涣散整顿。")

    objects = AuditedQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "定级等次"
        verbose_name_plural = "定级等次"
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class OrgGradeQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class OrgGrade(models.Model):
    """An organisation's grade for a year, confirmed by a person, with the reasons.

    ``suggested`` and ``basis`` keep what the data suggested when the grade
    was confirmed (the figures it read), so a grade that departs from the
    suggestion shows it did.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    level = models.ForeignKey(
        GradeLevel, verbose_name="等次", on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.CharField("定级理由", max_length=500)
    suggested = models.ForeignKey(
        GradeLevel,
        verbose_name="建议等次",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    basis = models.JSONField("建议依据", default=dict, blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="定级人", on_delete=models.PROTECT, related_name="+"
    )
    graded_at = models.DateTimeField("定级时间")

    objects = OrgGradeQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "年度定级"
        verbose_name_plural = "年度定级"
        ordering = ["-year", "org__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year"],
                name="orggrade_one_per_year",
                violation_error_message="该党组织本年度已定级。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.org} {self.level}"


# --- 软弱涣散 rectification --------------------------------------------------------------------


class WeakReason(models.TextChoices):
    """The common categories of 软弱涣散 the county's notices list."""

    LEADERSHIP = "leadership", "班子软弱涣散、书记不胜任"
    NO_ACTIVITY = "no_activity", "组织生活不正常、活动开展少"
    DISPUTES = "disputes", "矛盾纠纷突出、信访问题多"
    LOOSE = "loose", "党员管理松散、纪律松弛"
    SERVICE = "service", "服务群众意识差、群众意见大"
    ECONOMY = "economy", "集体经济薄弱、发展思路不清"
    OTHER = "other", "其他"


class RectificationCaseQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class RectificationCase(models.Model):
    """An organisation on the 软弱涣散 register for a year, until its case is closed (整顿销号).

    Who answers for it (the county leader and the township cadre who 包联),
    the reasons, the plan's measures (``RectificationMeasure``) and the
    progress recorded against them; ``closed_on`` with the decision ends it.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("排查年度")
    identified_on = models.DateField("确定日期")
    grade = models.ForeignKey(
        OrgGrade,
        verbose_name="所依据的定级",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reasons = models.JSONField("软弱涣散类型", default=list)
    reason_note = models.CharField("具体表现", max_length=500)
    county_leader = models.CharField("包联县级领导", max_length=50)
    township_cadre = models.CharField("包联乡镇干部", max_length=50)
    plan = models.CharField("整顿方案要点", max_length=1000, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    closing_decision = models.CharField("销号决定文号", max_length=100, blank=True)
    closing_assessment = models.CharField("整顿验收意见", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = RectificationCaseQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "软弱涣散整顿"
        verbose_name_plural = "软弱涣散整顿"
        ordering = ["-year", "org__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year"],
                name="rectification_one_per_year",
                violation_error_message="该党组织本年度已列入软弱涣散整顿。",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("identified_on")),
                name="rectification_closed_after_identified",
                violation_error_message="销号日期不能早于确定日期。",
            ),
        ]
        indexes = [models.Index(fields=["closed_on"], name="rectification_closed")]

    def __str__(self) -> str:
        return f"{self.year} {self.org} 软弱涣散整顿"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def reason_labels(self) -> list[str]:
        labels = dict(WeakReason.choices)
        return [labels.get(code, code) for code in self.reasons]

    def clean(self) -> None:
        known = set(WeakReason.values)
        if not self.reasons or not isinstance(self.reasons, list):
            raise ValidationError({"reasons": "请至少选择一种软弱涣散类型。"})
        if any(code not in known for code in self.reasons):
            raise ValidationError({"reasons": "软弱涣散类型不在可选范围内。"})
        if bool(self.closed_on) != bool(self.closing_decision):
            raise ValidationError({"closing_decision": "销号须同时填写销号日期和决定文号。"})


class RectificationMeasureQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "case__org"


class RectificationMeasure(models.Model):
    """One measure of a rectification plan, with its deadline and when it was done.

    Overdue: past its deadline and not done – highlighted on the register.
    """

    case = models.ForeignKey(
        RectificationCase, verbose_name="整顿", on_delete=models.CASCADE, related_name="measures"
    )
    text = models.CharField("整改措施", max_length=300)
    deadline = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)

    objects = RectificationMeasureQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "整改措施"
        verbose_name_plural = "整改措施"
        ordering = ["case", "deadline", "pk"]
        indexes = [models.Index(fields=["deadline"], name="measure_deadline")]

    def __str__(self) -> str:
        return self.text


class RectificationProgressQuerySet(ScopedQuerySet):
    scope_through = "case__org"


class RectificationProgress(models.Model):
    """What was done toward a rectification on a date (进展), against a measure or the case."""

    case = models.ForeignKey(
        RectificationCase, verbose_name="整顿", on_delete=models.CASCADE, related_name="progress"
    )
    measure = models.ForeignKey(
        RectificationMeasure,
        verbose_name="整改措施",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="progress",
    )
    on = models.DateField("日期")
    text = models.CharField("进展情况", max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = RectificationProgressQuerySet.as_manager()

    class Meta:
        verbose_name = "整顿进展"
        verbose_name_plural = "整顿进展"
        ordering = ["case", "-on", "-pk"]

    def __str__(self) -> str:
        return f"{self.on:%Y-%m-%d} {self.text[:20]}"


class ModelSiteLevel(models.TextChoices):
    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    NATIONAL = "national", "全国"


class ModelSiteQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class ModelSite(models.Model):
    """An organisation named a 示范点 (model site): the year and the level that named it."""

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("命名年度")
    level = models.CharField("命名层级", max_length=20, choices=ModelSiteLevel.choices)
    title = models.CharField("示范点名称", max_length=100, default="党建示范点")
    document = models.CharField("命名文号", max_length=100, blank=True)

    objects = ModelSiteQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "示范点"
        verbose_name_plural = "示范点"
        ordering = ["-year", "org__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "level"],
                name="modelsite_once_per_year_level",
                violation_error_message="该党组织本年度已由同一层级命名为示范点。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_level_display()}{self.title} {self.org}"
