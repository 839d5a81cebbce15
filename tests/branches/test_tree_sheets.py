import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from branches.models import Organization
from branches.tree_sheets import commit_tree_import, plan_tree_import, tree_rows
from tests.conftest import logged_in
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def sheet(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def exported(user) -> list[list]:
    return [list(r) for r in tree_rows(user=user)]


def test_it_reimports_an_unchanged_export_as_nothing_to_do(tree, county_user):
    rows = exported(county_user)

    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=county_user)

    assert plan.counts == {"new": 0, "changed": 0, "unchanged": len(rows) - 1, "rejected": 0}
    assert rows[0][:4] == ["路径", "类别", "支部类型", "组织代码"]
    assert rows[3][:4] == ["县委/甲镇党委/甲村党支部", "党支部", "农村", "A-V"]


def test_it_moves_a_branch_with_its_subtree_when_its_parent_path_changes(tree, county_user):
    member = MemberFactory(group=tree.group_a1)
    rows = exported(county_user)
    for row in rows:
        if row[3] == tree.village_a.code:
            row[0] = "县委/乙镇党委/甲村党支部"

    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=county_user)
    assert plan.counts["changed"] == 1
    commit_tree_import(plan=plan, user=county_user)

    village = Organization.objects.get(pk=tree.village_a.pk)
    assert village.parent_id == tree.township_b.pk
    group = Organization.objects.get(pk=tree.group_a1.pk)
    assert group.path.startswith(village.path)
    member.refresh_from_db()
    assert member.branch_id == village.pk
    assert village.history.first().history_change_reason == "组织树表格导入"


def test_it_founds_renames_and_dissolves_in_one_transaction(tree, county_user):
    rows = exported(county_user)
    for row in rows:
        if row[3] == tree.organ_a.code:
            row[0] = "县委/甲镇党委/甲镇机关第一党支部"
        if row[3] == tree.organ_b.code:
            row[5] = datetime.date(2026, 3, 1)
    rows.append(["县委/甲镇党委/甲镇新村党支部", "党支部", "农村", "A-NEW", "2026-01-05", "", ""])
    rows.append(["县委/甲镇党委/甲镇新村党支部/第一党小组", "党小组", "", "A-NEW-1", "", "", ""])

    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=county_user)
    assert plan.counts["new"] == 2 and plan.counts["changed"] == 2, plan.problems
    commit_tree_import(plan=plan, user=county_user)

    assert Organization.objects.get(pk=tree.organ_a.pk).name == "甲镇机关第一党支部"
    assert Organization.objects.get(pk=tree.organ_b.pk).dissolved_on == datetime.date(2026, 3, 1)
    founded = Organization.objects.get(code="A-NEW")
    assert founded.parent_id == tree.township_a.pk and founded.category == "village"
    assert Organization.objects.get(code="A-NEW-1").parent_id == founded.pk


def test_it_refuses_rows_outside_the_users_node_and_writes_nothing(tree, clerk_a):
    rows = exported(clerk_a)
    assert all(r[0].startswith("甲镇党委") for r in rows[1:])
    rows.append(["乙镇党委/乙村党支部", "党支部", "农村", tree.village_b.code, "", "", ""])
    rows.append(["甲镇党委/新支部", "党支部", "农村", "A-X", "", "", ""])
    rows.append(["县委/甲镇党委/另一支部", "党支部", "农村", "A-Y", "", "", ""])

    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=clerk_a)

    messages = [str(p) for p in plan.problems]
    assert any("管辖范围以外" in m for m in messages)
    assert any(m.startswith(f"第{len(rows)}行「路径」") for m in messages)
    with pytest.raises(ValueError):
        commit_tree_import(plan=plan, user=clerk_a)
    assert not Organization.objects.filter(code__in=["A-X", "A-Y"]).exists()


def test_it_exports_and_imports_through_the_pages(tree, county_user, client):
    client.force_login(county_user)
    response = client.get(reverse("tree_export"))
    workbook = load_workbook(io.BytesIO(response.content))
    rows = [list(r) for r in workbook.active.values]
    rows.append(["县委/乙镇党委/乙镇新支部", "党支部", "机关", "B-NEW", "", "", ""])
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(
        reverse("tree_import"), {"file": SimpleUploadedFile("tree.xlsx", sheet(rows))}
    )
    assert preview.status_code == 200
    assert preview.context["counts"]["new"] == 1
    upload = preview.context["upload"]

    done = client.post(reverse("tree_import"), {"upload": upload.pk}, follow=True)

    assert "组织树已更新" in done.content.decode()
    assert Organization.objects.get(code="B-NEW").parent_id == tree.township_b.pk
    # The sheet was kept as an upload of its sender until confirmed, then deleted.
    upload.refresh_from_db()
    assert (upload.user, upload.purpose, upload.file_name) == (county_user, "tree", "tree.xlsx")
    assert upload.is_purged
    again = client.post(reverse("tree_import"), {"upload": upload.pk}, follow=True)
    assert "请重新上传" in again.content.decode()


def test_it_confirms_only_the_senders_own_tree_sheet(tree, county_user, admin_role_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sender, other = logged_in(county_user), logged_in(admin_role_user)
    export = sender.get(reverse("tree_export")).content
    upload = sender.post(
        reverse("tree_import"), {"file": SimpleUploadedFile("tree.xlsx", export)}
    ).context["upload"]

    response = other.post(reverse("tree_import"), {"upload": upload.pk}, follow=True)

    assert "请重新上传" in response.content.decode()
    upload.refresh_from_db()
    assert not upload.is_purged


def test_it_lets_only_tree_editors_import(tree, clerk_a, client):
    client.force_login(clerk_a)
    assert client.get(reverse("tree_import")).status_code == 403
    assert client.get(reverse("tree_export")).status_code == 200


def test_it_reads_old_category_labels_with_a_warning_instead_of_refusing(tree, county_user):
    rows = exported(county_user)
    for row in rows:
        if row[3] == tree.organ_a.code:
            row[2] = "企事业"  # an old export of a node that is 机关 now: kept 机关
    rows.append(["县委/甲镇党委/甲镇卫生院党支部", "党支部", "企事业", "A-HOSP", "", "", ""])
    rows.append(["县委/甲镇党委/甲镇中学党支部", "党支部", "学校", "A-SCH", "", "", ""])

    plan = plan_tree_import(data=sheet(rows), filename="tree.xlsx", user=county_user)

    assert plan.counts["new"] == 2 and plan.counts["rejected"] == 0, plan.problems
    assert plan.counts["changed"] == 0  # the old label never overwrites a settled type
    warnings = [str(w) for w in plan.warnings]
    assert len(warnings) == 3
    assert "「企事业」是旧的支部类型，保留该组织现有的支部类型「机关」" in warnings[0]
    assert "按「待确定」写入，写入后列在组织树页面待确定" in warnings[1]
    assert "「学校」是旧的支部类型，按「事业单位」写入" in warnings[2]
    commit_tree_import(plan=plan, user=county_user)
    assert Organization.objects.get(code="A-HOSP").category == "undecided"
    assert Organization.objects.get(code="A-SCH").category == "institution"
    assert Organization.objects.get(pk=tree.organ_a.pk).category == "organ"
