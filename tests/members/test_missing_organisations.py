"""Organisations a roster names that the tree lacks: said once, created in one confirmed step.

A tree editor (the 系统管理员 at the county) sees each new node with its kind,
category and parent, creates them, and finds the rows accepted; a clerk, who
may not edit the tree, is told whom to ask and downloads the list. Nothing
is ever created without that confirmation.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from branches.missing import category_from_name, planned
from branches.models import Organization, OrgKind
from members import import_runs
from members.import_runs import import_run_preview
from members.models import ImportRun, Member, Membership
from tests.conftest import logged_in
from tests.members.roster_helpers import HEADER, csv_bytes, id_number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def person(i: int, branch: str, *extra) -> list:
    return [
        f"党员{i}",
        id_number(datetime.date(1970, 1, 1) + datetime.timedelta(i), 21),
        branch,
        *extra,
    ]


def new_township_roster() -> list[list]:
    """Two branches of a township the tree lacks (3 and 2 rows), and one known branch."""
    return [
        HEADER,
        *(person(i, "丙镇党委/青山村党支部") for i in range(3)),
        *(person(i, "丙镇党委/石桥社区党支部") for i in range(3, 5)),
        person(5, "甲村党支部"),
    ]


def upload(client, rows, name="花名册.csv"):
    data = SimpleUploadedFile(name, csv_bytes(rows))
    response = client.post(reverse("members:import_upload"), {"file": data})
    assert response.status_code == 302, response.content.decode()[:400]
    return ImportRun.objects.latest("pk")


def test_the_preview_says_once_which_organisations_are_missing_and_where_they_would_go(
    tree, admin_role_user
):
    client = logged_in(admin_role_user)
    run = upload(client, new_township_roster())
    assert run.rows_rejected == 5 and run.rows_new == 1
    # One line per organisation, with its row count, not one per row.
    assert run.problems == [
        "第2、3、4行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「丙镇党委/青山村党支部」。"
        "（共 3 行）",
        "第5、6行「所在党支部」：在你管辖的范围内找不到未撤销的党支部「丙镇党委/石桥社区党支部」。"
        "（共 2 行）",
    ]
    assert run.missing == [
        {"names": ["丙镇党委", "青山村党支部"], "leaf": "branch", "parent": None, "rows": 3},
        {"names": ["丙镇党委", "石桥社区党支部"], "leaf": "branch", "parent": None, "rows": 2},
    ]
    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()
    table = page[page.index('id="missing-nodes"') :]
    for cells in (
        ["丙镇党委", "乡镇党委", "—", "县委", "5"],
        ["青山村党支部", "党支部", "农村", "丙镇党委（一并新建）", "3"],
        ["石桥社区党支部", "党支部", "社区", "丙镇党委（一并新建）", "2"],
    ):
        assert "".join(f"<td>{c}</td>" for c in cells) in table.replace("\n", "").replace(
            "      ", ""
        ).replace("    ", "").replace("  ", ""), cells
    assert reverse("members:import_missing", args=[run.pk]) in page
    assert not Organization.objects.filter(name="丙镇党委").exists()  # never created silently


def test_a_tree_editor_creates_them_in_one_step_and_every_row_then_imports(tree, admin_role_user):
    client = logged_in(admin_role_user)
    run = upload(client, new_township_roster())
    url = reverse("members:import_missing", args=[run.pk])
    page = client.get(url).content.decode()
    assert "新建以上 3 个组织" in page
    # Without the confirmation box ticked nothing is created (the browser asks first).
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    township = Organization.objects.get(name="丙镇党委")
    assert (township.kind, township.parent_id) == (OrgKind.TOWNSHIP, tree.county.pk)
    village, community = (
        Organization.objects.get(name="青山村党支部"),
        Organization.objects.get(name="石桥社区党支部"),
    )
    assert (village.parent_id, village.kind, village.category) == (township.pk, "branch", "village")
    assert (community.parent_id, community.category) == (township.pk, "community")
    run.refresh_from_db()
    assert (run.rows_new, run.rows_rejected, run.problems, run.missing) == (6, 0, [], [])
    client.post(reverse("members:import_confirm", args=[run.pk]))
    assert Member.objects.filter(branch=village).count() == 3
    assert Member.objects.filter(branch=community).count() == 2


def test_a_clerk_who_may_not_edit_the_tree_is_told_whom_to_ask_and_gets_the_list(
    tree, clerk_a, county_user
):
    client = logged_in(clerk_a)
    run = upload(client, [HEADER, person(1, "甲镇党委/新村党支部"), person(2, "新村党支部")])
    assert run.missing == [
        {"names": ["甲镇党委", "新村党支部"], "leaf": "branch", "parent": None, "rows": 1},
        {"names": ["新村党支部"], "leaf": "branch", "parent": None, "rows": 1},
    ]
    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()
    assert "你没有新建组织的权限" in page and county_user.username in page
    assert reverse("members:import_missing", args=[run.pk]) not in page
    url = reverse("members:import_missing", args=[run.pk])
    assert client.post(url, {"confirm": "1"}).status_code == 403
    assert not Organization.objects.filter(name="新村党支部").exists()
    sheet = client.get(reverse("members:import_missing_list", args=[run.pk]))
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    # Both spellings name one branch, under the clerk's own township.
    assert rows[3:] == [("新村党支部", "党支部", "农村", "甲镇党委", 2)]


def test_a_missing_group_of_a_known_branch_goes_under_that_branch(tree, admin_role_user):
    rows = [
        ["姓名", "公民身份证号", "所在党支部", "所在党小组"],
        person(1, "甲村党支部", "甲村第三党小组"),
    ]
    client = logged_in(admin_role_user)
    run = upload(client, rows)
    assert run.missing == [
        {"names": ["甲村第三党小组"], "leaf": "group", "parent": tree.village_a.pk, "rows": 1}
    ]
    client.post(reverse("members:import_missing", args=[run.pk]), {"confirm": "1"})
    group = Organization.objects.get(name="甲村第三党小组")
    assert (group.kind, group.parent_id) == (OrgKind.GROUP, tree.village_a.pk)
    run.refresh_from_db()
    assert run.rows_new == 1


def test_without_a_path_the_user_picks_the_parent_among_those_that_may_hold_it(
    tree, admin_role_user
):
    client = logged_in(admin_role_user)
    run = upload(client, [HEADER, person(1, "青山村党支部")])
    (node,) = planned(run.missing, admin_role_user)
    assert node.needs_parent and [o.name for o in node.choices] == ["甲镇党委", "乙镇党委"]
    url = reverse("members:import_missing", args=[run.pk])
    page = client.post(url, {"confirm": "1"}).content.decode()
    assert "请为「青山村党支部」选择上级组织。" in page
    # A parent that is not one of the choices (a party group) is refused the same way.
    page = client.post(url, {"confirm": "1", "parent-0": tree.group_a1.pk}).content.decode()
    assert "请为「青山村党支部」选择上级组织。" in page
    assert not Organization.objects.filter(name="青山村党支部").exists()
    client.post(
        url, {"confirm": "1", "parent-0": tree.township_b.pk, "category-0": "private_enterprise"}
    )
    branch = Organization.objects.get(name="青山村党支部")
    assert (branch.parent_id, branch.category) == (tree.township_b.pk, "private_enterprise")


def test_an_unknown_branch_named_by_300_rows_is_one_line(tree, clerk_a):
    rows = [HEADER, *(person(i, "青山村党支部") for i in range(300))]
    run, _plan = import_run_preview(user=clerk_a, data=csv_bytes(rows), file_name="大.csv")
    assert len(run.problems) == 1
    assert run.problems[0].startswith("第2、3、4、5、6行等「所在党支部」：")
    assert run.problems[0].endswith("（共 300 行）")


def test_a_big_file_goes_back_to_the_worker_after_the_organisations_are_created(
    tree, admin_role_user, django_capture_on_commit_callbacks
):
    run, _plan = import_run_preview(
        user=admin_role_user,
        data=csv_bytes([HEADER, person(1, "丙镇党委/青山村党支部")]),
        file_name="大.csv",
    )
    ImportRun.objects.filter(pk=run.pk).update(in_background=True)
    run.refresh_from_db()
    nodes = planned(run.missing, admin_role_user)
    with django_capture_on_commit_callbacks(execute=True):
        import_runs.import_run_create_missing(run=run, user=admin_role_user, nodes=nodes)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.QUEUED and run.task_id


def test_imported_members_count_from_when_they_joined(tree, clerk_a):
    """A first membership starts on 加入党组织日期, marked as from the roster."""
    rows = [HEADER + ["加入党组织日期"], person(1, "甲村党支部", "2001年7月")]
    run, _plan = import_run_preview(user=clerk_a, data=csv_bytes(rows), file_name="a.csv")
    import_runs.import_run_confirm(run=run, skip_invalid=False)
    membership = Membership.objects.get(member__name="党员1")
    assert membership.started_on == datetime.date(2001, 7, 31)
    assert membership.start_reason == "roster"


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("user_name", ["admin_role_user", "clerk_a"])
def test_the_pages_run_as_many_queries_for_20_missing_branches_as_for_2(request, tree, user_name):
    user = request.getfixturevalue(user_name)
    client = logged_in(user)
    counts = []
    for n in (2, 20):
        rows = [HEADER, *(person(i, f"甲镇党委/新设{i}村党支部") for i in range(n))]
        run = upload(client, rows, name=f"{n}.csv")
        assert len(run.missing) == n
        counts.append(
            [
                _queries(client, reverse(name, args=[run.pk]))
                for name in ("members:import_preview", "members:import_missing")
            ]
        )
    assert counts[0] == counts[1]


def test_a_second_click_creates_nothing_twice(tree, admin_role_user):
    run, _plan = import_run_preview(
        user=admin_role_user,
        data=csv_bytes([HEADER, person(1, "丙镇党委/青山村党支部")]),
        file_name="a.csv",
    )
    nodes = planned(run.missing, admin_role_user)
    import_runs.import_run_create_missing(run=run, user=admin_role_user, nodes=nodes)
    # The same page, still open in another tab, is sent again.
    with pytest.raises(ValidationError, match="预览已经更新"):
        import_runs.import_run_create_missing(run=run, user=admin_role_user, nodes=nodes)
    assert Organization.objects.filter(name="青山村党支部").count() == 1


def test_a_group_made_since_the_check_is_not_offered_again(tree, admin_role_user):
    rows = [[*HEADER, "所在党小组"], person(1, "甲村党支部", "甲村第三党小组")]
    run, _plan = import_run_preview(user=admin_role_user, data=csv_bytes(rows), file_name="a.csv")
    Organization.objects.create(
        kind=OrgKind.GROUP,
        name="甲村第三党小组",
        code="A-V-G3",
        parent=tree.village_a,
        path=tree.village_a.path + "0003",
        depth=tree.village_a.depth + 1,
    )
    assert planned(run.missing, admin_role_user) == []


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("青山社区党支部", "community"),
        ("县财政局机关党支部", "organ"),
        ("青山镇中心学校党支部", "institution"),
        ("青山镇卫生院党支部", "institution"),
        ("青山民办学校党支部", "social_org"),
        ("县个体劳动者协会党支部", "social_org"),
        ("青山村党支部", "village"),
        ("青山水泥有限公司党支部", ""),  # public or non-public: the user picks
    ],
)
def test_it_reads_the_unit_type_from_the_name_where_the_name_says_it(name, category):
    assert category_from_name(name) == category
