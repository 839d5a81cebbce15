"""``manage.py import_members``: the same rules and scope as the import page, for files on disk."""

import datetime
import hashlib
import io
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import ImportRun, Member
from members.roster_parse import RosterFileError
from tests.factories import MemberFactory, UserFactory
from tests.members.roster_helpers import HEADER, csv_bytes, id_number, xls, xlsx

pytestmark = pytest.mark.django_db

NUMBER = id_number()
OTHER = id_number(datetime.date(1975, 3, 9), 42)
THIRD = id_number(datetime.date(1990, 11, 30), 7)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def rows_with_problems():
    return [
        ["某某乡党员花名册 2026年"],
        [*HEADER, "加入党组织日期", "备注"],
        ["张三", NUMBER, "甲村党支部", "2018-07-01", ""],
        ["李四", OTHER, "乙村党支部", "2018-07-01", ""],
        ["王五", THIRD, "甲镇机关党支部", "1901.7", ""],
    ]


PROBLEMS = [
    "第4行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「乙村党支部」。",
    "第5行「加入党组织日期」：加入党组织日期早于出生日期。",
]


@pytest.fixture
def roster_file(tmp_path):
    def write(rows, name="甲镇花名册.xlsx"):
        path = tmp_path / name
        if name.endswith(".csv"):
            path.write_bytes(csv_bytes(rows, "gbk"))
        elif name.endswith(".xls"):
            path.write_bytes(xls(rows))
        else:
            path.write_bytes(xlsx(rows))
        return path

    return write


def run(path, **options):
    out = io.StringIO()
    call_command("import_members", str(path), stdout=out, **options)
    return out.getvalue()


def test_it_prints_the_problems_and_writes_nothing_when_rows_are_rejected(
    tree, clerk_a, roster_file
):
    path = roster_file(rows_with_problems())
    out = io.StringIO()

    with pytest.raises(CommandError) as error:
        call_command("import_members", str(path), user="clerk_a", stdout=out)

    assert out.getvalue().splitlines() == [*PROBLEMS, "忽略无法识别的列「备注」。"]
    assert str(error.value) == (
        "新增 1 行，变更 0 行，未变 0 行，拒绝 2 行；有被拒绝的行，未写入任何数据。"
        "修改后重试，或加 --skip-invalid 只导入有效行。"
    )
    assert Member.objects.count() == 0
    assert not ImportRun.objects.exists()


def test_it_exits_with_a_non_zero_status_when_rows_are_rejected(tree, clerk_a, roster_file, capsys):
    from django.core.management import execute_from_command_line

    path = roster_file(rows_with_problems())

    # The command closes the database connections on the way out; the test's are kept.
    with (
        patch("django.core.management.base.connections.close_all"),
        pytest.raises(SystemExit) as exit_,
    ):
        execute_from_command_line(["manage.py", "import_members", str(path), "--user", "clerk_a"])

    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:2] == PROBLEMS
    assert "有被拒绝的行，未写入任何数据" in captured.err
    assert Member.objects.count() == 0


def test_it_writes_the_valid_rows_with_skip_invalid(tree, clerk_a, roster_file):
    path = roster_file(rows_with_problems())

    out = run(path, user="clerk_a", skip_invalid=True)

    assert out.splitlines() == [
        *PROBLEMS,
        "忽略无法识别的列「备注」。",
        "已导入：新增 1 行，变更 0 行，未变 0 行，拒绝 2 行。",
    ]
    member = Member.objects.get()
    assert (member.name, member.branch, member.joined_on) == (
        "张三",
        tree.village_a,
        datetime.date(2018, 7, 1),
    )
    assert member.memberships.open().get().branch == tree.village_a
    import_run = ImportRun.objects.get()
    assert (import_run.user, import_run.file_name) == (clerk_a, "甲镇花名册.xlsx")
    assert import_run.upload.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (import_run.rows_new, import_run.rows_rejected) == (1, 2)
    assert import_run.problems == PROBLEMS
    assert (import_run.status, import_run.skipped_invalid) == (ImportRun.Status.COMMITTED, True)
    assert import_run.committed_at is not None
    history = Member.history.get(id=member.pk)
    assert history.history_user == clerk_a
    assert "甲镇花名册.xlsx" in history.history_change_reason
    assert "命令行" in history.history_change_reason


