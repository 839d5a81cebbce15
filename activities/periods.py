"""Calendar periods (month, quarter, year) in the app's time zone."""

from __future__ import annotations

import datetime

from django.utils import timezone

from activities.models import Period


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_bounds(day: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month, quarter or year that contains *day*."""
    if period == Period.MONTH:
        start = month_start(day)
        length = 1
    elif period == Period.QUARTER:
        start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        length = 3
    else:
        start = datetime.date(day.year, 1, 1)
        length = 12
    return start, add_months(start, length) - datetime.timedelta(days=1)


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, current = [], month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def local_midnight_after(day: datetime.date) -> datetime.datetime:
    """The aware instant at which *day* ends in the app's time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def period_label(start: datetime.date, period: str) -> str:
    if period == Period.MONTH:
        return f"{start.year}年{start.month}月"
    if period == Period.QUARTER:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年"
