"""What every working ledger's writes check the same way: dates not after today, and
dates named in a refusal as a clerk writes them.

Each ledger's own writes are in its package (``pledges``, ``duty``, …).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone


def not_after_today(day: datetime.date, field: str, label: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: f"{label}不能晚于今天。"})


def day_label(day: datetime.date) -> str:
    return f"{day:%Y年%-m月%-d日}"
