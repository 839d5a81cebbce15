"""Importing a 积极分子花名册: the export read back, every problem named by row and
column, all rows or none, the user's scope, hostile files, and the preview's queries."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from branches.models import Upload
from members.development import documents, imports
from members.development import services as dev
from members.idcard import make_id_number
from members.models import ImportRun, Member, Recruit, Stage
from members.roster_export import branch_labels
from members.roster_parse import PipelineRosterFile
from members.roster_plan import plan_import
from tests.conftest import logged_in
from tests.factories import MemberFactory, UserFactory
from tests.members.roster_helpers import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

D = datetime.date
HEADER = [
    "姓名",
    "公民身份证号",
    "所在党支部",
    "阶段",
    "递交入党申请书日期",
    "谈话日期",
    "确定为入党积极分子日期",
    "培养联系人",
    "确定为发展对象日期",
    "入党介绍人",
]
URL = "/members/development/import/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 10 * 1024 * 1024  # the roster page checks at once


BORN = D(1998, 4, 2)


def number(sequence: int, born=BORN) -> str:
    return make_id_number("110105", born, sequence)


@pytest.fixture
def village(tree):
    """甲村党支部's full members: two contacts, two introducers, a namesake pair, a
    probationary member."""
    full = {"branch": tree.village_a, "joined_on": D(2005, 7, 1)}
    return {
        "李培养": MemberFactory(name="李培养", **full),
        "赵联系": MemberFactory(name="赵联系", **full),
        "王介绍": MemberFactory(name="王介绍", **full),
        "钱介绍": MemberFactory(name="钱介绍", **full),
        "同名甲": MemberFactory(name="张同名", **full),
        "同名乙": MemberFactory(name="张同名", **full),
        "预备": MemberFactory(
            name="孙预备", branch=tree.village_a, category="probationary", joined_on=D(2024, 1, 5)
        ),
    }


def good_rows():
    return [
        ["王申请", number(11), "甲村党支部", "入党申请人", "2024-03-01", "2024-03-20", "", "", "", ""],
        ["陈积极", number(13), "甲村党支部", "", "2023-01-05", "2023-01-20", "2023-04-01",
         "李培养、赵联系", "", ""],
        ["刘发展", number(15), "甲村党支部", "发展对象", "2022-02-01", "2022-02-15",
         "2022-05-01", "李培养", "2023-06-01", "王介绍、钱介绍"],
    ]  # fmt: skip


def cells(*rows, header=HEADER):
    """A sheet as the reader hands it over: a title line above the header."""
    return [["甲镇入党积极分子花名册"], list(header), *(list(r) for r in rows)]


def planned(user, *rows, header=HEADER):
    return imports.plan_pipeline_import(cells=cells(*rows, header=header), user=user)


def upload(client, data: bytes, name="积极分子花名册.xlsx", url=URL):
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def confirm(client, response):
    return client.post(URL, {"upload": response.context["upload"].pk}, follow=True)


# --- the round trip --------------------------------------------------------------------------------


def _pipeline(tree, village) -> list[Recruit]:
    """An applicant, an activist and a candidate, recorded step by step."""
    branch = tree.village_a

    def applicant(name, sequence, applied_on, talk_on):
        recruit = dev.recruit_apply(
            name=name,
            id_number=number(sequence),
            branch=branch,
            applied_on=applied_on,
            ethnicity="回族",
            education="bachelor",
            occupation="farmer",
        )
        return dev.recruit_talk(recruit=recruit, talk_on=talk_on, talk_by="支部书记")

    def activist(name, sequence, on):
        recruit = applicant(name, sequence, on - DAY * 40, on - DAY * 30)
        return dev.recruit_designate_activist(
            recruit=recruit,
            activist_on=on,
            activist_how="recommended",
            activist_committee_on=on,
            activist_filed_on=None,
            contact_1=village["李培养"],
            contact_2=village["赵联系"],
        )

    candidate = activist("刘发展", 15, D(2023, 1, 10))
    for on in (D(2023, 6, 1), D(2023, 12, 1)):
        dev.recruit_assess(recruit=candidate, on=on, outcome="good")
    dev.recruit_designate_candidate(
        recruit=candidate,
        candidate_on=D(2024, 2, 1),
        candidate_filed_on=None,
        introducer_1=village["王介绍"],
        introducer_2=village["钱介绍"],
    )
    return [
        applicant("王申请", 11, D(2025, 3, 1), D(2025, 3, 20)),
        activist("陈积极", 13, D(2025, 4, 1)),
        candidate,
    ]


DAY = datetime.timedelta(days=1)
COMPARED = [
    "name", "id_number", "sex", "birth_date", "ethnicity", "education", "occupation",
    "branch_id", "stage", "applied_on", "talk_on", "activist_on", "contact_1_id",
    "contact_2_id", "candidate_on", "introducer_1_id", "introducer_2_id",
]  # fmt: skip


def test_it_reads_back_what_the_export_writes(tree, village, clerk_a):
    _pipeline(tree, village)
    before = list(Recruit.objects.order_by("id_number").values(*COMPARED))
    exported = documents.activist_roster_xlsx(
        recruits=Recruit.objects.select_related(
            "branch", "contact_1", "contact_2", "introducer_1", "introducer_2"
        ).order_by("pk"),
        stage=Stage.ACTIVIST,
        mask=False,
        branch_labels=branch_labels(clerk_a),
    ).content
    Recruit.objects.all().delete()
    client = logged_in(clerk_a)

    preview = upload(client, exported)

    assert preview.status_code == 200
    assert preview.context["plan"].problem_lines == []
    assert preview.context["plan"].unknown_columns == []  # every column the export writes
    page = preview.content.decode()
    for label in ("入党申请人", "入党积极分子", "发展对象"):
        assert f"<strong>1</strong><span>{label}</span>" in page
    assert not Recruit.objects.exists()  # nothing written before the confirmation
    done = confirm(client, preview)
    assert (
        "已导入 3 人：入党申请人 1 人，入党积极分子 1 人，发展对象 1 人。" in done.content.decode()
    )
    assert list(Recruit.objects.order_by("id_number").values(*COMPARED)) == before
    latest = Recruit.history.order_by("-history_id").first()
    assert latest.history_user == clerk_a
    assert latest.history_change_reason.startswith("积极分子花名册导入：")
    assert Upload.objects.get().is_purged  # the file goes once it is imported


def test_the_list_pages_export_imports_back_too(tree, village, clerk_a):
    """The download of 发展党员 → 入党积极分子 (the view, its masking decision included)."""
    _pipeline(tree, village)
    client = logged_in(clerk_a)
    exported = client.get(reverse("members:recruit_list"), {"stage": "activist", "format": "xlsx"})
    Recruit.objects.filter(stage=Stage.ACTIVIST).delete()

    done = confirm(client, upload(client, exported.content))

    assert "已导入 1 人：入党积极分子 1 人。" in done.content.decode()
    assert Recruit.objects.get(name="陈积极").contact_2 == village["赵联系"]


def test_the_roster_page_reads_a_pipeline_file_as_one(tree, village, clerk_a):
    client = logged_in(clerk_a)
    data = xlsx(cells(*good_rows()))

    preview = upload(client, data, url=reverse("members:import_upload"))

    assert preview.status_code == 200
    assert preview.templates[0].name == "members/development/import_preview.html"
    assert not ImportRun.objects.exists()
    confirm(client, preview)
    assert Recruit.objects.count() == 3
    assert not Member.objects.filter(name__in=["王申请", "陈积极", "刘发展"]).exists()


def test_the_member_roster_never_reads_a_pipeline_file_as_members(tree, clerk_a):
    """The worker and the command read rosters too: they refuse the file, saying where it goes."""
    with pytest.raises(PipelineRosterFile, match="请在“发展党员”的“导入积极分子花名册”页面上传"):
        plan_import(data=csv_bytes(cells(*good_rows())), filename="名册.csv", user=clerk_a)


def test_a_member_roster_noting_applications_stays_a_member_roster(tree, clerk_a):
    header = ["姓名", "公民身份证号", "所在党支部", "递交入党申请书日期", "加入党组织日期"]
    rows = [header, ["张三", number(21), "甲村党支部", "2019-01-01", "2020-07-01"]]
    assert plan_import(data=csv_bytes(rows), filename="名册.csv", user=clerk_a).counts["new"] == 1
    response = upload(logged_in(clerk_a), csv_bytes(rows), name="名册.csv")
    assert "这是党员花名册" in response.content.decode()


# --- every problem by row and column ----------------------------------------------------------


def row(**changes):
    """A good activist row of 甲村党支部, with *changes* by header."""
    values = dict(
        zip(
            HEADER,
            ["陈积极", number(13), "甲村党支部", "", "2023-01-05", "2023-01-20", "2023-04-01",
             "李培养", "", ""],
            strict=True,
        )
    )  # fmt: skip
    values.update(changes)
    return [values[h] for h in HEADER]


# The good rows are 3–5, the row under test is row 6.
PROBLEMS = [
    (row(姓名=""), "第6行「姓名」：姓名不能为空。"),
    (
        row(公民身份证号="110105********0013"),
        "第6行「公民身份证号」：身份证号已被遮蔽（含 *），请填写完整号码。",
    ),
    (
        row(公民身份证号=number(13)[:-1] + ("0" if number(13)[-1] != "0" else "1")),
        "第6行「公民身份证号」：身份证号「{id}」校验位错误",
    ),
    (row(公民身份证号=1.10105199804e17), "第6行「公民身份证号」：身份证号被 Excel 存成了数字"),
    (
        row(所在党支部="乙村党支部"),
        "第6行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「乙村党支部」。",
    ),
    (
        row(所在党支部="青山村党支部"),
        "第6行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「青山村党支部」。",
    ),
    (row(阶段="预备党员"), "第6行「阶段」：预备党员已是党员，请在党员花名册中导入。"),
    (row(阶段="考察对象"), "第6行「阶段」：无法识别的阶段「考察对象」"),
    (
        row(阶段="入党申请人", 培养联系人=""),
        "第6行「阶段」：阶段为入党申请人，却填写了确定为入党积极分子日期",
    ),
    (
        row(阶段="发展对象", 入党介绍人="王介绍、钱介绍"),
        "第6行「确定为发展对象日期」：发展对象须填写确定为发展对象日期",
    ),
    (
        row(递交入党申请书日期="2023年1月"),
        "第6行「递交入党申请书日期」：日期「2023年1月」只有年月，这一列需要写到日",
    ),
    (row(递交入党申请书日期="去年"), "第6行「递交入党申请书日期」：无法识别的日期「去年」"),
    (row(递交入党申请书日期=""), "第6行「递交入党申请书日期」：递交入党申请书日期不能为空。"),
    (
        row(确定为入党积极分子日期="2099-01-01"),
        "第6行「确定为入党积极分子日期」：2099年1月1日晚于今天",
    ),
    (
        row(谈话日期="2023-01-01"),
        "第6行「谈话日期」：谈话日期不能早于递交入党申请书日期（2023年1月5日）。",
    ),
    (
        row(确定为入党积极分子日期="2023-01-10"),
        "第6行「确定为入党积极分子日期」："
        "确定为入党积极分子日期不能早于谈话日期（2023年1月20日）。",
    ),
    (
        row(确定为发展对象日期="2023-03-01", 入党介绍人="王介绍、钱介绍"),
        "第6行「确定为发展对象日期」：确定为发展对象日期不能早于确定为入党积极分子日期（2023年4月1日）。",
    ),
    (row(谈话日期=""), "第6行「谈话日期」：确定为入党积极分子前须与申请人谈话：请填写谈话日期。"),
    (row(培养联系人=""), "第6行「培养联系人」：入党积极分子须有培养联系人"),
    (
        row(培养联系人="李培养、赵联系、王介绍"),
        "第6行「培养联系人」：培养联系人最多两名，这里有 3 名。",
    ),
    (row(培养联系人="李培养、李培养"), "第6行「培养联系人」：两名培养联系人不能是同一人。"),
    (
        row(培养联系人="周不在"),
        "第6行「培养联系人」：在甲村党支部的在册党员中找不到培养联系人「周不在」。",
    ),
    (
        row(培养联系人="张同名"),
        "第6行「培养联系人」：甲村党支部有 2 名在册党员名叫「张同名」，无法确定是哪一位："
        "请写成“张同名（身份证号后4位）”。",
    ),
    (
        row(培养联系人="孙预备"),
        "第6行「培养联系人」：培养联系人须由正式党员担任，孙预备是预备党员。",
    ),
    (
        row(确定为发展对象日期="2024-05-01", 入党介绍人="王介绍"),
        "第6行「入党介绍人」：发展对象须有两名入党介绍人，这里有 1 名。",
    ),
    (
        row(入党介绍人="王介绍、钱介绍"),
        "第6行「入党介绍人」：入党积极分子尚未确定为发展对象，不填入党介绍人。",
    ),
    (
        row(
            公民身份证号=number(9, born=D(2006, 6, 1)),
            递交入党申请书日期="2024-05-31",
            谈话日期="2024-06-10",
            确定为入党积极分子日期="2024-09-01",
        ),
        "第6行「递交入党申请书日期」：递交入党申请书时须年满十八周岁：2024年5月31日申请，2024年6月1日才满十八周岁。",
    ),
    (row(姓名="名" * 51), "第6行「姓名」：最多 50 个字符，这里有 51 个。"),
    (row(姓名="张\x07三"), "第6行「姓名」：含有不可见的控制字符（U+0007）"),
]


@pytest.mark.parametrize(("bad", "message"), PROBLEMS, ids=[m[:28] for _b, m in PROBLEMS])
def test_it_names_each_problem_by_row_and_column(tree, village, clerk_a, bad, message):
    rows = [*good_rows(), bad]
    rows[1] = row(姓名="陈二", 公民身份证号=number(17))  # the activist of the good rows, renumbered
    message = message.replace("{id}", str(bad[1]))

    plan = planned(clerk_a, *rows)

    lines = plan.problem_lines
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert plan.rejected == 1 and not plan.importable


def test_it_tells_namesakes_apart_by_the_last_four_characters(tree, village, clerk_a):
    chosen = village["同名乙"]
    plan = planned(clerk_a, row(培养联系人=f"张同名（{chosen.id_number[-4:]}）、赵联系"))
    assert plan.problem_lines == []
    assert plan.rows[0].values["contact_1"] == chosen


@pytest.mark.parametrize(
    ("existing", "message"),
    [
        ("member", "第3行「公民身份证号」：该身份证号已是在册党员。"),
        ("recruit", "第3行「公民身份证号」：该身份证号已在发展党员程序中。"),
        ("twice", "第3行「公民身份证号」：身份证号 {id} 在文件中重复（另见第4行）。"),
    ],
)
def test_it_refuses_a_person_already_on_the_roster_or_in_the_procedure(
    tree, village, clerk_b, existing, message
):
    """Anywhere in the county: one record per person, whoever's branch holds it."""
    rows = [row(所在党支部="乙村党支部", 培养联系人="乙村联系人")]
    MemberFactory(name="乙村联系人", branch=tree.village_b, joined_on=D(2005, 7, 1))
    taken = rows[0][1]
    if existing == "member":
        MemberFactory(branch=tree.village_a, id_number=taken)
    elif existing == "recruit":
        dev.recruit_apply(
            name="某人", id_number=taken, branch=tree.village_a, applied_on=D(2024, 1, 1)
        )
    else:
        rows.append(row(所在党支部="乙村党支部", 培养联系人="乙村联系人"))

    plan = planned(clerk_b, *rows)

    assert plan.problem_lines[0] == message.replace("{id}", taken)


