"""Values read from a request's query string or form, parsed in one place.

Parameters come from links, bookmarks, forms and whoever edits a URL: a
value that is not what the page expects answers 400 (an id) or falls back
to the page's default (a date, a year, a choice, a page number), never a
500. Dates are kept to a range the date arithmetic of the reports (age
bands, periods) can work with.
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import BadRequest
from django.http import QueryDict

# Ids are positive and fit a bigint column on PostgreSQL and SQLite alike.
MAX_ID = 2**63 - 1
ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)
MIN_YEAR, MAX_YEAR = 2000, 2100


def _int(value: str | None) -> int | None:
    # str.isdigit() accepts "²" and "١٢", which int() refuses or reads as digits.
    if value is None or not ASCII_DIGITS.fullmatch(value):
        return None
    return int(value)


def id_or_none(value: str | None) -> int | None:
    """*value* as an object id, or None when it cannot be one (for filters: finds nobody)."""
    number = _int(value)
    return number if number is not None and 1 <= number <= MAX_ID else None


def object_id(data: QueryDict, name: str) -> int | None:
    """An object's id, or None when the parameter is missing or empty; 400 when garbled."""
    value = data.get(name, "")
    if value == "":
        return None
    number = id_or_none(value)
    if number is None:
        raise BadRequest(f"参数 {name} 不是有效的编号。")
    return number


def object_ids(data: QueryDict, name: str) -> list[int]:
    """Every value of a repeated parameter (checkboxes) as object ids; 400 when one is garbled."""
    ids = [id_or_none(value) for value in data.getlist(name)]
    if None in ids:
        raise BadRequest(f"参数 {name} 含有无效的编号。")
    return ids


def text_value(data: QueryDict, name: str, *, max_length: int = 1000) -> str:
    """Free text typed into a form, cut to *max_length*; 400 for a NUL character.

    Nobody types NUL, and PostgreSQL refuses it in text columns: it can only
    come from a crafted request. Length is the service's to judge with a
    message; the cut only bounds what reaches it.
    """
    value = data.get(name, "")
    if "\x00" in value:
        raise BadRequest(f"参数 {name} 含有无效字符。")
    return value[:max_length]


def date_value(data: QueryDict, name: str, *, default: datetime.date) -> datetime.date:
    """A date in ISO form (2026-06-30) within 1900–2100, else *default*."""
    try:
        day = datetime.date.fromisoformat(data.get(name, ""))
    except ValueError:
        return default
    return day if MIN_DATE <= day <= MAX_DATE else default


def valid_year(value: str | None) -> int | None:
    """The year *value* names if it is within 2000–2100, else None."""
    year = _int(value)
    return year if year is not None and MIN_YEAR <= year <= MAX_YEAR else None


def year_value(data: QueryDict, name: str = "year", *, default: int) -> int:
    """A year within 2000–2100, else *default*."""
    year = valid_year(data.get(name))
    return default if year is None else year


def choice_value(data: QueryDict, name: str, choices, *, default: str) -> str:
    """One of *choices*, else *default*."""
    value = data.get(name)
    return value if value in choices else default


def page_number(data: QueryDict, name: str = "page") -> int:
    """A page number from 1 up (the paginator clamps it to the last page), else 1."""
    number = _int(data.get(name))
    return number if number is not None and number >= 1 else 1


def report_year(request) -> int:
    """The ``?year=`` a report or rating page asks for, else this year (Beijing time)."""
    from django.utils import timezone

    return year_value(request.GET, default=timezone.localdate().year)
