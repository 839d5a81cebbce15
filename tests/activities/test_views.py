"""The clerk's pages: worklist, logging form, ledger, member attendance, and who may see them."""

from __future__ import annotations

import datetime
from io import BytesIO
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import Activity, ActivityKind, Attachment, AttendanceStatus
from activities.services import attachment_add
from tests.factories import GroupFactory, MemberFactory, UserFactory
from tests.helpers import beijing, clerk_of, frozen, log_meeting

pytestmark = pytest.mark.django_db

NOW = beijing(2026, 3, 16, 9)
TODAY = datetime.date(2026, 3, 16)
GROUP_MEETING = ActivityKind.GROUP_MEETING
WORKLIST = reverse("activities:worklist")


@pytest.fixture(autouse=True)
def clock():
    """Pages and services read the date from the clock: stand it on 16 March 2026."""
    with frozen(NOW):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_a(clerk) -> Client:
    return _client(clerk)


@pytest.fixture
def client_b(tree) -> Client:
    return _client(clerk_of(tree.township_b))


@pytest.fixture
def members(tree):
    return [MemberFactory(group=tree.group_a1, name=name) for name in ("李明", "王芳")]


def _log_url(org, kind=GROUP_MEETING) -> str:
    return reverse("activities:activity_log") + f"?org={org.pk}&kind={kind}"


def _due_marker(org, kind=GROUP_MEETING) -> str:
    return f'data-org="{org.pk}" data-kind="{kind}"'


def _post_data(statuses, **fields):
    data = {"held_on": TODAY.isoformat(), "topic": "学习党的二十大精神"}
    for member, (status, reason) in statuses.items():
        data[f"status_{member.pk}"] = status
        data[f"reason_{member.pk}"] = reason
    data.update(fields)
    return data


def test_it_shows_a_clerk_the_branches_of_their_township_only(tree, client_a):
    response = client_a.get(WORKLIST)

    assert response.status_code == 200
    content = response.content.decode()
    for name in ("甲村党支部", "甲镇机关党支部", "甲村第一党小组", "甲村第二党小组"):
        assert name in content
    for name in ("乙村党支部", "乙镇机关党支部", "乙村第一党小组"):
        assert name not in content
    assert _due_marker(tree.group_a1) in content


def test_it_drops_a_group_from_the_worklist_once_its_meeting_is_logged(
    tree, clerk, client_a, members
):
    li, wang = members
    data = _post_data({li: ("present", ""), wang: ("leave", "外出务工")}, guests="驻村干部")

    response = client_a.post(_log_url(tree.group_a1), data)

    assert response.status_code == 302
    assert response["Location"] == WORKLIST
    activity = Activity.objects.get()
    assert (activity.org, activity.kind, activity.held_on) == (tree.group_a1, GROUP_MEETING, TODAY)
    assert (activity.present_count, activity.leave_count, activity.guest_count) == (1, 1, 1)
    assert activity.logged_by == clerk
    assert activity.attendance.get(member=wang).reason == "外出务工"
    content = client_a.get(WORKLIST).content.decode()
    assert _due_marker(tree.group_a1) not in content
    assert _due_marker(tree.group_a2) in content


def test_it_refuses_a_leave_without_reason_and_names_the_member(tree, client_a, members):
    li, wang = members

    response = client_a.post(
        _log_url(tree.group_a1), _post_data({li: ("leave", " "), wang: ("present", "")})
    )

    assert response.status_code == 400
    assert "「李明」请假，必须填写请假事由" in response.content.decode()
    assert not Activity.objects.exists()


def test_it_refuses_a_checklist_with_someone_unmarked(tree, client_a, members):
    li, _ = members

    response = client_a.post(_log_url(tree.group_a1), _post_data({li: ("present", "")}))

    assert response.status_code == 400
    assert "「王芳」的出席情况无效" in response.content.decode()
    assert not Activity.objects.exists()


def test_it_asks_to_confirm_a_duplicate_before_saving_it(tree, client_a, members):
    data = _post_data(dict.fromkeys(members, ("present", "")))
    form = client_a.get(_log_url(tree.group_a1))
    assert 'name="confirm_duplicate"' not in form.content.decode()
    assert client_a.post(_log_url(tree.group_a1), data).status_code == 302

    again = client_a.post(_log_url(tree.group_a1), data)

    assert again.status_code == 400
    content = again.content.decode()
    assert 'name="confirm_duplicate"' in content
    assert "确认重复登记" in content
    assert Activity.objects.count() == 1

    confirmed = client_a.post(_log_url(tree.group_a1), {**data, "confirm_duplicate": "on"})

    assert confirmed.status_code == 302
    assert Activity.objects.count() == 2