def test_it_takes_the_stage_from_the_latest_date_and_warns_of_unknown_words(tree, village, clerk_a):
    header = [*HEADER[:3], *HEADER[4:], "学历", "工作岗位"]  # no 阶段 column
    rows = [[r[i] for i in (0, 1, 2, 4, 5, 6, 7, 8, 9)] + ["大专", "村干部"] for r in good_rows()]

    plan = planned(clerk_a, *rows, header=header)

    assert [r.values["stage"] for r in plan.rows] == ["applicant", "activist", "candidate"]
    assert plan.problem_lines == []
    assert plan.rows[0].values["education"] == "junior_college"
    assert plan.warnings == [
        "第3、4、5行「工作岗位」：「村干部」不在工作岗位的统计分类中，此项未导入，请导入后补填。（共 3 行）"
    ]
    assert plan.importable


def test_it_does_not_check_the_time_limits_of_what_happened(tree, village, clerk_a):
    """A talk eight months late and a candidate after a month: history, not a step now."""
    late = row(谈话日期="2023-09-01", 确定为入党积极分子日期="2023-09-02",
               确定为发展对象日期="2023-10-01", 入党介绍人="王介绍、钱介绍")  # fmt: skip
    plan = planned(clerk_a, late)
    assert plan.problem_lines == []
    assert plan.rows[0].values["stage"] == Stage.CANDIDATE


