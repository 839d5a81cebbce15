"""Rules valid for a span of dates (point rules, star bands, dues rates).

A period is governed by the rule in force on its first day, so adding a rule
row from a date on never rewrites a period already under way or past.
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


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


def months_later(day: datetime.date, months: int) -> datetime.date:
    """The same day *months* later, or that month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    first = datetime.date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))