def test_it_lists_the_expected_members_of_the_date_on_the_form(tree, client_a, members):
    MemberFactory(group=tree.group_a1, name="后来者", started_on=datetime.date(2026, 3, 10))

    early = client_a.get(_log_url(tree.group_a1) + "&held_on=2026-03-05").content.decode()
    today = client_a.get(_log_url(tree.group_a1)).content.decode()

    assert "李明" in early and "后来者" not in early
    assert "后来者" in today


def test_it_edits_an_activity_through_the_form(tree, clerk, client_a, members):
    li, wang = members
    activity = log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=TODAY, by=clerk)
    url = reverse("activities:activity_edit", args=[activity.pk])
    assert client_a.get(url).status_code == 200

    response = client_a.post(
        url,
        _post_data({li: ("absent", ""), wang: ("present", "")}, topic="改过的主题"),
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.topic, activity.present_count, activity.absent_count) == ("改过的主题", 1, 1)
    assert Activity.objects.count() == 1


@pytest.mark.parametrize("groups", [2, 20])
def test_it_renders_the_worklist_in_a_constant_number_of_queries(
    tree, clerk, client_a, django_assert_num_queries, groups
):
    for _ in range(groups - 2):  # the tree's village branch already has two
        group = GroupFactory(parent=tree.village_a)
        MemberFactory(group=group)
        log_meeting(org=group, kind=GROUP_MEETING, held_on=datetime.date(2026, 2, 3), by=clerk)
    client_a.get(WORKLIST)  # warm the content-type cache

    # session; user with their node; user's permissions + group permissions (2);
    # worklist: branches and groups, rules, tallies, committees (4); the ancestors of
    # the gap lines' organisations for their labels; the open 组织关系 letters; the
    # members the rules on lost and mobile members name (the branches' ids, the
    # lost and suspended, the count of those away: 3); the people in the 发展党员
    # procedure (their pending votes only when one is pending); for 党费 the branches'
    # ids, the members three months or more in arrears, and the bases due for the
    # yearly review (3; the arrears' count only past the rows shown); the open 软弱涣散 cases
    # (activities.rectification); the unchecked months of the 民情日志
    # (activities.ledgers.diary.selectors.diary_work); the stations with months unchecked
    # (activities.ledgers.stations.selectors.station_work); the organisations whose term is
    # due, with their term lengths and postponements (branches.terms.selectors.term_work); the township picker
    # in the template; session saved on every request (savepoint, update, release: 3).
    with django_assert_num_queries(25):
        response = client_a.get(WORKLIST)

    assert response.status_code == 200
    items = [i for w in response.context["work"].current for i in w.items]
    assert sum(i.kind == GROUP_MEETING for i in items) == groups


def test_it_escapes_the_worklist_items_it_writes_itself(tree, client_a):
    # The items' HTML is built in Python (BranchWork.items_html), not by the template.
    tree.group_a1.name = '<script>alert("甲")</script>第一党小组'
    tree.group_a1.save()
    content = client_a.get(WORKLIST).content.decode()
    assert "&lt;script&gt;alert(&quot;甲&quot;)&lt;/script&gt;第一党小组" in content
    assert "<script>alert" not in content
    assert f"?org={tree.group_a1.pk}&amp;kind=" in content


def _gap_rows(content: str) -> list[str]:
    section = content[content.index('<section id="gaps">') :]
    rows = section[: section.index("</section>")].split("<tr>")[2:]
    return [row[: row.index("</tr>")] for row in rows]


