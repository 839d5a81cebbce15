import datetime

import pytest

from members.idcard import (
    IdCheckError,
    IdNumberError,
    check_char,
    make_id_number,
    parse_id_number,
)
from members.pii import mask_id_number, mask_phone

VALID = "11010519491231002X"


def test_it_accepts_a_valid_number_and_reads_birth_date_and_sex():
    info = parse_id_number(VALID)

    assert info.number == VALID
    assert info.birth_date == datetime.date(1949, 12, 31)
    assert info.sex == "F"
    assert info.check_ok is True


def test_it_reads_an_odd_sequence_as_male():
    number = make_id_number("110105", datetime.date(1980, 5, 17), 13)

    info = parse_id_number(number)

    assert info.sex == "M"
    assert info.birth_date == datetime.date(1980, 5, 17)


def test_it_refuses_a_wrong_check_character_naming_the_expected_one():
    with pytest.raises(IdCheckError) as exc:
        parse_id_number("110105194912310021")

    message = str(exc.value)
    assert "校验" in message
    assert "「X」" in message
    assert "「1」" in message


def test_it_accepts_a_wrong_check_character_when_allowed_and_says_so():
    info = parse_id_number("110105194912310021", allow_bad_check=True)

    assert info.number == "110105194912310021"
    assert info.check_ok is False
    assert info.birth_date == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
    ],
    ids=["lowercase-x", "full-width", "full-width-lowercase-x", "spaces"],
)
def test_it_normalises_case_width_and_spaces(raw):
    assert parse_id_number(raw).number == VALID


def test_it_upgrades_a_15_digit_number_to_18_characters():
    info = parse_id_number("110105491231002")

    assert info.number == VALID
    assert len(info.number) == 18
    assert info.number[17] == check_char(info.number[:17])
    assert info.birth_date == datetime.date(1949, 12, 31)
    assert info.sex == "F"
    assert info.check_ok is True


def test_it_refuses_a_masked_number_with_its_own_message():
    with pytest.raises(IdNumberError) as exc:
        parse_id_number("110105********002X")

    assert "遮蔽" in str(exc.value)
    assert "格式不正确" not in str(exc.value)


@pytest.mark.parametrize(
    "raw", ["1101051949123100", "11010519491231002Y", "", "ABCDEFGHIJKLMNOPQR"]
)
def test_it_refuses_a_malformed_number(raw):
    with pytest.raises(IdNumberError, match="格式不正确"):
        parse_id_number(raw)


def test_it_refuses_an_impossible_birth_date():
    body = "11010519490230002"  # 30 February
    number = body + check_char(body)

    with pytest.raises(IdNumberError) as exc:
        parse_id_number(number)

    assert "19490230" in str(exc.value)
    assert "不是有效日期" in str(exc.value)


def test_it_refuses_an_impossible_date_in_a_15_digit_number():
    with pytest.raises(IdNumberError, match="不是有效日期"):
        parse_id_number("110105491331002")


@pytest.mark.parametrize(
    "birth",
    [datetime.date(1899, 12, 31), datetime.date.today() + datetime.timedelta(days=1)],
    ids=["before-1900", "future"],
)
def test_it_refuses_an_implausible_birth_date(birth):
    with pytest.raises(IdNumberError, match="不合理"):
        parse_id_number(make_id_number("110105", birth, 2))


def test_it_makes_numbers_that_pass_the_check():
    number = make_id_number("110105", datetime.date(1949, 12, 31), 2)

    assert number == VALID


def test_it_masks_an_id_number():
    assert mask_id_number(VALID) == "110105********002X"
    assert mask_id_number("") == ""
    assert mask_id_number("12345") == "*****"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0571-88886666", "*********6666"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_it_masks_a_phone_number(phone, masked):
    assert mask_phone(phone) == masked
