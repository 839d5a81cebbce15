"""Rosters as township clerks really keep them: month-only dates, hand-typed words,
title rows and variant headers. Every valid row lands; only genuinely wrong rows
are refused, each named by row and column."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from members import roster_values
from members.idcard import make_id_number
from members.import_runs import import_run_confirm, import_run_preview
from members.models import Member
from members.roster_export import roster_xlsx
from members.roster_plan import plan_import
from members.services import roster_commit
from members.synonyms import EDUCATION_SYNONYMS, OCCUPATION_SYNONYMS
from reports.selectors import overview
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, csv_bytes, xlsx

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]

BORN = datetime.date(2000, 3, 15)
NUMBER = make_id_number("110105", BORN, 21)


def one_row(user, headers, cells):
    (row,) = plan_import(
        data=csv_bytes([[*HEADER, *headers], ["张三", NUMBER, "甲村党支部", *cells]]),
        filename="a.csv",
        user=user,
    ).rows
    return row


# -- the synonym table ------------------------------------------------------------


@pytest.mark.parametrize(("words", "code"), sorted(OCCUPATION_SYNONYMS.items()))
def test_every_job_title_synonym_gives_its_code(words, code):
    assert roster_values.describe_occupation(words) == (code, "")
    assert roster_values.describe_occupation(f" {words} ") == (code, "")


@pytest.mark.parametrize(("words", "code"), sorted(EDUCATION_SYNONYMS.items()))
def test_every_education_synonym_gives_its_code(words, code):
    assert roster_values.describe_education(words) == (code, "")


@pytest.mark.parametrize(("words", "code"), [("汉", "汉族"), ("回", "回族"), ("蒙古", "蒙古族")])
def test_an_ethnicity_without_its_suffix_is_the_group(words, code):
    assert roster_values.describe_ethnicity(words) == (code, "")


def test_a_synonym_reaches_the_member_through_the_import(tree, clerk_a):
    row = one_row(clerk_a, ["工作岗位", "学历"], ["个体户", "大学本科"])
    assert (row.values["occupation"], row.values["education"], row.warnings) == (
        "other",
        "bachelor",
        [],
    )


def test_an_unknown_job_title_imports_with_a_warning_and_the_review_filter_finds_it(tree, clerk_a):
    rows = [[*HEADER, "工作岗位"], ["张三", NUMBER, "甲村党支部", "村干部"]]
    run, _plan = import_run_preview(user=clerk_a, data=csv_bytes(rows), file_name="a.csv")
    assert (run.rows_new, run.rows_rejected, run.warning_count) == (1, 0, 1)
    assert run.warnings == [
        "第2行「工作岗位」：「村干部」不在工作岗位的统计分类中，已原样保存并标为“待规范”，"
        "请在党员名单中按“待规范”筛选后选定工作岗位。"
    ]
    page = logged_in(clerk_a).get(reverse("members:import_preview", args=[run.pk]))
    assert "警告 1 条，不影响导入" in page.content.decode()
    import_run_confirm(run=run, skip_invalid=False)
    member = Member.objects.get(id_number=NUMBER)
    assert (member.occupation, member.occupation_as_written) == ("", "村干部")
    listing = logged_in(clerk_a).get(reverse("admin:members_member_changelist"), {"review": "any"})
    assert [m.pk for m in listing.context["cl"].result_list] == [member.pk]
    # Counted as 未填 in the statistics: no job category holds it.
    figures = overview(node=tree.township_a, on=datetime.date.today()).total.members
    assert sum(v for k, v in figures.items() if k.startswith("job_")) == 0


# -- dates to the month -----------------------------------------------------------


@pytest.mark.parametrize(
    ("joined", "verdict"),
    [
        ("2018年2月", "rejected"),  # every day of February 2018 is before 15 March 2018
        ("2018年3月", "warning"),  # the month of the 18th birthday: undecided
        ("2018年4月", "clean"),
    ],
)
def test_a_month_only_joining_date_around_the_18th_birthday(tree, clerk_a, joined, verdict):
    row = one_row(clerk_a, ["加入党组织日期"], [joined])
    found = {"rejected": bool(row.problems), "warning": bool(row.warnings)}
    assert found == {"rejected": verdict == "rejected", "warning": verdict == "warning"}
    if verdict == "warning":
        assert "无法判断当时是否已满18岁（2018-03-15满18岁）" in str(row.warnings[0])


def test_a_month_only_date_counts_as_the_last_day_of_its_month_in_reports(tree, clerk_a):
    row = one_row(clerk_a, ["加入党组织日期"], ["2024.6"])
    roster_commit(plan=_plan_of(clerk_a, row), user=clerk_a, skip_invalid=False)

    def new_of_the_year(on):
        return overview(node=tree.township_a, on=on).total.members["new"]

    # Their membership starts on the joining date (the month's end), so a
    # report for a day inside June 2024 does not have them yet.
    assert new_of_the_year(datetime.date(2024, 6, 29)) == 0
    assert new_of_the_year(datetime.date(2024, 6, 30)) == 1
    assert new_of_the_year(datetime.date(2024, 12, 31)) == 1


def _plan_of(user, row):
    headers = [*HEADER, "加入党组织日期"]
    cells = [["张三", NUMBER, "甲村党支部", row.cells[3]]]
    return plan_import(data=csv_bytes([headers, *cells]), filename="a.csv", user=user)


def test_an_exported_roster_of_month_only_dates_imports_back_unchanged(tree, clerk_a):
    headers = [*HEADER, "加入党组织日期", "转为正式党员日期", "是否为失联党员", "失去联系日期"]
    rows = [headers, ["张三", NUMBER, "甲村党支部", "2019年3月", "202003", "是", "2023.11"]]
    roster_commit(
        plan=plan_import(data=csv_bytes(rows), filename="a.csv", user=clerk_a),
        user=clerk_a,
        skip_invalid=False,
    )
    member = Member.objects.get(id_number=NUMBER)
    assert (member.joined_on, member.full_member_on, member.lost_contact_on) == (
        datetime.date(2019, 3, 31),
        datetime.date(2020, 3, 31),
        datetime.date(2023, 11, 30),
    )
    exported = roster_xlsx(
        members=Member.objects.filter(pk=member.pk), user=clerk_a, mask=False, filename="x.xlsx"
    ).content
    sheet = list(load_workbook(io.BytesIO(exported)).active.iter_rows(values_only=True))
    shown = dict(zip(sheet[0], sheet[1], strict=True))
    assert (shown["加入党组织日期"], shown["转为正式党员日期"], shown["失去联系日期"]) == (
        "2019年03月",
        "2020年03月",
        "2023年11月",
    )
    again = plan_import(data=exported, filename="x.xlsx", user=clerk_a)
    assert again.counts == {"new": 0, "changed": 0, "unchanged": 1, "rejected": 0}


# -- a messy county roster ----------------------------------------------------------

JOBS = ["务农", "个体户", "村干部", "退休", "教师", "农民", "", "个体工商户"]
SCHOOLING = ["初中", "高中", "大专", "本科", "小学", "初中文化", "中专", ""]
PEOPLE = ["汉", "汉族", "回族", "", "满"]
BRANCHES = ["甲村党支部", "甲镇党委/甲村党支部", "甲镇机关党支部", " 甲村党支部 "]


def _joined_forms(joined: datetime.date, i: int):
    forms = [
        joined.strftime("%Y.%m"),
        joined.strftime("%Y%m"),
        f"{joined.year}年{joined.month}月",
        joined.isoformat(),
        joined,  # an Excel date cell
        f"{joined.year}-{joined.month}",
    ]
    return forms[i % len(forms)]


def messy_roster(count: int = 420) -> tuple[bytes, set[int]]:
    """A township's roster as typed by hand, and the sheet rows of its three bad lines."""
    title = [["甲镇党员花名册"], ["填报单位：甲镇党委", None, None, "填报日期：2026年11月"], []]
    header = ["序号", "姓 名", "身份证号码", "性别", "民族", "文化程度", "所在支部"]
    header += ["入党时间", "转正时间", "职业", "联系电话"]
    rows, bad = [], set()
    first_row = len(title) + 2
    for i in range(count):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=37 * i)
        male = i % 3 != 0
        number = make_id_number("131221", born, 21 if male else 22)
        joined = datetime.date(born.year + 25, 1 + i % 12, 1 + i % 27)
        full = joined.replace(year=joined.year + 1)
        rows.append(
            [
                i + 1,
                f"党员{i:03d}",
                number,
                "男" if male else "女",
                PEOPLE[i % len(PEOPLE)],
                SCHOOLING[i % len(SCHOOLING)],
                BRANCHES[i % len(BRANCHES)],
                _joined_forms(joined, i),
                _joined_forms(full, i + 1),
                JOBS[i % len(JOBS)],
                f"1{38 + i % 10}{i:08d}",
            ]
        )
    # The three genuinely wrong lines: a bad check character, no name, and a
    # full membership (given to the day) before the joining date.
    rows[57][2] = rows[57][2][:-1] + ("0" if rows[57][2][-1] != "0" else "1")
    rows[210][1] = ""
    rows[333][7], rows[333][8] = "2001-05-20", "2001-05-19"
    bad = {first_row + 57, first_row + 210, first_row + 333}
    # Blank lines and a total line between the members are skipped, as a clerk would expect.
    body = rows[:100] + [[], ["合计", f"{count}人"]] + rows[100:]
    bad = {n if n < first_row + 100 else n + 2 for n in bad}
    return xlsx([*title, header, *body]), bad


def test_a_messy_county_roster_imports_every_row_but_the_three_wrong_ones(tree, clerk_a):
    data, bad = messy_roster()
    run, plan = import_run_preview(user=clerk_a, data=data, file_name="甲镇花名册.xlsx")

    rejected = {r.number for r in plan.rows if r.action == "rejected"}
    assert rejected == bad
    assert (run.rows_new, run.rows_rejected) == (417, 3)
    assert {int(p.split("行")[0].removeprefix("第")) for p in run.problems} == bad
    assert run.missing == []
    # Hand-typed words no code fits are warnings, never refusals.
    assert run.warning_count > 0
    assert any("「村干部」" in w and "共" in w for w in run.warnings)
    import_run_confirm(run=run, skip_invalid=True)
    imported = Member.objects.filter(name__regex=r"^党员[0-9]{3}$")
    assert imported.count() == 417
    assert imported.filter(joined_on_precision="month").count() > 200
    assert imported.filter(occupation="", occupation_as_written="村干部").count() > 40