def test_it_lists_the_gaps_once_per_organisation_and_kind(tree, clerk, client_a):
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=datetime.date(2026, 2, 2), by=clerk)

    content = client_a.get(WORKLIST).content.decode()

    rows = _gap_rows(content)
    group_a1 = [r for r in rows if "甲村党支部/甲村第一党小组" in r]
    group_a2 = [r for r in rows if "甲村党支部/甲村第二党小组" in r]
    assert len(group_a1) == 1 and "党小组会" in group_a1[0] and "<td>1月</td>" in group_a1[0]
    # Both closed months on one line, oldest first; 补登 offers the newest of them.
    assert len(group_a2) == 1 and "<td>1月、2月</td>" in group_a2[0]
    log = _log_url(tree.group_a2).replace("&", "&amp;") + "&amp;held_on=2026-02-28"
    assert f'href="{log}">补登</a>' in group_a2[0]
    assert "显示全部缺项" not in content


def test_it_shows_the_first_gap_lines_and_links_to_all_of_them(tree, client_a, monkeypatch):
    monkeypatch.setattr("activities.views.GAPS_SHOWN", 2)
    everything = client_a.get(WORKLIST + "?gaps=all").content.decode()
    total = len(_gap_rows(everything))
    assert total > 2

    content = client_a.get(WORKLIST).content.decode()

    assert len(_gap_rows(content)) == 2
    assert f"另有 {total - 2} 行未列出" in content
    assert f'href="?org={tree.township_a.pk}&amp;gaps=all#gaps">显示全部缺项</a>' in content
    assert "显示全部缺项" not in everything
    # The first lines of the page are the first lines of the whole list.
    assert _gap_rows(everything)[:2] == _gap_rows(content)


@pytest.fixture
def ledger_year(tree, clerk):
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.GENERAL_MEETING,
        held_on=datetime.date(2026, 3, 2),
        by=clerk,
        topic='=HYPERLINK("http://x")',
    )
    log_meeting(
        org=tree.group_a1,
        kind=GROUP_MEETING,
        held_on=datetime.date(2026, 2, 5),
        by=clerk,
        topic="小组学习",
    )
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.LESSON,
        held_on=datetime.date(2025, 12, 10),
        by=clerk,
        topic="去年的党课",
    )
    log_meeting(
        org=tree.organ_a,
        kind=ActivityKind.THEME_DAY,
        held_on=datetime.date(2026, 3, 3),
        by=clerk,
        topic="机关主题党日",
    )


def test_it_lists_a_branch_and_its_groups_activities_of_the_year(tree, client_a, ledger_year):
    response = client_a.get(reverse("activities:ledger", args=[tree.village_a.pk]) + "?year=2026")

    assert response.status_code == 200
    topics = [a.topic for a in response.context["activities"]]
    assert topics == ["小组学习", '=HYPERLINK("http://x")']  # oldest first
    content = response.content.decode()
    assert "小组学习" in content
    assert "去年的党课" not in content and "机关主题党日" not in content

    last_year = client_a.get(reverse("activities:ledger", args=[tree.village_a.pk]) + "?year=2025")

    assert [a.topic for a in last_year.context["activities"]] == ["去年的党课"]


def test_it_exports_the_ledger_as_xlsx_with_formulas_defused(tree, client_a, ledger_year):
    url = reverse("activities:ledger", args=[tree.village_a.pk]) + "?year=2026&format=xlsx"

    response = client_a.get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "甲村党支部 2026年组织生活台账"
    assert rows[1][:4] == ("日期", "组织", "类型", "主题")
    body = rows[2:]
    assert [(r[1], r[2], r[3]) for r in body] == [
        ("甲村第一党小组", "党小组会", "小组学习"),
        ("甲村党支部", "支部党员大会", '\'=HYPERLINK("http://x")'),
    ]
    assert body[0][0].date() == datetime.date(2026, 2, 5)
    assert sheet.cell(row=4, column=4).data_type == "s"  # text, not a formula


def test_it_shows_a_members_attendance_rates_by_kind(tree, clerk, client_a, members):
    li, _ = members
    log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=datetime.date(2026, 1, 10), by=clerk)
    log_meeting(
        org=tree.group_a1,
        kind=GROUP_MEETING,
        held_on=datetime.date(2026, 2, 10),
        by=clerk,
        statuses={li: AttendanceStatus.ABSENT},
    )
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.GENERAL_MEETING,
        held_on=datetime.date(2026, 3, 2),
        by=clerk,
    )
    log_meeting(
        org=tree.group_a1, kind=GROUP_MEETING, held_on=datetime.date(2025, 11, 10), by=clerk
    )

    response = client_a.get(reverse("activities:member_attendance", args=[li.pk]) + "?year=2026")

    assert response.status_code == 200
    rates = {r.kind: (r.expected, r.present, r.absent, r.rate) for r in response.context["rates"]}
    assert rates == {
        GROUP_MEETING: (2, 1, 1, 0.5),
        ActivityKind.GENERAL_MEETING: (1, 1, 0, 1.0),
    }
    content = response.content.decode()
    assert "党小组会" in content and "50%" in content
    assert "支部党员大会" in content and "100%" in content
    assert len(response.context["rows"]) == 3


