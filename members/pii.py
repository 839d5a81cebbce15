"""Personal data on the roster: which fields, how each is masked, who sees them whole.

The one list every page, export and history view reads: a field added to
``PII_FIELDS`` is masked everywhere at once. Whole values need the
``members.view_pii`` permission; everyone else sees the masked form.

The ID number's hidden middle is the birth date, so the birth date is shown
to the year only: together the two masks never give back a whole number.
"""

from __future__ import annotations

import datetime
import re

VIEW_PII = "members.view_pii"


def mask_id_number(number: str) -> str:
    """``110105********002X``: area code and the last four characters stay."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """``138****5678`` for mobile numbers; other numbers keep their last four."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.isdigit():
        return phone[:3] + "****" + phone[-4:]
    if len(phone) <= 4:
        return "*" * len(phone)
    return "*" * (len(phone) - 4) + phone[-4:]


def mask_birth_date(value) -> str:
    """``1965年``: the year alone (ages and age bands stay computable, the day does not)."""
    if isinstance(value, datetime.date):
        return f"{value.year}年"
    match = re.match(r"\s*(\d{4})", str(value or ""))
    return f"{match.group(1)}年" if match else ""


MASKS = {
    "id_number": mask_id_number,
    "birth_date": mask_birth_date,
    "mobile_phone": mask_phone,
    "landline": mask_phone,
}
PII_FIELDS: tuple[str, ...] = tuple(MASKS)


def sees_pii(user) -> bool:
    return user.has_perm(VIEW_PII)


def masked(field: str, value):
    """*value* of *field* as a user without ``view_pii`` may see it."""
    mask = MASKS.get(field)
    return mask(value) if mask else value


def shown(field: str, value, *, mask: bool):
    """*value* as a page or export shows it: masked when *mask*, whole otherwise."""
    return masked(field, value) if mask else value
