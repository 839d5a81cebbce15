"""How a base becomes a month's dues under the rules in force on the month's first day.

The 2008 rules: the whole base at its band's rate (not marginally), rounded
to the fen; farmers an amount within a range the branch chooses; students,
unemployed members and members on relief a fixed amount.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from branches.dated import in_force_q
from members.models.dues import FIXED, RATED, DuesBase, DuesRule

FEN = Decimal("0.01")
# The earliest month the ledger takes (a page's ?month=, a dues sheet's 所属月份).
FIRST_MONTH = datetime.date(2000, 1, 1)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_apart(earlier: datetime.date, later: datetime.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def month_label(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


def span_label(first: datetime.date, last: datetime.date) -> str:
    if first == last:
        return month_label(first)
    if first.year == last.year:
        return f"{first.year}年{first.month}月至{last.month}月"
    return f"{month_label(first)}至{month_label(last)}"


@dataclass
class Standard:
    """The rules in force on one month's first day, by category."""

    bands: dict[str, list[DuesRule]]  # rated categories: bands, highest start first
    amounts: dict[str, DuesRule]  # the other categories: their range

    def owed(self, category: str, income: Decimal | None, amount: Decimal | None):
        """The month's dues for a base, or None when the base cannot give one."""
        if category == FIXED:
            return amount
        if category in RATED:
            if income is None:
                return None
            for band in self.bands.get(category, []):
                if income > band.income_above or band.income_above == 0:
                    return (income * band.rate / 100).quantize(FEN, rounding=ROUND_HALF_UP)
            return None
        rule = self.amounts.get(category)
        if rule is None:
            return None
        if amount is None:
            return rule.amount_min
        return min(max(amount, rule.amount_min), rule.amount_max)

    def owed_for(self, base: DuesBase | None):
        return None if base is None else self.owed(base.category, base.income, base.amount)

    def range_of(self, category: str) -> tuple[Decimal, Decimal] | None:
        rule = self.amounts.get(category)
        return (rule.amount_min, rule.amount_max) if rule else None


def standard_on(month: datetime.date) -> Standard:
    """The standard of *month* (one query)."""
    bands: dict[str, list[DuesRule]] = {}
    amounts: dict[str, DuesRule] = {}
    for rule in DuesRule.objects.filter(in_force_q(month_start(month))):
        if rule.category in RATED:
            bands.setdefault(rule.category, []).append(rule)
        else:
            amounts[rule.category] = rule
    for rows in bands.values():
        rows.sort(key=lambda r: r.income_above, reverse=True)
    return Standard(bands, amounts)


class Standards(dict):
    """Standards by month, loaded as months are asked for."""

    def __missing__(self, month: datetime.date) -> Standard:
        self[month] = standard_on(month)
        return self[month]


def base_in_force(bases: list[DuesBase], month: datetime.date) -> DuesBase | None:
    """The latest of a member's bases (newest first) that starts on or before *month*."""
    return next((b for b in bases if b.starts <= month), None)