@pytest.fixture
def a_objects(tree, clerk, members, settings, tmp_path):
    """One object of township A for every page that takes an id."""
    settings.MEDIA_ROOT = tmp_path
    activity = log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=TODAY, by=clerk)
    png = SimpleUploadedFile("签到表.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    attachment = attachment_add(activity=activity, upload=png, by=clerk)
    return {
        "activity_detail": reverse("activities:activity_detail", args=[activity.pk]),
        "activity_edit": reverse("activities:activity_edit", args=[activity.pk]),
        "attachment_download": reverse("activities:attachment_download", args=[attachment.pk]),
        "ledger": reverse("activities:ledger", args=[tree.village_a.pk]),
        "member_attendance": reverse("activities:member_attendance", args=[members[0].pk]),
        "activity_log": _log_url(tree.group_a1),
    }


PAGES = [
    "activity_detail",
    "activity_edit",
    "attachment_download",
    "ledger",
    "member_attendance",
    "activity_log",
]


@pytest.mark.parametrize("page", PAGES)
def test_it_serves_township_a_pages_to_its_clerk(client_a, a_objects, page):
    response = client_a.get(a_objects[page])

    assert response.status_code == 200
    if page == "attachment_download":
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"].endswith("filename*=utf-8''" + quote("签到表.png"))


@pytest.mark.parametrize("page", PAGES)
def test_it_hides_township_a_pages_from_the_clerk_of_b(client_b, a_objects, page):
    assert client_b.get(a_objects[page]).status_code == 404


def test_it_refuses_a_post_to_another_townships_group_without_writing(tree, client_b, members):
    data = _post_data(dict.fromkeys(members, ("present", "")))

    response = client_b.post(_log_url(tree.group_a1), data)

    assert response.status_code == 404
    assert not Activity.objects.exists()


@pytest.mark.parametrize("page", [*PAGES, "worklist"])
def test_it_sends_anonymous_visitors_to_the_login_page(client, a_objects, page):
    url = WORKLIST if page == "worklist" else a_objects[page]

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.fixture
def county_reader(tree):
    user = UserFactory(org=tree.county)
    user.groups.add(Group.objects.get(name="县委组织部"))
    return _client(user)


def test_it_forbids_logging_to_a_user_without_the_permission(tree, county_reader, members):
    data = _post_data(dict.fromkeys(members, ("present", "")))

    assert county_reader.get(_log_url(tree.group_a1)).status_code == 403
    assert county_reader.post(_log_url(tree.group_a1), data).status_code == 403
    assert not Activity.objects.exists()
    # Reading is allowed to the county: the worklist of the whole county.
    response = county_reader.get(WORKLIST)
    assert response.status_code == 200
    assert 'class="button"' not in response.content.decode()  # no 登记 links


def test_it_answers_405_to_a_wrong_method(tree, client_a, a_objects):
    assert client_a.post(WORKLIST).status_code == 405
    assert client_a.post(a_objects["activity_detail"]).status_code == 405
    assert client_a.post(a_objects["ledger"]).status_code == 405
    assert client_a.put(a_objects["activity_log"]).status_code == 405


def test_it_does_not_store_uploads_when_the_form_is_refused(
    tree, client_a, members, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    li, wang = members
    data = _post_data({li: ("present", ""), wang: ("present", "")})
    data["attachments"] = SimpleUploadedFile("签到表.png", "纯文本".encode())

    response = client_a.post(_log_url(tree.group_a1), data)

    assert response.status_code == 400
    assert "「签到表.png」不是 JPG、PNG 或 PDF" in response.content.decode()
    assert not Activity.objects.exists()
    assert not Attachment.objects.exists()


def test_it_sends_a_clerk_from_the_home_page_to_the_worklist(client_a):
    response = client_a.get("/")

    assert response.status_code == 302
    assert response["Location"] == WORKLIST
