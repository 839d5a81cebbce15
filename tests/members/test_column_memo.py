"""Checking a roster parses each column's repeated cells once (``ColumnMemo``); every row
still gets its own messages."""

from __future__ import annotations

import datetime

import pytest

from branches.spreadsheets.cells import Problem
from members.roster_parse import ColumnMemo
from members.roster_values import parse_bool, parse_date, parse_sex
from tests.members.roster_helpers import HEADER, id_number, plan


def test_a_column_memo_parses_equal_looking_cells_of_other_types_apart():
    memo = ColumnMemo()

    assert [memo("is_mobile", parse_bool, c) for c in (1, True, "1", "否", 0)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert memo("joined_on", parse_date, 1) != memo("joined_on", parse_date, "1999-1-1")
    for _ in range(2):  # a refusal is remembered and said again, each time afresh
        with pytest.raises(ValueError, match="无法识别的性别「公」"):
            memo("sex", parse_sex, "公")


@pytest.mark.django_db
def test_rows_repeating_a_bad_value_each_get_their_own_message(tree, clerk_a):
    rows = [
        [*HEADER, "性别", "出生日期"],
        ["张三", id_number(), "甲村党支部", "公", "1980-13-45"],
        ["李四", id_number(datetime.date(1975, 3, 9), 42), "甲村党支部", "公", "1980-13-45"],
    ]

    result = plan(clerk_a, rows)

    assert [p.row for p in result.problems] == [2, 3]
    warned = [(p.row, p.column) for r in result.rows for p in r.warnings]
    assert warned == [(2, "出生日期"), (3, "出生日期")]
    assert all(isinstance(p, Problem) for p in result.problems)
