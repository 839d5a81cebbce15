"""Dates known only to the month (入党时间 2017年3月), as old rosters and files give them.

A month-only date is stored as the last day of its month with the precision
beside it (``<field>_precision``): wherever it is compared – new members of
the year, the joining eras cut on 18 December 1978 and 8 November 2012,
report dates – it counts as that last day, which SQL comparisons then do by
themselves. Checks between two dates ask whether the order is decided: a
month-only date could be any day of its month, and an order it leaves open
never refuses a record (at most a warning). It is shown and exported as
``2017年03月`` and read back the same.
"""

from __future__ import annotations

import calendar
import datetime

from branches.dated import months_later  # noqa: F401  (the roster's rules read it here)
from members.choices import DatePrecision

# Member fields that may be known to the month only.
MONTH_PRECISION_FIELDS = ("joined_on", "full_member_on", "lost_contact_on")


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def stored(day: datetime.date, precision: str) -> datetime.date:
    """The date as stored: a month-only date is the last day of its month."""
    return month_end(day) if precision == DatePrecision.MONTH else day


def span(day: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """The earliest and latest day the date may be."""
    if precision == DatePrecision.MONTH:
        return day.replace(day=1), month_end(day)
    return day, day


def order(
    earlier: datetime.date, earlier_precision: str, later: datetime.date, later_precision: str
) -> str:
    """Whether *earlier* comes on or before *later*: "yes", "no", or "open" (undecided)."""
    first_min, first_max = span(earlier, earlier_precision)
    second_min, second_max = span(later, later_precision)
    if first_max <= second_min:
        return "yes"
    if first_min > second_max:
        return "no"
    return "open"


def shown(day: datetime.date | None, precision: str = DatePrecision.DAY) -> str:
    """``2017年03月`` for a month-only date, ``2017-03-15`` otherwise, "" for none."""
    if day is None:
        return ""
    if precision == DatePrecision.MONTH:
        return f"{day.year}年{day.month:02d}月"
    return day.isoformat()


def eighteenth_birthday(birth: datetime.date) -> datetime.date:
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:  # 29 February: the day after 28 February
        return birth.replace(year=birth.year + 18, month=3, day=1)


def date_problems(get) -> list[tuple[str, str, bool]]:
    """What is wrong with a member's dates: (field, message, decided).

    *get* reads a field of the record (``lambda name: values.get(name)`` or
    ``getattr`` on a member), precisions included. A decided problem refuses
    the record; an undecided one (a month-only date the order depends on) is
    a warning at most. The one rule for the import and the member form.
    """
    found = []
    birth, joined, full = get("birth_date"), get("joined_on"), get("full_member_on")
    joined_p = get("joined_on_precision") or DatePrecision.DAY
    full_p = get("full_member_on_precision") or DatePrecision.DAY
    if joined and birth:
        if order(birth, DatePrecision.DAY, joined, joined_p) == "no":
            found.append(("joined_on", "加入党组织日期早于出生日期。", True))
        else:
            adult = eighteenth_birthday(birth)
            verdict = order(adult, DatePrecision.DAY, joined, joined_p)
            if verdict == "no":
                found.append(
                    ("joined_on", f"加入党组织时未满18岁（{adult:%Y-%m-%d}满18岁）。", True)
                )
            elif verdict == "open":
                message = (
                    f"加入党组织日期只写到月，无法判断当时是否已满18岁（{adult:%Y-%m-%d}满18岁）。"
                )
                found.append(("joined_on", message, False))
    if full and joined:
        verdict = order(joined, joined_p, full, full_p)
        if verdict == "no":
            found.append(("full_member_on", "转为正式党员日期早于加入党组织日期。", True))
        elif verdict == "open":
            message = "转为正式党员日期与加入党组织日期在同一个月，无法判断先后，请核对。"
            found.append(("full_member_on", message, False))
    return found
