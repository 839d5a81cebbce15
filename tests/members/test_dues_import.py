"""Importing a 党费收缴表: a good file previewed and recorded, every problem named by
row and column, all rows or none, the user's scope, the ledger's settled months,
the file's bound, and the queries of the preview and of the write."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from openpyxl import load_workbook

from branches.models import Upload
from members.choices import RosterStatus
from members.dues import imports, services
from members.dues.services import Action, DuesPayment, DuesRow
from members.idcard import make_id_number
from members.models import DuesCategory, DuesEntry, DuesLine, DuesReceipt, EntryKind, Member
from tests.conftest import logged_in
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen
from tests.members.roster_helpers import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

D = datetime.date
M = Decimal
TODAY = D(2026, 11, 20)
OCT, NOV = D(2026, 10, 1), D(2026, 11, 1)
HEADER = ["姓名", "公民身份证号", "所属月份", "金额（元）", "交纳日期", "说明"]
URL = "/members/dues/import/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def on_20_november():
    with frozen(beijing(2026, 11, 20)):
        yield


@pytest.fixture
def people(tree, clerk_a):
    """Two members of 甲村党支部: 张三 with a base (40 元 a month), 李四 without one."""
    zhang = MemberFactory(name="张三", branch=tree.village_a, joined_on=D(2010, 7, 1))
    li = MemberFactory(name="李四", branch=tree.village_a, joined_on=D(2012, 7, 1))
    services.dues_base_set(
        member=zhang, starts=D(2026, 1, 1), category=DuesCategory.WAGE, income=M("4000"), by=clerk_a
    )
    return {"张三": zhang, "李四": li}


def line(person, month="2026-11", amount="40", paid_on="2026-11-18", note=""):
    return [person.name, person.id_number, month, amount, paid_on, note]


def good_rows(people):
    zhang, li = people["张三"], people["李四"]
    return [
        line(zhang, "2026-10", "40", "2026-11-18"),
        line(zhang, "2026年11月", "40", "2026-11-18", "本人交纳"),
        line(li, "2026/11", "0.5", ""),
    ]


def cells(*rows, header=HEADER):
    """A sheet as the reader hands it over: a title line above the header."""
    return [["甲村党支部党费收缴表"], list(header), *(list(r) for r in rows)]


def planned(user, *rows, header=HEADER):
    return imports.plan_dues_import(cells=cells(*rows, header=header), user=user, today=TODAY)


def upload(client, data: bytes, name="党费收缴表.xlsx"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def confirm(client, response, follow=True):
    return client.post(URL, {"upload": response.context["upload"].pk}, follow=follow)


def nothing_written():
    return not (
        DuesEntry.objects.exists() or DuesReceipt.objects.exists() or DuesLine.objects.exists()
    )


# --- a good file -----------------------------------------------------------------------------------


def test_it_previews_a_good_file_then_records_it(tree, people, clerk_a):
    zhang, li = people["张三"], people["李四"]
    client = logged_in(clerk_a)

    preview = upload(client, xlsx(cells(*good_rows(people))))

    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.problem_lines == [] and plan.importable
    assert (plan.members, plan.total) == (2, M("80.50"))
    page = preview.content.decode()
    assert "<strong>80.50</strong><span>合计金额（元）</span>" in page
    assert "110105" in page and zhang.id_number not in page  # masked in the preview
    assert nothing_written()  # nothing before the confirmation

    done = confirm(client, preview)

    assert "已导入 3 笔党费，2 名党员，合计 80.50 元。" in done.content.decode()
    assert done.redirect_chain[-1][0] == f"/members/dues/?branch={tree.village_a.pk}&month=2026-10"
    lines = {
        (ln.member_id, ln.month): (ln.owed, ln.paid, ln.org_id) for ln in DuesLine.objects.all()
    }
    assert lines == {
        (zhang.pk, OCT): (M("40.00"), M("40.00"), tree.village_a.pk),  # owed from the base
        (zhang.pk, NOV): (M("40.00"), M("40.00"), tree.village_a.pk),
        (li.pk, NOV): (None, M("0.50"), tree.village_a.pk),  # no base: owed unknown
    }
    entries = DuesEntry.objects.order_by("pk")
    assert [(e.member_id, e.month, e.kind, e.amount) for e in entries] == [
        (zhang.pk, OCT, EntryKind.PAY, M("40.00")),
        (zhang.pk, NOV, EntryKind.PAY, M("40.00")),
        (li.pk, NOV, EntryKind.PAY, M("0.50")),
    ]
    assert entries[1].note == "本人交纳" and entries[0].entered_by == clerk_a
    # One receipt per member and day; 交纳日期 left empty is the day of the import.
    receipts = {(r.member_id, r.paid_on): r.total for r in DuesReceipt.objects.all()}
    assert receipts == {(zhang.pk, D(2026, 11, 18)): M("80.00"), (li.pk, TODAY): M("0.50")}
    assert entries[0].receipt_id == entries[1].receipt_id != entries[2].receipt_id
    for person in (zhang, li):
        person.refresh_from_db()
    assert (zhang.dues_paid_until, li.dues_paid_until) == (NOV, NOV)
    assert li.dues_opening == OCT  # the ledger starts for them the month before the first
    assert Upload.objects.get().is_purged  # the file goes once it is imported


def test_it_reads_header_synonyms_and_the_ways_a_month_is_written(tree, people, clerk_a):
    zhang, li = people["张三"], people["李四"]
    header = ["序号", "党员姓名", "身份证号", "月份", "党费金额", "缴费日期", "备注", "应缴金额"]
    rows = [
        [1, zhang.name, zhang.id_number, datetime.datetime(2026, 3, 1), 40, D(2026, 3, 5), "", 40],
        [2, zhang.name, zhang.id_number, 202604, "￥40.00", "2026年4月5日", "", 40],
        [3, zhang.name, zhang.id_number, "202605", "1,234.5元", "", "", 40],
        [4, zhang.name, zhang.id_number, "2026.6", 0.1 * 3, "", "", 40],
        [5, zhang.name, zhang.id_number, "2026年7月份", "12", "", "", 40],
        [6, li.name, li.id_number.lower(), "2026-08-15", "0.2", "", "", ""],
        [7, li.name, li.id_number, 46218, "0.2", "", "", ""],  # Excel's serial day of 2026-07-15
        ["合计", "", "", "", "1327.1", "", "", ""],
    ]

    plan = planned(clerk_a, *rows, header=header)

    assert plan.problem_lines == [] and plan.unknown_columns == ["序号", "应缴金额"]
    assert [(r.month, r.amount) for r in plan.rows] == [
        (D(2026, 3, 1), M("40.00")),
        (D(2026, 4, 1), M("40.00")),
        (D(2026, 5, 1), M("1234.50")),
        (D(2026, 6, 1), M("0.30")),
        (D(2026, 7, 1), M("12.00")),
        (D(2026, 8, 1), M("0.20")),
        (D(2026, 7, 1), M("0.20")),
    ]
    assert [r.paid_on for r in plan.rows][:3] == [D(2026, 3, 5), D(2026, 4, 5), TODAY]


def test_a_month_opened_but_unpaid_takes_the_payment_on_its_line(tree, people, clerk_a):
    zhang = people["张三"]
    services.dues_open(month=NOV, root=tree.county)
    opened = DuesLine.objects.get(member=zhang, month=NOV)

    count = services.dues_payments_import(
        payments=planned(clerk_a, line(zhang)).payments, by=clerk_a
    )

    assert count == 1
    assert DuesLine.objects.filter(member=zhang).count() == 1
    opened.refresh_from_db()
    assert (opened.owed, opened.paid) == (M("40.00"), M("40.00"))


def test_the_next_opened_month_does_not_take_the_gap_for_paid(tree, people, clerk_a):
    """A member without an opening position: the import starts their ledger, so the
    next ``dues_open`` does not move it to the month before the one it opens."""
    li = people["李四"]
    plan = planned(clerk_a, line(li, "2026-08", "0.2"))
    services.dues_payments_import(payments=plan.payments, by=clerk_a)

    services.dues_open(month=NOV, root=tree.county)
    services.dues_positions_refresh(member_ids=[li.pk])

    li.refresh_from_db()
    assert (li.dues_opening, li.dues_paid_until) == (D(2026, 7, 1), D(2026, 8, 1))


# --- every problem by row and column -----------------------------------------------------------------


UNKNOWN = make_id_number("110105", D(1990, 1, 1), 1)
BAD_CHECK = UNKNOWN[:17] + ("0" if UNKNOWN[17] != "0" else "1")


BAD = [
    ({"姓名": ""}, "第3行「姓名」：姓名不能为空。"),
    ({"姓名": "张 三"}, None),  # a padded name is the same name
    ({"姓名": "王五"}, "第3行「姓名」：姓名「王五」与花名册不一致：该身份证号在花名册中是「张三」。"),
    ({"姓名": "张\x01三"}, "第3行「姓名」：含有不可见的控制字符（U+0001），请删除后重新导入。"),
    ({"公民身份证号": ""}, "第3行「公民身份证号」：身份证号不能为空。"),
    ({"公民身份证号": "12345"}, "第3行「公民身份证号」：身份证号「12345」格式不正确"),
    ({"公民身份证号": "110105********0011"}, "第3行「公民身份证号」：身份证号已被遮蔽（含 *）"),
    ({"公民身份证号": 1.10105196e17}, "第3行「公民身份证号」：身份证号被 Excel 存成了数字"),
    ({"公民身份证号": UNKNOWN}, "第3行「公民身份证号」：未找到该身份证号的在册党员。"),
    ({"公民身份证号": BAD_CHECK}, f"第3行「公民身份证号」：身份证号「{BAD_CHECK}」校验位错误"),
    ({"所属月份": ""}, "第3行「所属月份」：所属月份不能为空。"),
    ({"所属月份": "2026-13"}, "第3行「所属月份」：月份「2026-13」不存在。"),
    ({"所属月份": "十一月"}, "第3行「所属月份」：无法识别的月份「十一月」"),
    ({"所属月份": 2026.11}, "第3行「所属月份」：「2026.11」是数字，看不出是哪个月"),
    ({"所属月份": "2026-12"}, "第3行「所属月份」：2026年12月还没有到，不能导入以后月份的党费。"),
    ({"所属月份": "1999-12"}, "第3行「所属月份」：1999年12月早于2000年1月，台账不记录。"),
    ({"所属月份": "2010-06"}, "第3行「所属月份」：2010年6月该党员尚未入党（2010年7月1日入党）"),
    ({"金额（元）": ""}, "第3行「金额（元）」：金额不能为空。"),
    ({"金额（元）": "四十"}, "第3行「金额（元）」：无法识别的金额「四十」，请填写数字"),
    ({"金额（元）": "NaN"}, "第3行「金额（元）」：无法识别的金额「NaN」"),
    ({"金额（元）": "0"}, "第3行「金额（元）」：金额应大于0。"),
    ({"金额（元）": -5}, "第3行「金额（元）」：金额应大于0。"),
    ({"金额（元）": "100000"}, "第3行「金额（元）」：金额不能超过99999.99元。"),
    ({"金额（元）": "12.345"}, "第3行「金额（元）」：金额「12.345」超过两位小数：党费记到分。"),
    ({"金额（元）": 12.345}, "第3行「金额（元）」：金额「12.345」超过两位小数"),
    ({"交纳日期": "2026-11-21"}, "第3行「交纳日期」：交纳日期2026-11-21晚于今天。"),
    ({"交纳日期": "2026-11"}, "第3行「交纳日期」：日期「2026-11」只有年月，这一列需要写到日"),
    ({"交纳日期": "昨天"}, "第3行「交纳日期」：无法识别的日期「昨天」"),
    ({"说明": "长" * 201}, "第3行「说明」：最多 200 个字符，这里有 201 个。"),
]  # fmt: skip


# Row 3 (after the title and the header): 张三's November with the cells changed.
@pytest.mark.parametrize(("bad", "message"), BAD, ids=[str(b) for b, _m in BAD])
def test_it_names_each_problem_by_row_and_column(tree, people, clerk_a, bad, message):
    written = dict(zip(HEADER, line(people["张三"]), strict=True)) | bad

    plan = planned(clerk_a, list(written.values()))

    if message is None:
        assert plan.problem_lines == []
        return
    assert len(plan.problem_lines) == 1, plan.problem_lines
    assert plan.problem_lines[0].startswith(message)
    assert not plan.importable


def test_a_bad_file_is_shown_not_kept_and_writes_nothing(tree, people, clerk_a):
    client = logged_in(clerk_a)
    rows = [*good_rows(people), line(people["李四"], "2026-09", "abc")]

    response = upload(client, xlsx(cells(*rows)))

    page = response.content.decode()
    assert escape("第6行「金额（元）」：无法识别的金额「abc」，请填写数字，如 12.50。") in page
    assert response.context["upload"] is None and 'name="upload"' not in page
    assert "<strong>1</strong><span>有问题</span>" in page
    assert not Upload.objects.exists()  # a file that cannot be confirmed is not kept
    assert nothing_written()


# --- scope ------------------------------------------------------------------------------------------


def test_a_member_of_another_township_is_not_found(tree, people, clerk_a, admin_role_user):
    elsewhere = MemberFactory(name="王乙", branch=tree.village_b, joined_on=D(2010, 7, 1))
    left = MemberFactory(
        name="赵离",
        branch=tree.village_a,
        joined_on=D(2010, 7, 1),
        roster_status=RosterStatus.DECEASED,
        left_on=D(2026, 5, 1),
    )

    plan = planned(clerk_a, line(elsewhere), line(left))

    assert plan.problem_lines == [
        "第3行「公民身份证号」：未找到该身份证号的在册党员。",
        "第4行「公民身份证号」：未找到该身份证号的在册党员。",
    ]
    # The same file, from the county: found.
    assert planned(admin_role_user, line(elsewhere)).importable


def test_the_write_refuses_a_member_outside_the_users_part_of_the_tree(tree, people, clerk_b):
    payment = DuesPayment(member=people["张三"], month=NOV, amount=M("40"), paid_on=TODAY)
    with pytest.raises(ValidationError, match="不在你的管辖范围内"):
        services.dues_payments_import(payments=[payment], by=clerk_b)
    assert nothing_written()


def test_another_clerk_cannot_confirm_a_file_kept_for_someone_else(tree, people, clerk_a, clerk_b):
    preview = upload(logged_in(clerk_a), xlsx(cells(*good_rows(people))))

    response = confirm(logged_in(clerk_b), preview)

    assert "上传的文件已导入或已被删除" in response.content.decode()
    assert nothing_written()


# --- the file's months, and the ledger's ------------------------------------------------------------


def test_a_member_and_month_twice_in_the_file(tree, people, clerk_a):
    zhang, li = people["张三"], people["李四"]

    plan = planned(clerk_a, line(zhang), line(li), line(zhang, "2026年11月", "10"))

    assert plan.problem_lines == [
        "第5行「所属月份」：2026年11月的党费在第3行已有：同一党员同一月份只能导入一行。"
    ]
    assert plan.rejected == 1


def test_a_month_settled_in_the_ledger_is_refused(tree, people, clerk_a):
    zhang, li = people["张三"], people["李四"]
    services.dues_record(
        month=NOV, rows=[DuesRow(member=zhang, action=Action.FULL)], paid_on=TODAY, by=clerk_a
    )
    services.dues_record(
        month=OCT,
        rows=[DuesRow(member=li, action=Action.EXEMPT, note="重病住院", approved_on=TODAY)],
        paid_on=TODAY,
        by=clerk_a,
    )

    plan = planned(clerk_a, line(zhang), line(li, "2026-10", "0.2"), line(li))

    assert plan.problem_lines == [
        "第3行「所属月份」：2026年11月已交纳40.00元；如有差错请在党员的党费记录中登记更正。",
        "第4行「所属月份」：2026年10月免交；如有差错请在党员的党费记录中登记更正。",
    ]


def test_a_month_settled_after_the_preview_keeps_the_whole_file_out(tree, people, clerk_a):
    client = logged_in(clerk_a)
    preview = upload(client, xlsx(cells(*good_rows(people))))
    services.dues_record(
        month=NOV,
        rows=[DuesRow(member=people["李四"], action=Action.AMOUNT, amount=M("1"), note="现金")],
        paid_on=TODAY,
        by=clerk_a,
    )

    response = confirm(client, preview, follow=False)

    assert escape("第5行「所属月份」：2026年11月已交纳1.00元") in response.content.decode()
    assert DuesEntry.objects.count() == 1 and DuesReceipt.objects.count() == 1


def test_the_write_checks_the_rules_again_and_writes_nothing(tree, people, clerk_a):
    zhang = people["张三"]
    plan = planned(clerk_a, *good_rows(people))
    services.dues_record(
        month=OCT, rows=[DuesRow(member=zhang, action=Action.FULL)], paid_on=TODAY, by=clerk_a
    )
    late = DuesPayment(member=people["李四"], month=D(2026, 9, 1), amount=M("0.001"), paid_on=TODAY)

    with pytest.raises(ValidationError) as refused:
        services.dues_payments_import(payments=[*plan.payments, late], by=clerk_a)

    assert refused.value.messages == [
        "张三：2026年10月已交纳40.00元；如有差错请在党员的党费记录中登记更正。",
        "李四：金额「0.001」超过两位小数：党费记到分。",
    ]
    assert DuesEntry.objects.count() == 1


def test_a_month_opened_by_someone_else_while_writing_is_a_message(tree, people, clerk_a):
    client = logged_in(clerk_a)
    preview = upload(client, xlsx(cells(*good_rows(people))))

    with patch.object(services, "dues_payments_import", side_effect=IntegrityError):
        response = confirm(client, preview)

    assert "可能重复提交了确认），未导入任何数据" in response.content.decode()
    assert nothing_written()


# --- the page ----------------------------------------------------------------------------------------


def test_who_may_use_the_page(tree, client, secretary_a_client, clerk_a_client):
    page = clerk_a_client.get(URL)
    assert page.status_code == 200
    assert "导入党费收缴表" in page.content.decode() and "所属月份" in page.content.decode()
    assert secretary_a_client.get(URL).status_code == 403  # reads the ledger, records nothing
    assert secretary_a_client.post(URL, {"upload": "1"}).status_code == 403
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    assert clerk_a_client.put(URL).status_code == 405


def test_the_template_to_fill_in_imports_back(tree, clerk_a_client):
    response = clerk_a_client.get(URL, {"template": "1"})

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    read = [list(r) for r in sheet.iter_rows(values_only=True)]
    index, mapping, unknown = imports.find_header(read)
    assert read[index] == HEADER and unknown == []
    assert sorted(mapping.values()) == sorted(c.field for c in imports.COLUMNS)


LONG = [HEADER] + [["张三", UNKNOWN, "2026-11", "40", "", ""]] * 5_001
HOSTILE = [
    ("long.csv", csv_bytes(LONG), "文件有 5001 行，超过每次最多 5000 行的限制，请分批导入。"),
    ("longer.csv", csv_bytes(LONG * 2), "超过 5020 行（空行也计算在内），未读取"),
    ("blank.csv", b"\n" * 10, "在前20行中找不到表头"),
    ("no-amount.csv", csv_bytes([HEADER[:3]]), "缺少必填列：「金额（元）」，未读取任何数据行。"),
    ("dues.pdf", b"%PDF-1.4", "不支持的文件类型"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_file_too_long_or_wrong_gets_a_message_and_writes_nothing(
    tree, clerk_a_client, name, data, message
):
    response = upload(clerk_a_client, data, name=name)
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert nothing_written() and not Upload.objects.exists()


def test_five_thousand_rows_are_within_the_bound(tree, clerk_a):
    plan = planned(clerk_a, *LONG[1:5_001])
    assert len(plan.rows) == 5_000


# --- queries -----------------------------------------------------------------------------------------


def _members(tree, count: int) -> list[Member]:
    return [
        MemberFactory(name=f"党员{i}", branch=tree.village_a, joined_on=D(2010, 7, 1))
        for i in range(count)
    ]


def test_the_preview_and_the_write_take_the_same_queries_for_2_or_20_rows(tree, clerk_a):
    client = logged_in(clerk_a)
    members = _members(tree, 20)
    previews, confirms = [], []
    for size, month in ((2, "2026-10"), (20, "2026-11")):
        data = xlsx(cells(*(line(m, month, "12.5") for m in members[:size])))
        with CaptureQueriesContext(connection) as previewed:
            preview = upload(client, data, name=f"{size}.xlsx")
        assert preview.context["plan"].importable
        with CaptureQueriesContext(connection) as confirmed:
            done = confirm(client, preview, follow=False)
        assert done.status_code == 302
        previews.append(len(previewed))
        confirms.append(len(confirmed))
    assert DuesEntry.objects.count() == 22
    # The session and the user (2), the user's and the groups' permissions (2), the
    # members by ID number (1), the months settled (1), the kept file (3), the session
    # saved (3).
    assert previews == [12, 12]
    # The same four, the kept file looked up and read (3), the preview's reading again
    # (2), the write (18, below), the file let go (2), the message kept in the session (3).
    assert confirms == [32, 32]


def test_the_write_takes_the_same_queries_for_2_or_20_rows(tree, clerk_a):
    members = _members(tree, 20)
    counts = []
    for size, month in ((2, "2026-10"), (20, "2026-11")):
        payments = planned(clerk_a, *(line(m, month, "12.5") for m in members[:size])).payments
        with CaptureQueriesContext(connection) as queries:
            assert services.dues_payments_import(payments=payments, by=clerk_a) == size
        counts.append(len(queries))
    # The savepoint (2), the lines locked (1), the bases (1), the month's rules (1), the
    # receipts, entries and new lines (3), the month's tally recounted (3: delete, sums,
    # insert), the scope checked again (1), the opening positions (1), the positions
    # refreshed (5: the months settled, the openings, 党费缴至, the bases and the rules of
    # 月应缴纳党费).
    assert counts == [18, 18]
