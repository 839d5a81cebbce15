"""The import pages: upload, preview, confirm, rejected rows, and who may see which run."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from branches.roles import Role
from members.models import ImportRun, Member, Membership
from members.services import member_update
from tests.conftest import logged_in, with_role
from tests.factories import MemberFactory, UserFactory
from tests.members.roster_helpers import HEADER, csv_bytes, id_number, read_xlsx, xlsx

pytestmark = pytest.mark.django_db

NUMBER = id_number()
OTHER = id_number(datetime.date(1975, 3, 9), 42)
THIRD = id_number(datetime.date(1990, 11, 30), 7)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 10 * 1024 * 1024  # checked at once, not by the worker


def upload(client, data: bytes, name="甲镇花名册.xlsx"):
    return client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile(name, data)})


def preview_url(run):
    return reverse("members:import_preview", args=[run.pk])


def confirm(client, run, **data):
    return client.post(reverse("members:import_confirm", args=[run.pk]), data, follow=True)


def good_rows():
    return [[*HEADER, "手机号"], ["张三", NUMBER, "甲村党支部", "13800000000"]]


def mixed_rows():
    return [
        ["某某乡党员花名册 2026年"],
        [*HEADER, "手机号", "备注"],
        ["张三", NUMBER, "甲村党支部", "13800000000", ""],
        ["李四", OTHER, "乙村党支部", "13800000001", "外镇"],
        ["王五", "110105********002X", "甲镇机关党支部", "", ""],
        ["赵六", THIRD, "甲镇机关党支部", "13800000003", ""],
    ]


MIXED_PROBLEMS = [
    "第4行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「乙村党支部」。",
    "第5行「公民身份证号」：身份证号已被遮蔽（含 *），请填写完整号码。",
]


def test_it_shows_the_upload_page_with_the_template_link(tree, clerk_a):
    response = logged_in(clerk_a).get(reverse("members:import_upload"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert reverse("members:import_template") in page


def test_it_checks_an_upload_and_shows_counts_and_every_problem_before_writing(tree, clerk_a):
    client = logged_in(clerk_a)
    member = MemberFactory(branch=tree.organ_a, mobile_phone="13700000000")
    rows = [*mixed_rows(), [member.name, member.id_number, "甲镇机关党支部", "13900000000", ""]]

    response = upload(client, xlsx(rows))

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == preview_url(run)
    assert (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_rejected) == (2, 1, 0, 2)
    assert run.problems == MIXED_PROBLEMS
    page = client.get(preview_url(run)).content.decode()
    assert "<strong>2</strong><span>新增</span>" in page
    assert "<strong>1</strong><span>变更</span>" in page
    assert "<strong>0</strong><span>未变</span>" in page
    assert "<strong>2</strong><span>拒绝</span>" in page
    assert "问题（2 条）" in page
    for problem in MIXED_PROBLEMS:
        assert f"<li>{escape(problem)}</li>" in page
    assert reverse("members:import_rejected", args=[run.pk]) in page
    assert 'name="skip_invalid"' in page
    assert Member.objects.count() == 1  # nothing written yet
    member.refresh_from_db()
    assert member.mobile_phone == "13700000000"


def test_it_writes_the_file_once_confirmed(tree, clerk_a):
    client = logged_in(clerk_a)
    upload(client, xlsx(good_rows()))
    run = ImportRun.objects.get()
    page = client.get(preview_url(run)).content.decode()
    assert "确认导入" in page and 'name="skip_invalid"' not in page

    response = confirm(client, run)

    assert response.status_code == 200
    assert "已导入：新增 1 人，变更 0 人。" in response.content.decode()
    assert "导入完成" in response.content.decode()
    member = Member.objects.get()
    assert (member.name, member.branch, member.mobile_phone) == (
        "张三",
        tree.village_a,
        "13800000000",
    )
    assert Membership.objects.filter(member=member, ended_on__isnull=True).count() == 1
    run.refresh_from_db()
    assert (run.status, run.skipped_invalid) == (ImportRun.Status.COMMITTED, False)
    latest = Member.history.get(id=member.pk)
    assert latest.history_user == clerk_a
    assert "甲镇花名册.xlsx" in latest.history_change_reason


def test_it_says_so_when_the_file_matches_the_roster(tree, clerk_a):
    client = logged_in(clerk_a)
    MemberFactory(name="张三", branch=tree.village_a, id_number=NUMBER, mobile_phone="13800000000")

    upload(client, xlsx(good_rows()))

    run = ImportRun.objects.get()
    page = client.get(preview_url(run)).content.decode()
    assert "<strong>1</strong><span>未变</span>" in page
    assert "文件与现有花名册一致，无需导入。" in page


def test_it_refuses_to_write_a_file_with_rejected_rows_without_the_checkbox(tree, clerk_a):
    client = logged_in(clerk_a)
    upload(client, xlsx(mixed_rows()))
    run = ImportRun.objects.get()

    response = confirm(client, run)

    assert response.redirect_chain == [(preview_url(run), 302)]
    assert "有被拒绝的行；修改文件后重新导入，或明确选择只导入有效行。" in response.content.decode()
    assert Member.objects.count() == 0
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED


def test_it_writes_only_the_valid_rows_with_the_checkbox(tree, clerk_a):
    client = logged_in(clerk_a)
    upload(client, xlsx(mixed_rows()))
    run = ImportRun.objects.get()

    response = confirm(client, run, skip_invalid="1")

    assert "已导入：新增 2 人，变更 0 人，跳过被拒绝的 2 行。" in response.content.decode()
    assert sorted(Member.objects.values_list("name", flat=True)) == ["张三", "赵六"]
    run.refresh_from_db()
    assert (run.status, run.skipped_invalid) == (ImportRun.Status.COMMITTED, True)


def test_it_refuses_to_confirm_twice(tree, clerk_a):
    client = logged_in(clerk_a)
    upload(client, xlsx(good_rows()))
    run = ImportRun.objects.get()
    confirm(client, run)

    response = confirm(client, run)

    assert "这次导入已经处理过了。" in response.content.decode()
    assert Member.objects.count() == 1


def test_it_refuses_to_confirm_after_the_members_changed(tree, clerk_a):
    client = logged_in(clerk_a)
    member = MemberFactory(branch=tree.village_a, mobile_phone="13700000000")
    upload(client, xlsx([[*HEADER, "手机号"], [member.name, member.id_number, "甲村党支部", "1"]]))
    run = ImportRun.objects.get()
    member_update(member=member, mobile_phone="13600000000")

    response = confirm(client, run)

    assert "预览之后这些党员的数据已被修改，请重新上传并预览。" in response.content.decode()
    member.refresh_from_db()
    assert member.mobile_phone == "13600000000"


def test_it_offers_the_rejected_rows_with_what_is_wrong_for_download(tree, clerk_a):
    client = logged_in(clerk_a)
    upload(client, xlsx(mixed_rows()))
    run = ImportRun.objects.get()

    response = client.get(reverse("members:import_rejected", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = read_xlsx(response.content)
    assert header == [*HEADER, "手机号", "备注", "错误说明"]
    assert rows == [
        [
            "李四",
            OTHER,
            "乙村党支部",
            "13800000001",
            "外镇",
            "原第4行：「所在党支部」在你管辖的范围内找不到未撤销的党支部「乙村党支部」。",
        ],
        [
            "王五",
            "110105********002X",
            "甲镇机关党支部",
            None,
            None,
            "原第5行：「公民身份证号」身份证号已被遮蔽（含 *），请填写完整号码。",
        ],
    ]


def test_it_refuses_an_unreadable_file_on_the_upload_page(tree, clerk_a):
    client = logged_in(clerk_a)

    response = upload(client, csv_bytes([["姓名", "所在党支部"], ["张三", "甲村党支部"]]), "a.csv")

    assert response.status_code == 200
    assert "缺少必填列：「公民身份证号」，未读取任何数据行。" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(tree, clerk_a, monkeypatch):
    monkeypatch.setattr("branches.spreadsheets.forms.MAX_UPLOAD_BYTES", 1000)
    client = logged_in(clerk_a)
    data = xlsx(good_rows())
    assert len(data) > 1000

    response = upload(client, data, "big.xlsx")

    assert response.status_code == 200
    assert "超过 20 MB 的上限" in response.content.decode()
    assert "文件「big.xlsx」有" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_it_forbids_the_import_pages_to_a_user_without_the_import_permission(
    tree, clerk_a, secretary_a
):
    upload(logged_in(clerk_a), xlsx(mixed_rows()))
    run = ImportRun.objects.get()
    client = logged_in(secretary_a)

    assert client.get(reverse("members:import_upload")).status_code == 403
    assert upload(client, xlsx(good_rows())).status_code == 403
    assert client.get(reverse("members:import_template")).status_code == 403
    assert client.get(preview_url(run)).status_code == 403
    assert client.post(reverse("members:import_confirm", args=[run.pk])).status_code == 403
    assert client.get(reverse("members:import_rejected", args=[run.pk])).status_code == 403
    assert ImportRun.objects.count() == 1 and Member.objects.count() == 0


@pytest.mark.parametrize("who", ["clerk_b", "colleague"])
def test_it_hides_another_users_import_run(tree, clerk_a, clerk_b, who):
    upload(logged_in(clerk_a), xlsx(mixed_rows()))
    run = ImportRun.objects.get()
    other = (
        clerk_b
        if who == "clerk_b"
        else with_role(UserFactory(username="clerk_a2", org=tree.township_a), Role.CLERK)
    )
    client = logged_in(other)

    assert client.get(preview_url(run)).status_code == 404
    assert client.get(reverse("members:import_rejected", args=[run.pk])).status_code == 404
    response = client.post(reverse("members:import_confirm", args=[run.pk]), {"skip_invalid": "1"})
    assert response.status_code == 404
    assert Member.objects.count() == 0
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED


def test_it_sends_an_anonymous_visitor_to_the_login_page(tree, client):
    response = client.get(reverse("members:import_upload"))

    assert response.status_code == 302
    assert "login" in response["Location"]