# --- all rows or none ------------------------------------------------------------------------------


def test_one_bad_row_keeps_the_whole_file_out(tree, village, clerk_a):
    client = logged_in(clerk_a)
    rows = [*good_rows(), row(公民身份证号=number(17), 培养联系人="周不在")]

    response = upload(client, xlsx(cells(*rows)))

    page = response.content.decode()
    assert (
        escape("第6行「培养联系人」：在甲村党支部的在册党员中找不到培养联系人「周不在」。") in page
    )
    assert response.context["upload"] is None and 'name="upload"' not in page
    assert "<strong>1</strong><span>有问题</span>" in page
    assert not Upload.objects.exists()  # a file that cannot be confirmed is not kept
    assert not Recruit.objects.exists()


def test_the_write_refuses_a_plan_with_problems_and_writes_nothing(tree, village, clerk_a):
    plan = planned(clerk_a, *good_rows(), row(公民身份证号=number(17), 谈话日期=""))
    with pytest.raises(ValidationError, match="第6行「谈话日期」"):
        imports.recruits_import(rows=plan.rows, user=clerk_a)
    assert not Recruit.objects.exists()


def test_a_row_the_model_refuses_keeps_the_rows_before_it_out(tree, village, clerk_a):
    plan = planned(clerk_a, *good_rows())
    plan.rows[2].values["ethnicity"] = "火星族"  # past the plan: the model's own choices
    with pytest.raises(ValidationError, match="第5行："):
        imports.recruits_import(rows=plan.rows, user=clerk_a)
    assert not Recruit.objects.exists()


