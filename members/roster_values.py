"""Turning the cells of real roster files into field values.

Each parser takes a cell (str, number, date or None) and returns the value,
or raises ``ValueError`` with a Chinese message saying what is wrong. What is
not particular to rosters (text, blanks, control characters, dates) is
``branches.spreadsheets.cells``, which the tree sheet reads with too; it is
imported here so that a roster parser reads ``v.text`` like ``v.parse_sex``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.db.models import TextChoices

from branches.spreadsheets.cells import control_character_problem, is_blank, parse_date, text
from members.choices import (
    ETHNIC_GROUPS,
    Education,
    MemberCategory,
    Occupation,
    PartyStatus,
    Sex,
)
from members.synonyms import EDUCATION_SYNONYMS, OCCUPATION_SYNONYMS

__all__ = ["control_character_problem", "is_blank", "parse_date", "text"]


def parse_name(cell) -> str:
    value = text(cell)
    # "张 三": people pad two-character names with a space; Chinese names
    # carry none. Names in other scripts keep single spaces.
    if re.fullmatch(r"[\u4e00-\u9fff·\s]+", value):
        return re.sub(r"\s+", "", value)
    return re.sub(r"\s+", " ", value)


def parse_id_cell(cell) -> str:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise ValueError(
            "身份证号被 Excel 存成了数字（科学计数法），后几位已丢失；请把该列设为“文本”后重新填写。"
        )
    value = text(cell)
    if re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", value):
        raise ValueError(
            f"身份证号「{value}」是科学计数法，后几位已丢失；请把该列设为“文本”后重新填写。"
        )
    return value


YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", ""}


def parse_bool(cell) -> bool:
    value = text(cell).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"「{value}」应填“是”或“否”。")


_LOOKUPS: dict[int, tuple[dict[str, str], str]] = {}


def _choice(cell, choices: type[TextChoices], aliases: dict[str, str], what: str) -> str:
    value = text(cell).replace(" ", "")
    if not value:
        return ""
    # Built once per value list: a 70,000-row file looks up every cell (and
    # ``TextChoices.choices`` builds a new list each time it is read).
    key = id(aliases)
    if key not in _LOOKUPS:
        lookup = {**aliases}
        for code, label in choices.choices:
            lookup[label] = lookup[code] = code
        _LOOKUPS[key] = lookup, "、".join(label for _, label in choices.choices)
    lookup, names = _LOOKUPS[key]
    if value in lookup:
        return lookup[value]
    raise ValueError(f"无法识别的{what}「{value}」，可填：{names}。")


SEX_ALIASES = {"男性": Sex.MALE, "女性": Sex.FEMALE}
CATEGORY_ALIASES = {"正式": MemberCategory.FULL, "预备": MemberCategory.PROBATIONARY}


def parse_sex(cell) -> str:
    return _choice(cell, Sex, SEX_ALIASES, "性别")


def _described(value: str, lookup: dict[str, str]) -> tuple[str, str]:
    """(code, "") for a value the code list or its synonyms know, else ("", the value)."""
    if not value:
        return "", ""
    return (lookup[value], "") if value in lookup else ("", value)


_ETHNICITY_LOOKUP = {name: name for name in ETHNIC_GROUPS} | {"其他": "其他"}
_ETHNICITY_LOOKUP |= {name.removesuffix("族"): name for name in ETHNIC_GROUPS}


def describe_ethnicity(cell) -> tuple[str, str]:
    return _described(text(cell).replace(" ", ""), _ETHNICITY_LOOKUP)


def _code_lookup(choices, synonyms: dict[str, str]) -> dict[str, str]:
    lookup = dict(synonyms)
    for code, label in choices:
        lookup[label] = lookup[code] = code
    return lookup


_EDUCATION_LOOKUP = _code_lookup(Education.choices, EDUCATION_SYNONYMS)
_OCCUPATION_LOOKUP = _code_lookup(Occupation.choices, OCCUPATION_SYNONYMS)


def describe_education(cell) -> tuple[str, str]:
    return _described(text(cell).replace(" ", ""), _EDUCATION_LOOKUP)


def describe_occupation(cell) -> tuple[str, str]:
    return _described(text(cell).replace(" ", ""), _OCCUPATION_LOOKUP)


def parse_category(cell) -> str:
    return _choice(cell, MemberCategory, CATEGORY_ALIASES, "人员类别")


PARTY_STATUS_ALIASES = {
    # "自动退党" is the everyday (and older files') name of what the 党章 calls 自行脱党.
    "自动退党": PartyStatus.LAPSED,
    "出党（自动退党）": PartyStatus.LAPSED,
    "出党(自动退党)": PartyStatus.LAPSED,
    "自行脱党": PartyStatus.LAPSED,
    "脱党": PartyStatus.LAPSED,
    "退党": PartyStatus.RESIGNED,
    "劝退": PartyStatus.REFUSED_TO_RESIGN,
    "劝而不退": PartyStatus.REFUSED_TO_RESIGN,
    "劝退除名": PartyStatus.REFUSED_TO_RESIGN,
    "开除": PartyStatus.EXPELLED,
    "出党（开除党籍）": PartyStatus.EXPELLED,
    "出党(开除党籍)": PartyStatus.EXPELLED,
    "死亡": PartyStatus.DECEASED,
}
# Words that say a member left but not how: guessing one of the four ways would
# put a wrong entry on a member's record, so the row is refused with the choices.
PARTY_STATUS_UNSPECIFIC = {"出党", "除名"}


def parse_party_status(cell) -> str:
    value = text(cell).replace(" ", "")
    if value in PARTY_STATUS_UNSPECIFIC:
        raise ValueError(
            f"党籍状态「{value}」没有说明出党方式，"
            "请填写自行脱党除名、退党除名、劝而不退除名或开除党籍。"
        )
    return _choice(cell, PartyStatus, PARTY_STATUS_ALIASES, "党籍状态")


def parse_phone(cell) -> str:
    value = text(cell)
    return re.sub(r"[\s-]", "", value) if re.fullmatch(r"[\d\s-]+", value) else value


def parse_decimal(cell) -> Decimal | None:
    value = text(cell)
    if not value:
        return None
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError(f"「{value}」不是金额。") from None
