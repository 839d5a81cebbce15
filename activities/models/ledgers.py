"""The township's working ledgers (工作台账) that inspectors ask to see beside the
meeting records: 公开承诺, 设岗定责, 结对帮扶 and 民情日志.

Every ledger follows one pattern: a row tied to the organisation it belongs
to (``org``, the scope) and, where it concerns a person, to a member; a
clerk's form; a list with filters, an export and an A4 print; a yearly
summary per node. The records feed the points (``activities.points.ledgers``)
so a clerk never enters the same fact twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet

# A village's assessment meeting: a few hundred villagers at most; the bound keeps a
# typing slip (an extra zero) out of the satisfaction rate.
MAX_ASSESSORS = 5000


class PledgeCategory(models.TextChoices):
    DEVELOPMENT = "development", "带头致富"
    PUBLIC = "public", "公益服务"
    POLICY = "policy", "政策宣传"
    ENVIRONMENT = "environment", "环境整治"
    MEDIATION = "mediation", "矛盾调解"
    HELP = "help", "帮扶济困"
    OTHER = "other", "其他"


class Fulfilment(models.TextChoices):
    PENDING = "pending", "未到期"
    DONE = "done", "已兑现"
    PARTLY = "partly", "部分兑现"
    NOT = "not", "未兑现"


class PledgeQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Pledge(models.Model):
    """One thing publicly pledged (公开承诺) for a year, by a member or by an organisation.

    ``org`` is where the pledge is kept: the member's party group (or branch,
    outside any group) when it was made, or the organisation that pledged.
    The leader's comment (领导点评), the villagers' assessment (群众评议: how
    many were 满意, 基本满意, 不满意) and the fulfilment (践诺) are recorded
    on the same row as they happen; a member's pledge marked 已兑现 earns the
    兑现承诺 points.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="承诺党员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="留空为党组织的承诺。",
    )
    year = models.PositiveSmallIntegerField("承诺年度")
    made_on = models.DateField("公开承诺日期")
    category = models.CharField("类别", max_length=20, choices=PledgeCategory.choices)
    text = models.CharField("承诺事项", max_length=300)
    due_on = models.DateField("完成时限")
    comment_by = models.CharField("点评领导", max_length=50, blank=True)
    comment_on = models.DateField("点评日期", null=True, blank=True)
    comment = models.CharField("领导点评", max_length=500, blank=True)
    assessed_on = models.DateField("群众评议日期", null=True, blank=True)
    satisfied = models.PositiveSmallIntegerField(
        "满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    fairly_satisfied = models.PositiveSmallIntegerField(
        "基本满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    dissatisfied = models.PositiveSmallIntegerField(
        "不满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    fulfilment = models.CharField(
        "兑现情况", max_length=10, choices=Fulfilment.choices, default=Fulfilment.PENDING
    )
    fulfilled_on = models.DateField("兑现日期", null=True, blank=True)
    evidence = models.CharField("兑现情况说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = PledgeQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "公开承诺"
        verbose_name_plural = "公开承诺"
        ordering = ["-year", "org__path", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("made_on")),
                name="pledge_due_after_made",
                violation_error_message="完成时限不能早于公开承诺日期。",
            ),
            models.CheckConstraint(
                condition=Q(fulfilment="pending", fulfilled_on__isnull=True)
                | Q(fulfilment__in=["done", "partly", "not"], fulfilled_on__isnull=False),
                name="pledge_fulfilment_dated",
                violation_error_message="登记兑现情况须同时填写日期。",
            ),
            models.CheckConstraint(
                condition=Q(fulfilled_on__isnull=True) | Q(fulfilled_on__gte=F("made_on")),
                name="pledge_fulfilled_after_made",
                violation_error_message="兑现日期不能早于公开承诺日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "org"], name="pledge_year_org"),
            # 逾期 depends on the day, so the summary counts it live: the year's pending
            # pledges past their date, found through this index, not the year's rows.
            models.Index(fields=["year", "fulfilment", "due_on"], name="pledge_year_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.text[:20]}"

    @property
    def assessors(self) -> int:
        return self.satisfied + self.fairly_satisfied + self.dissatisfied

    @property
    def on_time(self) -> bool:
        return self.fulfilment == Fulfilment.DONE and self.fulfilled_on <= self.due_on


class DutyPostQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class DutyPost(models.Model):
    """A post with a duty (设岗定责) a branch sets up for its members without an office.

    The branch (``org``, the scope) names the post (政策宣传岗, 矛盾调解岗, …)
    and writes down what the holder is to do; members take it through
    ``DutyAssignment`` rows and what they did is logged as ``DutyLog`` rows,
    which earn the 设岗定责履职 points. A post no longer needed gets an end
    date (撤岗) rather than being deleted, so the years it ran stay answerable.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("岗位名称", max_length=50, help_text="如：政策宣传岗、矛盾调解岗")
    duty = models.CharField("岗位职责", max_length=300)
    set_up_on = models.DateField("设岗日期")
    ended_on = models.DateField("撤岗日期", null=True, blank=True)

    objects = DutyPostQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "设岗定责岗位"
        verbose_name_plural = "设岗定责岗位"
        ordering = ["org__path", "set_up_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("set_up_on")),
                name="dutypost_ended_after_set_up",
                violation_error_message="撤岗日期不能早于设岗日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DutyAssignmentQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "post__org"


class DutyAssignment(models.Model):
    """A member holding a duty post (认岗) from ``started_on`` until ``ended_on`` (离岗).

    ``ended_on`` is the last day on the post, so a log of that day still
    counts; an assignment is ended rather than deleted, so its logs keep
    their holder. A member holds at most one open assignment per post; they
    may take the same post again after leaving it.
    """

    post = models.ForeignKey(
        DutyPost, verbose_name="岗位", on_delete=models.PROTECT, related_name="assignments"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="在岗党员", on_delete=models.PROTECT, related_name="+"
    )
    started_on = models.DateField("上岗日期")
    ended_on = models.DateField("离岗日期", null=True, blank=True)

    objects = DutyAssignmentQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "设岗定责在岗党员"
        verbose_name_plural = "设岗定责在岗党员"
        ordering = ["post", "started_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member"],
                condition=Q(ended_on__isnull=True),
                name="dutyassignment_one_open_per_post",
                violation_error_message="该党员已在这个岗位上。",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="dutyassignment_ended_after_started",
                violation_error_message="离岗日期不能早于上岗日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.post} {self.member}"


class DutyLogQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "assignment__post__org"


class DutyLog(models.Model):
    """One thing a member did on their duty post (履职记录), on the day it was done.

    Kept under the assignment, so the post's branch is its scope and the
    holder is the member who earns the 设岗定责履职 points for it
    (``activities.points.ledgers``); the clerk records it once and the points
    follow.
    """

    assignment = models.ForeignKey(
        DutyAssignment, verbose_name="在岗党员", on_delete=models.PROTECT, related_name="logs"
    )
    done_on = models.DateField("履职日期")
    text = models.CharField("履职情况", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = DutyLogQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "设岗定责履职记录"
        verbose_name_plural = "设岗定责履职记录"
        ordering = ["done_on", "pk"]
        indexes = [models.Index(fields=["done_on"], name="dutylog_done_on")]

    def __str__(self) -> str:
        return f"{self.done_on} {self.text[:20]}"


class PartnerKind(models.TextChoices):
    HOUSEHOLD = "household", "困难户"
    VILLAGE = "village", "村"


class Difficulty(models.TextChoices):
    ILLNESS = "illness", "因病"
    DISABILITY = "disability", "因残"
    LABOUR = "labour", "缺劳力"
    ELDERLY = "elderly", "留守老人"
    OTHER = "other", "其他"


class VisitKind(models.TextChoices):
    CALL = "call", "走访慰问"
    PRODUCTION = "production", "生产帮扶"
    POLICY = "policy", "政策帮办"
    GOODS = "goods", "物资帮扶"
    OTHER = "other", "其他"


class PairingQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Pairing(models.Model):
    """A pairing (结对帮扶) of a helper with a household in difficulty or with a village.

    The helper is a member of the branch that keeps the pairing (``org``, the
    scope), or a unit (``helper_unit``, e.g. 县财政局) that pairs with a
    village or household through the branch; exactly one of the two is set.
    For a household the partner's name is the 户主 and its difficulty is
    recorded; for a village, the village's name. A pairing that ends gets
    ``ended_on`` (its last day) rather than being deleted, so its visits keep
    their helper; a member's visits (``PairingVisit``) earn the 结对帮扶走访
    points.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="帮扶党员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="留空为单位结对，须填写帮扶单位。",
    )
    helper_unit = models.CharField(
        "帮扶单位", max_length=50, blank=True, help_text="如：县财政局。党员结对时留空。"
    )
    partner_kind = models.CharField("帮扶对象类别", max_length=10, choices=PartnerKind.choices)
    partner_name = models.CharField(
        "帮扶对象", max_length=50, help_text="困难户填户主姓名，村填村名。"
    )
    address = models.CharField("住址", max_length=100, blank=True)
    difficulty = models.CharField("困难类型", max_length=12, choices=Difficulty.choices, blank=True)
    started_on = models.DateField("结对日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)

    objects = PairingQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "结对帮扶"
        verbose_name_plural = "结对帮扶"
        ordering = ["org__path", "started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, helper_unit="")
                | (Q(member__isnull=True) & ~Q(helper_unit="")),
                name="pairing_one_helper",
                violation_error_message="帮扶党员和帮扶单位须填写且只填写一个。",
            ),
            models.CheckConstraint(
                condition=(Q(partner_kind="household") & ~Q(difficulty=""))
                | Q(partner_kind="village", difficulty=""),
                name="pairing_difficulty_of_households",
                violation_error_message="困难户须填写困难类型，村不填写。",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="pairing_ended_after_started",
                violation_error_message="结束日期不能早于结对日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper} — {self.partner_name}"

    @property
    def helper(self) -> str:
        return self.member.name if self.member_id else self.helper_unit


class PairingVisitQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "pairing__org"


class PairingVisit(models.Model):
    """One visit to the paired household or village (帮扶走访), on the day it was made.

    Kept under the pairing, so the pairing's branch is its scope; what was
    done is written down and, for goods or money, their value noted. A
    member's visit earns the 结对帮扶走访 points (``activities.points.ledgers``).
    """

    pairing = models.ForeignKey(
        Pairing, verbose_name="结对", on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField("走访日期")
    kind = models.CharField("帮扶方式", max_length=12, choices=VisitKind.choices)
    help_given = models.CharField("帮扶内容", max_length=300)
    value_note = models.CharField(
        "折合金额", max_length=50, blank=True, help_text="如：米一袋、油一桶，约200元。"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = PairingVisitQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "结对帮扶走访记录"
        verbose_name_plural = "结对帮扶走访记录"
        ordering = ["visited_on", "pk"]
        indexes = [models.Index(fields=["visited_on"], name="pairingvisit_visited_on")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.help_given[:20]}"


class DiaryOutcome(models.TextChoices):
    RESOLVED = "resolved", "已解决"
    REPORTED = "reported", "已上报"
    FOLLOWING = "following", "跟进中"


class DiaryEntryQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class DiaryEntry(models.Model):
    """One villager's concern a cadre wrote down in the branch's 民情日志, on the day heard.

    ``org`` is the branch (the scope) and ``cadre`` the member of it who heard
    the concern, usually one of its 村干部 holding a post; the row says which
    household or place, what was asked, what was done and how it stands
    (已解决, 已上报 to whom, 跟进中). The branch secretary reads each month's
    entries and records a ``DiaryCheck``; a checked month takes no more entries.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    cadre = models.ForeignKey(
        "members.Member", verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField("走访日期")
    household = models.CharField("走访农户或地点", max_length=100)
    concern = models.CharField("群众诉求", max_length=500)
    action = models.CharField("办理情况", max_length=500)
    outcome = models.CharField("办理结果", max_length=10, choices=DiaryOutcome.choices)
    passed_to = models.CharField("上报（转交）单位", max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = DiaryEntryQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "民情日志"
        verbose_name_plural = "民情日志"
        ordering = ["org__path", "date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="reported") | ~Q(passed_to=""),
                name="diaryentry_reported_names_whom",
                violation_error_message="已上报的须填写上报（转交）单位。",
            ),
        ]
        indexes = [models.Index(fields=["org", "date"], name="diaryentry_org_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.concern[:20]}"


class DiaryCheckQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class DiaryCheck(models.Model):
    """The branch secretary's monthly check (审阅) of the branch's 民情日志.

    One per branch and month: ``month`` is the month's first day, ``checked_by``
    the member who read the entries (the secretary) and ``comment`` what they
    said, required when the month left concerns 跟进中. Once checked, the
    month is off the secretary's worklist and takes no more entries.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("月份", help_text="该月的第一天。")
    checked_on = models.DateField("审阅日期")
    checked_by = models.ForeignKey(
        "members.Member", verbose_name="审阅人", on_delete=models.PROTECT, related_name="+"
    )
    comment = models.CharField("审阅意见", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = DiaryCheckQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "民情日志审阅"
        verbose_name_plural = "民情日志审阅"
        ordering = ["org__path", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "month"],
                name="diarycheck_one_per_month",
                violation_error_message="该党支部这个月的民情日志已审阅。",
            ),
            models.CheckConstraint(
                condition=Q(checked_on__gte=F("month")),
                name="diarycheck_checked_after_month_began",
                violation_error_message="审阅日期不能早于该月第一天。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y年%-m月}"

    def clean(self) -> None:
        # A month is kept as its first day, so "one per month" is one per row.
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "月份应为该月的第一天。"})


class TallyLedger(models.TextChoices):
    PLEDGES = "pledges", "公开承诺"
    DUTY = "duty", "设岗定责"
    PAIRS = "pairs", "结对帮扶"
    DIARY = "diary", "民情日志"
    TALKS = "talks", "谈心谈话"
    STUDY = "study", "党员学习"
    GROUPREP = "grouprep", "小组月报"


class LedgerTally(models.Model):
    """A derived count of one working ledger for one organisation and year: what the
    ledger's yearly summary sums by child (``activities.ledgers.tallies``).

    Not a record of its own and not audited: every service that writes the
    ledger's rows recounts the rows of the organisations it touched, in the
    same transaction, and ``manage.py ledger_tally_rebuild`` recounts all. One
    row per (organisation, year, ledger, metric): the long form keeps the
    ledgers' different figures in one table with one refresh and one rebuild;
    a count of zero has no row. ``org`` is where the ledger keeps the records
    (the branch, the group or the committee that holds them), so summing the
    rows by the child their path falls under gives the summary's figures. 学时
    are kept in tenths (a session's hours have one decimal place), so every
    value is an integer.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    ledger = models.CharField("台账", max_length=10, choices=TallyLedger.choices)
    metric = models.CharField("指标", max_length=20)
    value = models.IntegerField("数值")

    class Meta:
        verbose_name = "台账年度统计"
        verbose_name_plural = "台账年度统计"
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year", "ledger", "metric"], name="ledgertally_one_per_metric"
            ),
        ]
        # The summaries read one ledger's year under a node: the year and ledger first,
        # then the organisation, joined to its path.
        indexes = [models.Index(fields=["year", "ledger", "org"], name="ledgertally_year_ledger")]

    def __str__(self) -> str:
        return f"{self.year} {self.ledger} {self.metric}"


class LedgerMemberTally(models.Model):
    """A derived figure of one working ledger for one member and year, where the summary
    counts members where they are on the roster today rather than where the records
    are kept: the 学时 of the year (党员学习, in tenths) and the talks taken part in
    (谈心谈话); and, for 公开承诺, the organisations beyond the first a member pledged
    in that year (only the few who moved have a row).

    Kept per member, not per organisation, because a member who moves keeps
    their year: the summary joins today's roster to these rows (70,000 small
    rows at city scale instead of a million attendance rows). Derived and not
    audited, like ``LedgerTally``; a zero has no row.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    ledger = models.CharField("台账", max_length=10, choices=TallyLedger.choices)
    value = models.IntegerField("数值")

    class Meta:
        verbose_name = "台账党员年度统计"
        verbose_name_plural = "台账党员年度统计"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "ledger"], name="ledgermembertally_one_per_year"
            ),
        ]
        indexes = [models.Index(fields=["year", "ledger", "member"], name="ledgermembertally_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.ledger}"
