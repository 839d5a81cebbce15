"""党费: what each member owes (dated bases and dated rules), the monthly ledger,
the audited payment entries with their receipts, and the money passed upward.

The 2008 rules (关于中国共产党党费收缴、使用和管理的规定) are the default rule
rows: a month is governed by the rules in force on its first day, so a new
rule row never reprices a month before it. ``DuesLine`` is the ledger itself,
one row per member and month owed, holding what was owed and what the entries
toward that month add up to; reports aggregate it in SQL. Entries are never
edited: a correction is a new entry pointing at the one it corrects.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from branches.audit import audit_history
from branches.dated import DatedRule
from branches.scoping import ScopedQuerySet


class DuesCategory(models.TextChoices):
    WAGE = "wage", "在职（按工资收入）"
    PENSION = "pension", "离退休（按离退休费）"
    FARMER = "farmer", "农民"
    STUDENT = "student", "学生"
    UNEMPLOYED = "unemployed", "下岗失业"
    RELIEF = "relief", "享受低保或救济"
    FIXED = "fixed", "按核定金额"


# Categories whose dues are a rate of an income; the rest are an amount a month.
RATED = (DuesCategory.WAGE, DuesCategory.PENSION)
# Kept as the amount a roster or the county gave (opening position), not a rule.
FIXED = DuesCategory.FIXED


class DuesRule(DatedRule):
    """One band of the dues standard: a rate of the whole base, or an amount a month.

    Rated categories (wage, pension) have a row per band: the band applies to
    a base above ``income_above`` up to the next band's start, and the rate
    applies to the whole base (not marginally), rounded to the fen. Other
    categories have one row with the range of the monthly amount: farmers
    0.2–1 元 (the branch sets each member's amount within it), students and
    members on 低保 0.2 元.
    """

    category = models.CharField("党员类别", max_length=20, choices=DuesCategory.choices)
    income_above = models.DecimalField(
        "月收入高于（元）",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        help_text="按比例交纳的档次的起点（不含）；第一档填0。",
    )
    rate = models.DecimalField(
        "交纳比例（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_min = models.DecimalField(
        "每月最低（元）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    amount_max = models.DecimalField(
        "每月最高（元）", max_digits=8, decimal_places=2, null=True, blank=True
    )

    history = audit_history()

    class Meta:
        verbose_name = "党费标准"
        verbose_name_plural = "党费标准"
        ordering = ["category", "income_above", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="duesrule_valid_range",
                violation_error_message="失效日期不能早于生效日期。",
            ),
            models.CheckConstraint(
                condition=Q(rate__isnull=False, amount_min__isnull=True, amount_max__isnull=True)
                | Q(
                    rate__isnull=True,
                    amount_min__isnull=False,
                    amount_max__gte=models.F("amount_min"),
                ),
                name="duesrule_rate_or_amount",
                violation_error_message="按比例的档次填写比例；按金额的类别填写每月最低和最高金额。",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_category_display()
        if self.rate is not None:
            return f"{label} 高于{self.income_above}元 {self.rate}%"
        if self.amount_min == self.amount_max:
            return f"{label} 每月{self.amount_min}元"
        return f"{label} 每月{self.amount_min}–{self.amount_max}元"

    def clean(self) -> None:
        super().clean()
        errors = {}
        rated = self.category in RATED
        if self.category == FIXED:
            errors["category"] = "按核定金额不需要标准：金额记在党员的党费基数上。"
        elif rated and (self.rate is None or self.amount_min is not None):
            errors["rate"] = "按收入比例交纳的类别填写交纳比例，不填金额。"
        elif not rated and (self.rate is not None or self.amount_min is None):
            errors["amount_min"] = "按月定额交纳的类别填写每月最低和最高金额，不填比例。"
        elif not rated and self.income_above:
            errors["income_above"] = "按月定额交纳的类别不分档次，填0。"
        if self.rate is not None and not (0 < self.rate <= 100):
            errors["rate"] = "交纳比例应大于0、不超过100。"
        if self.amount_min is not None and self.amount_min <= 0:
            errors["amount_min"] = "每月最低金额应大于0。"
        if (
            self.amount_max is not None
            and self.amount_min is not None
            and self.amount_max < self.amount_min
        ):
            errors["amount_max"] = "每月最高金额不能低于最低金额。"
        if (
            not errors
            and self.valid_from
            and self.overlapping(category=self.category, income_above=self.income_above).exists()
        ):
            errors["valid_from"] = "同一档次的标准有效期不能重叠：请先给旧标准填写失效日期。"
        if errors:
            raise ValidationError(errors)


class DuesBaseQuerySet(ScopedQuerySet):
    scope_through = "member__branch"


class DuesBase(models.Model):
    """What a member's dues are computed from, from a month on (党费基数).

    Wage earners and retired members give their monthly after-tax income or
    pension; farmers an amount within the rule's range (set by the branch);
    students, unemployed members and members on relief nothing (the rule's
    amount). ``FIXED`` keeps an amount a roster gave as the opening position.
    A base applies from ``starts`` until the member's next base.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="dues_bases"
    )
    starts = models.DateField("起始月份", help_text="记为该月1日。")
    category = models.CharField("党员类别", max_length=20, choices=DuesCategory.choices)
    income = models.DecimalField(
        "月收入（元）",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="税后月工资收入或月离退休费。",
    )
    amount = models.DecimalField(
        "每月金额（元）",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="农民在标准范围内由支部确定；核定金额照填。",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("登记时间")

    objects = DuesBaseQuerySet.as_manager()

    class Meta:
        verbose_name = "党费基数"
        verbose_name_plural = "党费基数"
        ordering = ["member", "-starts"]
        constraints = [
            models.UniqueConstraint(fields=["member", "starts"], name="duesbase_one_per_month"),
            models.CheckConstraint(
                condition=Q(income__isnull=True) | Q(income__gte=0),
                name="duesbase_income_not_negative",
                violation_error_message="月收入不能为负数。",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="duesbase_amount_positive",
                violation_error_message="每月金额应大于0。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.starts:%Y-%m} {self.get_category_display()}"


class DuesLineQuerySet(ScopedQuerySet):
    scope_through = "org"


class DuesLine(models.Model):
    """One member's month in the ledger: what was owed, and what the entries toward it add up to.

    Opened for every member who owes that month (``members.dues.services``),
    in the branch they belonged to then. ``owed`` is frozen when the month is
    opened and changes only when a base or rule from that month on is entered.
    ``paid`` and ``exempt`` are the sum of the month's entries, kept by the
    service that writes them.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="dues_lines"
    )
    month = models.DateField("月份", help_text="记为该月1日。")
    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    # Empty while the member has no base: the month is owed but its amount unknown.
    owed = models.DecimalField("应缴（元）", max_digits=8, decimal_places=2, null=True, blank=True)
    paid = models.DecimalField("实缴（元）", max_digits=10, decimal_places=2, default=Decimal("0"))
    exempt = models.BooleanField("免交", default=False)

    objects = DuesLineQuerySet.as_manager()

    class Meta:
        verbose_name = "党费台账"
        verbose_name_plural = "党费台账"
        ordering = ["month", "member"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="duesline_one_per_month"),
        ]
        indexes = [
            models.Index(fields=["org", "month"], name="duesline_org_month"),
            models.Index(fields=["month"], name="duesline_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"

    @property
    def settled(self) -> bool:
        return self.exempt or self.paid > 0


class DuesTallyQuerySet(ScopedQuerySet):
    scope_through = "org"


class DuesTally(models.Model):
    """A branch's month of the ledger in sums: what the upward report reads.

    Kept by ``members.dues.services`` from the lines whenever they change, so
    a county's year is some 20,000 rows to add up instead of 800,000 lines
    (as the meetings keep their present and expected counts).
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField("月份")
    owed = models.DecimalField("应缴（元）", max_digits=14, decimal_places=2)
    collected = models.DecimalField("按月实收（元）", max_digits=14, decimal_places=2)
    exempted = models.DecimalField("免交（元）", max_digits=14, decimal_places=2)
    extra = models.DecimalField("多缴（元）", max_digits=14, decimal_places=2)
    unknown = models.PositiveIntegerField("未核定基数（人）")
    unpaid = models.PositiveIntegerField("未交（人）")

    objects = DuesTallyQuerySet.as_manager()

    class Meta:
        verbose_name = "党费月度汇总"
        verbose_name_plural = "党费月度汇总"
        constraints = [
            models.UniqueConstraint(fields=["org", "month"], name="duestally_one_per_month")
        ]
        indexes = [models.Index(fields=["month"], name="duestally_month")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.month:%Y-%m}"


class DuesReceiptQuerySet(ScopedQuerySet):
    scope_through = "org"


class DuesReceipt(models.Model):
    """One payment by one member at one time (收据): the entries it covers hang from it."""

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    paid_on = models.DateField("交纳日期")
    total = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经手人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("登记时间")

    objects = DuesReceiptQuerySet.as_manager()

    class Meta:
        verbose_name = "党费收据"
        verbose_name_plural = "党费收据"
        ordering = ["-paid_on", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{self.paid_on.year}-{self.pk:07d}"


class EntryKind(models.TextChoices):
    PAY = "pay", "交纳"
    EXEMPT = "exempt", "免交"
    CORRECT = "correct", "更正"


class DuesEntryQuerySet(ScopedQuerySet):
    scope_through = "org"


class DuesEntry(models.Model):
    """One audited entry of the dues ledger toward one member's month; never edited.

    A payment of several months (in advance, or arrears) is one entry per
    month under one receipt. An exemption needs the reason and the date the
    branch approved it. A correction points at the entry it corrects and
    carries the difference (a reversal is the negative amount; correcting an
    exemption withdraws it).
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="dues_entries"
    )
    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("所属月份", help_text="记为该月1日。")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    amount = models.DecimalField("金额（元）", max_digits=10, decimal_places=2)
    paid_on = models.DateField("日期")
    note = models.CharField("说明", max_length=200, blank=True)
    approved_on = models.DateField("支部同意日期", null=True, blank=True)
    receipt = models.ForeignKey(
        DuesReceipt,
        verbose_name="收据",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name="更正的记录",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("登记时间")

    objects = DuesEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "党费收缴记录"
        verbose_name_plural = "党费收缴记录"
        ordering = ["month", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="exempt") | (Q(approved_on__isnull=False) & ~Q(note="")),
                name="duesentry_exempt_approved",
                violation_error_message="免交须填写理由和支部同意日期。",
            ),
            models.CheckConstraint(
                condition=Q(kind="correct", corrects__isnull=False)
                | (~Q(kind="correct") & Q(corrects__isnull=True)),
                name="duesentry_correction_points_back",
            ),
            models.CheckConstraint(
                condition=~Q(kind="correct") | ~Q(note=""),
                name="duesentry_correction_has_reason",
                violation_error_message="更正须填写原因。",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "month"], name="duesentry_member_month"),
            # The report's advance payments: entries toward months after the period.
            models.Index(fields=["month", "paid_on"], name="duesentry_month_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m} {self.get_kind_display()} {self.amount}"


class DuesRemittanceQuerySet(ScopedQuerySet):
    scope_through = "from_org"


class DuesRemittance(models.Model):
    """Dues passed upward (上缴): by an organisation to the one above, for a span of months."""

    from_org = models.ForeignKey(
        "branches.Organization", verbose_name="上缴组织", on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        "branches.Organization", verbose_name="接收组织", on_delete=models.PROTECT, related_name="+"
    )
    month_from = models.DateField("所属月份自", help_text="记为该月1日。")
    month_to = models.DateField("所属月份至", help_text="记为该月1日。")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    remitted_on = models.DateField("上缴日期")
    note = models.CharField("备注", max_length=200, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField("登记时间")

    objects = DuesRemittanceQuerySet.as_manager()

    class Meta:
        verbose_name = "党费上缴记录"
        verbose_name_plural = "党费上缴记录"
        ordering = ["-remitted_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month_to__gte=models.F("month_from")),
                name="duesremittance_months_in_order",
                violation_error_message="所属月份的止月不能早于起月。",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="duesremittance_amount_positive",
                violation_error_message="上缴金额应大于0。",
            ),
        ]
        indexes = [models.Index(fields=["to_org", "month_from"], name="duesremit_to_month")]

    def __str__(self) -> str:
        return f"{self.from_org_id}→{self.to_org_id} {self.month_from:%Y-%m} {self.amount}"


class RetentionLevel(models.TextChoices):
    BRANCH = "branch", "基层党支部（党总支）"
    TOWNSHIP = "township", "乡镇（街道）党委"


class DuesRetention(DatedRule):
    """The share of collected dues a level keeps (留存) before passing the rest upward.

    Provinces differ, so the default is none: everything is passed up.
    """

    level = models.CharField("层级", max_length=10, choices=RetentionLevel.choices)
    share = models.DecimalField(
        "留存比例（%）", max_digits=5, decimal_places=2, help_text="0表示全部上缴。"
    )

    history = audit_history()

    class Meta:
        verbose_name = "党费留存比例"
        verbose_name_plural = "党费留存比例"
        ordering = ["level", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gte=0) & Q(share__lte=100),
                name="duesretention_share_range",
                violation_error_message="留存比例应在0到100之间。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.share}%"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping(level=self.level).exists():
            raise ValidationError(
                {"valid_from": "同一层级的留存比例有效期不能重叠：请先给旧规则填写失效日期。"}
            )
