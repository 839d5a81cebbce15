"""Text the database cannot hold is refused in the preview (security review, issue 12, items 5–6).

On PostgreSQL a 10,000-character name passed the roster preview ("14 new, 0
rejected") and the confirmation then failed with 500; a NUL byte showed
psycopg2's raw English error. Now every cell is checked against the model
in the preview, with the row and the column, and nothing is written.
Both databases run these tests.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from members.models import ImportRun, Member
from tests.members.roster_helpers import HEADER, csv_bytes, id_number, plan, problems, xlsx

pytestmark = pytest.mark.django_db

CONTROL = "含有不可见的控制字符"


def roster(*rows):
    """The header with 家庭住址 and 月应缴纳党费, then a good row, then *rows*."""
    header = [*HEADER, "家庭住址", "月应缴纳党费（元）"]
    good = ["李四", id_number(sequence=31), "甲村党支部", "甲村东街1号", "12.50"]
    return [header, good, *rows]


def bad_row(**changes):
    row = {"name": "张三", "number": id_number(), "branch": "甲村党支部", "address": "", "dues": ""}
    row.update(changes)
    return list(row.values())


def with_escaped_text(data: bytes, text: str, escaped: str) -> bytes:
    """An xlsx whose inline string *text* is written with OOXML's _xHHHH_ escapes."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(text.encode(), escaped.encode())
            archive.writestr(info.filename, content)
    return out.getvalue()


# -- control characters (item 5) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"name": "张\x00三"}, "姓名", "U+0000"),
        ({"name": "张三\x1b"}, "姓名", "U+001B"),
        ({"branch": "甲村\x07党支部"}, "所在党支部", "U+0007"),
        ({"address": "东街\x0c1号"}, "家庭住址", "U+000C"),
    ],
)
def test_it_refuses_a_control_character_in_any_text_cell_naming_row_and_column(
    tree, clerk_a, changes, column, code
):
    result = plan(clerk_a, roster(bad_row(**changes)), filename="花名册.csv")

    assert result.counts == {"new": 1, "changed": 0, "unchanged": 0, "rejected": 1}
    (message,) = problems(result)
    assert message == f"第3行「{column}」：{CONTROL}（{code}），请删除后重新导入。"


def test_it_refuses_a_nul_hidden_in_an_xlsx_string(tree, clerk_a):
    data = with_escaped_text(xlsx(roster(bad_row(name="张三"))), "张三", "张_x0000_三")

    result = plan_import_xlsx(clerk_a, data)

    assert problems(result) == [f"第3行「姓名」：{CONTROL}（U+0000），请删除后重新导入。"]


def test_it_keeps_tabs_and_line_breaks_as_text(tree, clerk_a):
    result = plan(clerk_a, roster(bad_row(address="东街\n1号\t后院")), filename="花名册.csv")

    assert result.counts["rejected"] == 0
    assert result.rows[1].values["address"] == "东街\n1号\t后院"


def plan_import_xlsx(user, data):
    from members.roster_plan import plan_import

    return plan_import(data=data, filename="花名册.xlsx", user=user)


# -- the model's limits (item 6) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "张" * 10_000}, "第3行「姓名」：最多 50 个字符，这里有 10000 个。"),
        ({"address": "东" * 201}, "第3行「家庭住址」：最多 200 个字符，这里有 201 个。"),
        (
            {"dues": "1234567.89"},
            "第3行「月应缴纳党费(元)」：「1234567.89」超出范围：最多 6 位整数、2 位小数。",
        ),
    ],
)
def test_it_refuses_values_longer_or_larger_than_the_member_record_holds(
    tree, clerk_a, changes, expected
):
    result = plan(clerk_a, roster(bad_row(**changes)))

    assert problems(result) == [expected]
    assert result.counts["rejected"] == 1


def test_it_accepts_values_at_the_limits(tree, clerk_a):
    row = bad_row(name="张" * 50, address="东" * 200, dues="999999.99")

    result = plan(clerk_a, roster(row))

    assert problems(result) == []
    assert result.counts["new"] == 2


@pytest.mark.parametrize(
    "changes",
    [{"name": "张" * 10_000}, {"address": "东" * 201}, {"name": "张\x00三"}, {"dues": "12345678"}],
)
def test_the_import_page_rejects_it_in_the_preview_and_writes_nothing(
    tree, clerk_a, client, settings, tmp_path, changes
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(clerk_a)
    rows = roster(
        *[bad_row(name=f"党员{i}", number=id_number(sequence=41 + 2 * i)) for i in range(13)]
    )
    rows.append(bad_row(**changes))

    response = client.post(
        reverse("members:import_upload"),
        {"file": SimpleUploadedFile("花名册.csv", csv_bytes(rows))},
        follow=True,
    )

    run = ImportRun.objects.get()
    assert response.status_code == 200
    assert (run.rows_new, run.rows_rejected) == (14, 1)
    assert any(p.startswith("第16行「") for p in run.problems), run.problems
    assert "\x00" not in "".join(run.problems)
    confirm = client.post(reverse("members:import_confirm", args=[run.pk]), follow=True)
    assert confirm.status_code == 200
    assert "有被拒绝的行" in confirm.content.decode()
    assert not Member.objects.exists()
