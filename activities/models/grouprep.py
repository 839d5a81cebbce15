"""The groups' reporting routine: each 党小组's monthly report to its branch (党小组月度报告),
the branch's quarterly summary (支部季度小结), and the 党小组 that presented at the
township's yearly 经验交流会 (a meeting of kind ``ActivityKind.EXCHANGE``).

The reports store what people write (the text, who submitted it, when); the
figures they stand on (meetings and attendance, pledges, duty logs, visits, 民情日志)
are assembled live from the records whenever a report is shown
(``activities.ledgers.grouprep.selectors``): those records are the facts,
entered once and audited, and a meeting logged late (补录) belongs to its month.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet

# What a group leader or secretary writes under the figures: a few paragraphs, as on
# the paper form, not an essay.
REPORT_TEXT_MAX = 1000


class GroupReportQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class GroupReport(models.Model):
    """A party group's report to its branch for one month (党小组月度报告).

    ``org`` is the group (the scope), ``month`` the month's first day. The
    leader (or the township clerk for them) writes how the month went (工作情况)
    and what is planned next (下月打算) and submits it once: one report per group
    and month, a second one is refused. The figures are not stored: the report's
    page assembles them from the month's records when it is shown.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党小组", on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField("月份", help_text="该月的第一天。")
    work = models.TextField("本月工作情况", max_length=REPORT_TEXT_MAX)
    plans = models.TextField("下月工作打算", max_length=REPORT_TEXT_MAX, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间")
    # Submitted by the 10th of the following month (Beijing time); fixed when submitted.
    on_time = models.BooleanField("按时提交", default=False)

    objects = GroupReportQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "党小组月度报告"
        verbose_name_plural = "党小组月度报告"
        ordering = ["org__path", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "month"],
                name="groupreport_one_per_month",
                violation_error_message="该党小组这个月的报告已提交。",
            ),
        ]
        indexes = [models.Index(fields=["month", "org"], name="groupreport_month_org")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%-m月}党小组月度报告"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "月份应为该月的第一天。"})


class BranchSummaryQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class BranchSummary(models.Model):
    """A branch's summary of one quarter (支部季度小结), written by its secretary.

    ``org`` is the branch (the scope), ``quarter`` the quarter's first day.
    The page sets the groups' monthly reports of the quarter (submitted or
    missing) and the branch's own meetings beside the text the secretary adds;
    one summary per branch and quarter, a second one is refused.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    quarter = models.DateField("季度", help_text="该季度的第一天。")
    text = models.TextField("季度小结", max_length=REPORT_TEXT_MAX)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField("提交时间")

    objects = BranchSummaryQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "支部季度小结"
        verbose_name_plural = "支部季度小结"
        ordering = ["org__path", "quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "quarter"],
                name="branchsummary_one_per_quarter",
                violation_error_message="该党支部这个季度的小结已提交。",
            ),
        ]
        indexes = [models.Index(fields=["quarter", "org"], name="branchsummary_quarter_org")]

    def __str__(self) -> str:
        return f"{self.quarter.year}年第{(self.quarter.month - 1) // 3 + 1}季度支部小结"

    def clean(self) -> None:
        if self.quarter and (self.quarter.day != 1 or self.quarter.month not in (1, 4, 7, 10)):
            raise ValidationError({"quarter": "季度应为该季度的第一天。"})


class ExchangePresentationQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "activity__org"


class ExchangePresentation(models.Model):
    """A party group that presented its experience at the township's 经验交流会.

    One row per meeting and group; the meeting is an ``Activity`` of kind
    ``EXCHANGE`` held by the township committee, and the group is one under
    that township (``activities.ledgers.grouprep.services`` checks both). The
    group's monthly report of that month says it presented.
    """

    activity = models.ForeignKey(
        "activities.Activity",
        verbose_name="经验交流会",
        on_delete=models.CASCADE,
        related_name="presentations",
    )
    group = models.ForeignKey(
        "branches.Organization",
        verbose_name="交流发言党小组",
        on_delete=models.PROTECT,
        related_name="+",
    )
    topic = models.CharField("交流题目", max_length=100, blank=True)

    objects = ExchangePresentationQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "经验交流会发言"
        verbose_name_plural = "经验交流会发言"
        ordering = ["activity", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "group"],
                name="exchangepresentation_once_per_group",
                violation_error_message="该党小组已在这次经验交流会上发言。",
            ),
        ]
        indexes = [models.Index(fields=["group"], name="exchange_group")]

    def __str__(self) -> str:
        return f"{self.activity} {self.group}"