def test_a_person_registered_after_the_check_keeps_the_whole_file_out(tree, village, clerk_a):
    plan = planned(clerk_a, *good_rows())
    dev.recruit_apply(
        name="刘发展", id_number=number(15), branch=tree.organ_a, applied_on=D(2024, 1, 1)
    )
    with pytest.raises(ValidationError, match="写入时有人员与已有记录冲突"):
        imports.recruits_import(rows=plan.rows, user=clerk_a)
    assert list(Recruit.objects.values_list("branch", flat=True)) == [tree.organ_a.pk]


def test_a_change_after_the_preview_keeps_the_whole_file_out(tree, village, clerk_a):
    client = logged_in(clerk_a)
    preview = upload(client, xlsx(cells(*good_rows())))
    dev.recruit_apply(
        name="陈积极", id_number=number(13), branch=tree.organ_a, applied_on=D(2024, 1, 1)
    )

    response = client.post(URL, {"upload": preview.context["upload"].pk})

    assert (
        escape("第4行「公民身份证号」：该身份证号已在发展党员程序中。") in response.content.decode()
    )
    assert Recruit.objects.count() == 1


def test_a_second_confirmation_writes_nothing_more(tree, village, clerk_a):
    client = logged_in(clerk_a)
    preview = upload(client, xlsx(cells(*good_rows())))
    confirm(client, preview)

    again = confirm(client, preview)

    assert "上传的文件已导入或已被删除，请重新上传。" in again.content.decode()
    assert Recruit.objects.count() == 3


