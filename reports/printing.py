"""What a printed report carries on every page: the organisation, the report and its date.

Chromium prints CSS page-margin boxes (``@page { @top-left { content: … } }``)
on every page but does not implement ``string-set``, so the text cannot be
taken from the page's heading: the report page writes it into a small
``<style media="print">`` of its own (inline styles are allowed by the
Content Security Policy; inline scripts are not).
"""

from __future__ import annotations

import datetime

from django.utils.safestring import SafeString, mark_safe


def css_string(text: str) -> SafeString:
    """*text* as a quoted CSS string, safe inside <style>.

    Every character but letters and digits (CJK included) is written as a CSS
    escape, so no quote, backslash or ``</style>`` in an organisation's name
    can end the string or the element. The space after each escape ends it and
    is not part of the text (CSS Syntax, "consume an escaped code point").
    """
    body = "".join(c if c.isalnum() else f"\\{ord(c):x} " for c in text)
    return mark_safe(f'"{body}"')


def print_head(*, org_name: str, title: str, as_of: datetime.date) -> SafeString:
    """The running head of every printed page, as a CSS string."""
    return css_string(f"{org_name} · {title} · 截至{as_of.year}年{as_of.month}月{as_of.day}日")