def test_it_writes_a_clean_file_without_options(tree, clerk_a, roster_file):
    existing = MemberFactory(branch=tree.village_a, mobile_phone="13700000000")
    path = roster_file(
        [
            [*HEADER, "手机号"],
            ["张三", NUMBER, "甲村党支部", "13800000000"],
            [existing.name, existing.id_number, "甲村党支部", "13900000000"],
        ],
        "roster.csv",
    )

    out = run(path, user="clerk_a")

    assert out.splitlines() == ["已导入：新增 1 行，变更 1 行，未变 0 行，拒绝 0 行。"]
    existing.refresh_from_db()
    assert existing.mobile_phone == "13900000000"
    assert Member.objects.get(id_number=NUMBER).mobile_phone == "13800000000"
    assert ImportRun.objects.get().skipped_invalid is False


def test_it_reads_an_excel_97_file(tree, clerk_a, roster_file):
    path = roster_file([HEADER, ["张 三", NUMBER, "甲村党支部"]], "roster.xls")

    out = run(path, user="clerk_a")

    assert out.splitlines() == ["已导入：新增 1 行，变更 0 行，未变 0 行，拒绝 0 行。"]
    assert Member.objects.get().name == "张三"


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_it_writes_nothing_on_a_dry_run(tree, clerk_a, roster_file, skip_invalid):
    path = roster_file(rows_with_problems())

    out = run(path, user="clerk_a", dry_run=True, skip_invalid=skip_invalid)

    assert out.splitlines() == [
        *PROBLEMS,
        "忽略无法识别的列「备注」。",
        "检查完毕（未写入）：新增 1 行，变更 0 行，未变 0 行，拒绝 2 行。",
    ]
    assert Member.objects.count() == 0
    assert not ImportRun.objects.exists()


def test_it_imports_within_the_users_scope(tree, clerk_a, roster_file):
    theirs = MemberFactory(branch=tree.village_b, mobile_phone="13700000000")
    path = roster_file([[*HEADER, "手机号"], ["冒名", theirs.id_number, "甲村党支部", "1"]])

    with pytest.raises(CommandError):
        run(path, user="clerk_a")
    out = run(path, user="clerk_a", skip_invalid=True)

    assert out.splitlines()[0] == (
        "第2行「公民身份证号」：该身份证号已登记在你管辖范围以外的组织，"
        "请联系上级组织部门办理组织关系转接。"
    )
    theirs.refresh_from_db()
    assert (theirs.branch, theirs.mobile_phone) == (tree.village_b, "13700000000")
    assert Member.objects.count() == 1


def test_it_refuses_an_unknown_user(tree, roster_file):
    path = roster_file([HEADER, ["张三", NUMBER, "甲村党支部"]])

    with pytest.raises(CommandError, match="没有启用的用户「nobody」。"):
        run(path, user="nobody")

    assert Member.objects.count() == 0


def test_it_refuses_an_inactive_user(tree, clerk_a, roster_file):
    clerk_a.is_active = False
    clerk_a.save()
    path = roster_file([HEADER, ["张三", NUMBER, "甲村党支部"]])

    with pytest.raises(CommandError, match="没有启用的用户「clerk_a」。"):
        run(path, user="clerk_a")

    assert Member.objects.count() == 0


def test_it_refuses_a_user_without_the_import_permission(tree, secretary_a, roster_file):
    path = roster_file([HEADER, ["张三", NUMBER, "甲村党支部"]])

    with pytest.raises(CommandError, match="用户「secretary_a」没有导入党员的权限。"):
        run(path, user="secretary_a")

    assert Member.objects.count() == 0


def test_it_refuses_a_user_with_no_role(tree, roster_file):
    UserFactory(username="plain", org=tree.township_a)
    path = roster_file([HEADER, ["张三", NUMBER, "甲村党支部"]])

    with pytest.raises(CommandError, match="用户「plain」没有导入党员的权限。"):
        run(path, user="plain")


def test_it_refuses_a_missing_file(tree, clerk_a, tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        run(tmp_path / "none.xlsx", user="clerk_a")


def test_it_reports_a_file_it_cannot_read_as_a_command_error(tree, clerk_a, roster_file):
    path = roster_file([["姓名", "所在党支部"], ["张三", "甲村党支部"]])

    with pytest.raises(CommandError) as error:
        run(path, user="clerk_a")

    assert not isinstance(error.value, RosterFileError)
    assert str(error.value) == "缺少必填列：「公民身份证号」，未读取任何数据行。"
    assert Member.objects.count() == 0
