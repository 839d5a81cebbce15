"""Checking a roster parses each column's repeated cells once (``ColumnMemo``); every row
still gets its own messages."""

from __future__ import annotations

import datetime

import pytest

from branches.spreadsheets.cells import Problem
from members.roster_parse import ColumnMemo
from tests.members.roster_helpers import HEADER, id_number, plan


def test_a_column_memo_reads_equal_looking_cells_of_other_types_apart():
    memo = ColumnMemo()

    assert [memo.effect("is_mobile", c)[0] for c in (1, True, "1", "否", 0)] == [
        {"is_mobile": True},
        {"is_mobile": True},
        {"is_mobile": True},
        {"is_mobile": False},
        {"is_mobile": False},
    ]
    assert memo.effect("joined_on", 1) != memo.effect("joined_on", "1999-1-1")
    refused = (True, "无法识别的性别「公」，可填：男、女。", "")
    assert memo.effect("sex", "公") == memo.effect("sex", "公") == ({}, None, refused)


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