# --- scope -------------------------------------------------------------------------------------


def test_the_write_rolls_back_a_row_outside_the_users_part_of_the_tree(tree, village, clerk_a):
    plan = planned(clerk_a, *good_rows())
    plan.rows[0].values["branch"] = tree.village_b  # past the plan: the write's own guard
    with pytest.raises(ValidationError, match="不在你的管辖范围内"):
        imports.recruits_import(rows=plan.rows, user=clerk_a)
    assert not Recruit.objects.exists()


def test_another_clerk_cannot_confirm_a_file_kept_for_someone_else(tree, village, clerk_a, clerk_b):
    preview = upload(logged_in(clerk_a), xlsx(cells(*good_rows())))

    response = logged_in(clerk_b).post(URL, {"upload": preview.context["upload"].pk}, follow=True)

    assert "上传的文件已导入或已被删除" in response.content.decode()
    assert not Recruit.objects.exists()


def test_a_roster_runs_file_is_not_taken_for_a_pipeline(tree, clerk_a):
    client = logged_in(clerk_a)
    roster = [["姓名", "公民身份证号", "所在党支部"], ["张三", number(23), "甲村党支部"]]
    upload(client, csv_bytes(roster), name="花名册.csv", url=reverse("members:import_upload"))
    run = ImportRun.objects.get()

    response = client.post(URL, {"upload": run.upload_id}, follow=True)

    assert "上传的文件已导入或已被删除" in response.content.decode()
    assert not Recruit.objects.exists()


