"""Citizen ID numbers (公民身份证号, GB 11643): checking and normalising (masking: members.pii).

An 18-character number is a 6-digit area code, the birth date YYYYMMDD, a
3-digit sequence (odd for men, even for women) and a check character. Legacy
15-digit numbers carry YYMMDD (born 19xx) and no check character; they are
normalised to 18 characters so that both forms of one person's number match.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from operator import mul

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


class IdNumberError(ValueError):
    """The number is not a well-formed ID number; the message is for the user."""


class IdCheckError(IdNumberError):
    """Well formed, but the check character does not match (may be overridden)."""


@dataclass(frozen=True)
class IdInfo:
    number: str  # always 18 characters, upper-case X
    birth_date: datetime.date
    sex: str  # "M" or "F"
    check_ok: bool


def check_char(first17: str) -> str:
    if len(first17) != len(WEIGHTS):
        raise ValueError("check_char takes the first 17 characters")
    # map() rather than a generator: a 70,000-row roster checks every number.
    return CHECK_CHARS[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


# Compiled once: a 70,000-row roster parses every number.
_SPACES, _OLD_FORM, _NEW_FORM = (
    re.compile(r"\s+"),
    re.compile(r"\d{15}"),
    re.compile(r"\d{17}[\dX]"),
)


def clean_id_text(raw: str) -> str:
    return _SPACES.sub("", str(raw)).translate(_FULL_WIDTH).upper()


def parse_id_number(raw: str, *, allow_bad_check: bool = False) -> IdInfo:
    """Normalise and check *raw*; raise ``IdNumberError`` with a Chinese message.

    With *allow_bad_check* a wrong check character is accepted (the record
    carries an explicit override); everything else must still hold.
    """
    text = clean_id_text(raw)
    if "*" in text:
        raise IdNumberError("身份证号已被遮蔽（含 *），请填写完整号码。")
    if _OLD_FORM.fullmatch(text):
        body = text[:6] + "19" + text[6:]
        text = body + check_char(body)
    elif not _NEW_FORM.fullmatch(text):
        raise IdNumberError(f"身份证号「{raw}」格式不正确：应为18位（最后一位可为X）或15位数字。")
    try:
        birth = datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号「{text}」中的出生日期 {text[6:14]} 不是有效日期。") from None
    if birth.year < 1900 or birth > datetime.date.today():
        raise IdNumberError(f"身份证号「{text}」中的出生日期 {birth:%Y-%m-%d} 不合理。")
    expected = check_char(text[:17])
    check_ok = expected == text[17]
    if not check_ok and not allow_bad_check:
        raise IdCheckError(
            f"身份证号「{text}」校验位错误：按前17位计算，第18位校验码应为「{expected}」，"
            f"实际为「{text[17]}」。"
        )
    sex = "M" if int(text[16]) % 2 else "F"
    return IdInfo(number=text, birth_date=birth, sex=sex, check_ok=check_ok)


def make_id_number(area: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid 18-character number (demo data and tests)."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + check_char(body)
