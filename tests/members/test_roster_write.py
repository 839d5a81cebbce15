"""Writing a confirmed roster: PostgreSQL's ``COPY`` path writes exactly what the bulk
path writes (members, memberships, both histories), all or nothing, and leaves no
staging table behind. On SQLite both runs take the bulk path, so the tests hold there too."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction

from branches.pg_copy import text_fields
from members import services
from members.models import Member, Membership
from members.services import roster_commit
from tests.factories import MemberFactory
from tests.members.roster_helpers import HEADER, id_number, plan, problems

pytestmark = pytest.mark.django_db

COLUMNS = [
    *HEADER,
    "所在党小组",
    "手机号",
    "家庭住址",
    "学历",
    "加入党组织日期",
    "月应缴纳党费（元）",
]


def roster(tree):
    """Three members already on the roster (a new phone, a move, none) and four new ones."""
    phone = MemberFactory(branch=tree.village_a, mobile_phone="13800000000")
    moved = MemberFactory(branch=tree.village_a, group=tree.group_a1)
    same = MemberFactory(branch=tree.village_a, mobile_phone="13800000002")
    rows = [
        COLUMNS,
        [phone.name, phone.id_number, "甲村党支部", "", "13900000000", "", "", "", ""],
        [moved.name, moved.id_number, "甲镇机关党支部", "", "", "", "", "", ""],
        [same.name, same.id_number, "甲村党支部", "", "13800000002", "", "", "", ""],
        # Text CSV must carry unharmed: quotes, commas, a line break, backslashes, \N.
        ["张三", id_number(), "甲村党支部", tree.group_a1.name, "13900000003",
         '一号院, "东"楼\n3 单元 \\N \\.', "大学本科", "2018.07", "12.5"],
        ["李四", id_number(datetime.date(1975, 3, 9), 42), "甲村党支部", "", "", "", "研究生学历",
         "", ""],
        ["王五", id_number(datetime.date(1990, 11, 30), 7), "甲镇机关党支部", "", "", "\\N", "",
         "2015-07-01", "0"],
        ["赵六", id_number(datetime.date(1991, 1, 2), 9), "甲村党支部", "", "", "", "", "", ""],
    ]  # fmt: skip
    return rows


def written() -> dict:
    """Every row an import writes, without the keys and clocks that differ between runs."""
    number = dict(Member.objects.values_list("pk", "id_number"))

    def rows(queryset, skip):
        out = []
        for row in queryset.values():
            if "member_id" in row:
                row["member_id"] = number[row["member_id"]]
            if "id" in row and "history_id" in row:
                row["id"] = number.get(row["id"], row["id"])
            out.append({k: v for k, v in row.items() if k not in skip})
        return sorted(out, key=repr)

    clocks = {"created_at", "updated_at", "history_date", "history_id"}
    return {
        "members": rows(Member.objects.all(), {"id", *clocks}),
        "memberships": rows(Membership.objects.all(), {"id", *clocks}),
        "member_history": rows(Member.history.all(), clocks),
        # A membership's history names the membership by its own key: compare by member.
        "membership_history": rows(Membership.history.all(), {"id", *clocks}),
    }


def imported(user, rows, *, copy: bool) -> dict:
    """What committing *rows* writes through one path; rolled back afterwards."""
    sid = transaction.savepoint()
    try:
        with patch.object(services, "copies", lambda: copy and connection.vendor == "postgresql"):
            result = plan(user, rows)
            assert result.counts == {"new": 4, "changed": 2, "unchanged": 1, "rejected": 0}
            roster_commit(plan=result, user=user, skip_invalid=False, reason="花名册导入：测试")
        return written()
    finally:
        transaction.savepoint_rollback(sid)


def test_it_writes_the_same_rows_through_copy_as_through_bulk_statements(tree, clerk_a):
    rows = roster(tree)

    by_copy = imported(clerk_a, rows, copy=True)
    by_bulk = imported(clerk_a, rows, copy=False)

    assert by_copy == by_bulk
    new = {m["name"]: m for m in by_copy["members"]}
    assert new["张三"]["address"] == '一号院, "东"楼\n3 单元 \\N \\.'
    assert new["王五"]["address"] == "\\N"
    assert (new["张三"]["monthly_dues"], new["王五"]["monthly_dues"]) == (Decimal("12.50"), 0)
    assert (new["张三"]["joined_on_precision"], new["李四"]["education_as_written"]) == (
        "month",
        "研究生学历",  # kept as written (待规范)
    )
    assert new["李四"]["monthly_dues"] is None and new["李四"]["group_id"] is None
    assert new["张三"]["group_id"] == tree.group_a1.pk
    added = [h for h in by_copy["member_history"] if h["name"] in ("张三", "李四", "王五", "赵六")]
    assert [h["history_type"] for h in added] == ["+"] * 4
    assert {h["history_change_reason"] for h in added} == {"花名册导入：测试"}
    assert {h["history_user_id"] for h in added} == {clerk_a.pk}
    changed = {h["name"] for h in by_copy["member_history"] if h["history_type"] == "~"}
    assert len(changed) == 2  # the new phone and the move


def test_it_writes_nothing_when_a_row_fails_in_the_middle_of_the_write(tree, clerk_a):
    result = plan(clerk_a, roster(tree))
    before = written()

    # The last step refuses, after the new and changed members were written.
    refused = ValidationError("转接失败")
    with (
        patch.object(services, "members_move", side_effect=refused),
        pytest.raises(ValidationError),
    ):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    assert written() == before


def test_it_writes_nothing_when_the_database_refuses_a_new_row(tree, clerk_a):
    rows = roster(tree)
    result = plan(clerk_a, rows)
    # Put on the roster since the check: the new row's number is taken now.
    MemberFactory(branch=tree.village_a, id_number=rows[5][1])
    before = written()

    with pytest.raises(IntegrityError):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)

    assert written() == before
    # The failed write left the connection able to import again.
    rows[5][1] = id_number(datetime.date(1992, 2, 3), 11)
    roster_commit(plan=plan(clerk_a, rows), user=clerk_a, skip_invalid=False)
    assert Member.objects.filter(name="赵六").count() == 1


def staging_tables() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_class WHERE relname = 'copy_stage'")
        else:
            cursor.execute("SELECT count(*) FROM sqlite_temp_master WHERE type = 'table'")
        return cursor.fetchone()[0]


def test_it_leaves_no_staging_table_between_imports(tree, clerk_a):
    rows = roster(tree)
    roster_commit(plan=plan(clerk_a, rows), user=clerk_a, skip_invalid=False)
    assert staging_tables() == 0

    rows[4][5] = "新地址"  # a second import on the same connection, in the same transaction
    again = plan(clerk_a, rows)
    assert again.counts["changed"] == 1
    roster_commit(plan=again, user=clerk_a, skip_invalid=False)

    assert staging_tables() == 0
    assert Member.objects.get(name="张三").address == "新地址"


def test_it_still_refuses_duplicates_in_a_file_by_row_and_writes_nothing(tree, clerk_a):
    rows = [*roster(tree), ["孙七", id_number(), "甲村党支部", "", "", "", "", "", ""]]
    result = plan(clerk_a, rows)
    before = written()

    assert problems(result) == [
        f"第5行「公民身份证号」：身份证号 {id_number()} 在文件中重复（另见第9行）。",
        f"第9行「公民身份证号」：身份证号 {id_number()} 在文件中重复（另见第5行）。",
    ]
    with pytest.raises(ValueError, match="有被拒绝的行"):
        roster_commit(plan=result, user=clerk_a, skip_invalid=False)
    assert written() == before


def test_copy_refuses_columns_csv_would_write_wrongly():
    nullable, data = models.CharField(max_length=5, null=True), models.JSONField()
    nullable.set_attributes_from_name("note")
    data.set_attributes_from_name("data")

    with pytest.raises(TypeError, match="note, data|data, note"):
        text_fields([nullable, data])