def test_who_may_use_the_page(tree, client, secretary_a_client, clerk_a_client):
    assert clerk_a_client.get(URL).status_code == 200
    assert secretary_a_client.get(URL).status_code == 403  # read only
    assert secretary_a_client.post(URL, {"upload": "1"}).status_code == 403
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    assert clerk_a_client.put(URL).status_code == 405


def test_the_roster_page_hands_a_pipeline_file_only_to_who_may_register_recruits(tree, village):
    importer = Group.objects.create(name="只导入党员花名册")
    importer.permissions.add(Permission.objects.get(codename="import_member"))
    user = UserFactory(org=tree.township_a)
    user.groups.add(importer)

    response = upload(
        logged_in(user), xlsx(cells(*good_rows())), url=reverse("members:import_upload")
    )

    assert response.status_code == 403
    assert not Upload.objects.exists() and not Recruit.objects.exists()


# --- hostile files ---------------------------------------------------------------------------------


def _far_cell() -> bytes:
    """Two good lines, the last cell moved to XFD1048576."""
    data = xlsx(cells(row()))
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'r="A3"', b'r="XFD1048576"')
            archive.writestr(info.filename, content)
    return out.getvalue()


HOSTILE = [
    ("garbage.xlsx", b"\x00\x01 not a spreadsheet" * 100, "不是有效的 Excel 文件"),
    ("far.xlsx", _far_cell(), "在 单元格 XFD1048576 处还有内容，超出了可读取的范围"),
    ("long.csv", csv_bytes([HEADER] + [row()] * 5_001), "超过每次最多 5000 行的限制，请分批导入"),
    ("longer.csv", csv_bytes([HEADER] + [row()] * 6_000), "超过 5020 行（空行也计算在内）"),
    ("blank.csv", b"\n" * 10, "在前20行中找不到表头"),
    (
        "no-date.csv",
        csv_bytes([HEADER[:3], ["张三", number(3), "甲村党支部"]]),
        "缺少必填列：「递交入党申请书日期」",
    ),
    ("roster.pdf", b"%PDF-1.4", "不支持的文件类型"),
]


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_or_wrong_file_gets_a_message_not_an_error(
    tree, clerk_a_client, name, data, message
):
    response = upload(clerk_a_client, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Recruit.objects.exists() and not Upload.objects.exists()


# --- the preview's queries -------------------------------------------------------------------------


def _rows(count: int) -> list[list]:
    people = ["李培养", "赵联系", "王介绍", "钱介绍"]
    return [
        row(姓名=f"积极{i}", 公民身份证号=number(100 + i), 培养联系人=people[i % 4])
        for i in range(count)
    ]


def test_the_preview_reads_the_registry_in_the_same_queries_for_2_or_20_rows(
    tree, village, clerk_a
):
    client = logged_in(clerk_a)
    counts = []
    for size in (2, 20):
        data = xlsx(cells(*_rows(size)))
        with CaptureQueriesContext(connection) as queries:
            response = upload(client, data, name=f"{size}.xlsx")
        assert response.context["plan"].importable
        counts.append(len(queries))
        Upload.objects.all().delete()
    # The session and the user (2), the user's and the groups' permissions (2), the
    # branches and their ancestors (BranchIndex, 2), the members named as 培养联系人 or
    # 入党介绍人 (1), the ID numbers on the roster and in the procedure (2), the kept
    # file and its upload (3), the session saved (3).
    assert counts == [15, 15]
