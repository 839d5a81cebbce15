"""党员学习教育: sessions and attendance, each member's 学时 against the yearly target
(the secretaries' higher one, the target rule by date), the 学习达标 points derived
and recomputed, the scoped pages (list, export, print, the phone form, a session's
attendees by branch, a branch's members' 学时), the summary with exact figures, and the
query counts of the list, the members' page and the summary."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.study import services
from activities.ledgers.study.selectors import branch_members_year, study_summary
from activities.models import PointEntry, PointSource, StudyAttendance, StudySession, StudyTarget
from activities.points.ledgers import ledger_points_refresh
from branches.models import PostTitle
from branches.services import post_assign
from tests.factories import BranchFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
H = Decimal
NOW = beijing(2026, 9, 15)
LIST = "activities:study_list"


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


def session(org, by, *, on, hours, members=(), form="class", topic="学习党章"):
    return services.study_session_record(
        org=org, date=on, topic=topic, form=form, hours=H(hours), members=members, by=by
    )


@pytest.fixture
def year(tree, clerk_a):
    """甲镇's 2026: a township session (4 学时) and five of 甲村's; 张一 reaches 32 on
    1 July, 李二 stays at 31.5, 王书记 has 32 of the secretaries' 56, 赵三 (机关) 4."""
    zhang = MemberFactory(branch=tree.village_a, name="张一")
    li = MemberFactory(branch=tree.village_a, name="李二")
    wang = MemberFactory(branch=tree.village_a, name="王书记")
    post_assign(
        org=tree.village_a, member=wang, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1)
    )
    zhao = MemberFactory(branch=tree.organ_a, name="赵三")
    township = session(tree.township_a, clerk_a, on=D(2026, 3, 10), hours=4, topic="全镇党员冬训")
    services.study_attendance_set(
        session=township, branch=tree.village_a, members=[zhang, li, wang], by=clerk_a
    )
    services.study_attendance_set(session=township, branch=tree.organ_a, members=[zhao], by=clerk_a)
    for month in (4, 5, 6):
        session(tree.village_a, clerk_a, on=D(2026, month, 8), hours=8, members=[zhang, li, wang])
    reaching = session(
        tree.village_a, clerk_a, on=D(2026, 7, 1), hours=4, members=[zhang, wang], form="lesson"
    )
    session(tree.village_a, clerk_a, on=D(2026, 8, 5), hours="3.5", members=[li], form="online")
    session(tree.village_a, clerk_a, on=D(2025, 12, 20), hours=8, members=[zhang, li])
    return {"zhang": zhang, "li": li, "wang": wang, "zhao": zhao, "reaching": reaching}


def figures(rows):
    return {r.name: (r.hours, r.target, r.reached, r.short) for r in rows}


def test_members_hours_are_held_to_their_targets_and_reaching_earns_points_once(
    tree, clerk_a, year
):
    result = branch_members_year(
        branch=tree.village_a, year=2026, today=D(2026, 9, 15), below=False
    )
    assert figures(result.rows) == {
        "张一": (H("32"), H("32"), True, H("0")),
        "李二": (H("31.5"), H("32"), False, H("0.5")),
        "王书记": (H("32"), H("56"), False, H("24")),
    }
    assert (result.members, result.reached) == (3, 1)
    below = branch_members_year(branch=tree.village_a, year=2026, today=D(2026, 9, 15), below=True)
    assert [r.name for r in below.rows] == ["李二", "王书记"]
    # 2025 holds only last December's session.
    last = branch_members_year(branch=tree.village_a, year=2025, today=D(2026, 9, 15), below=False)
    assert figures(last.rows)["张一"] == (H("8"), H("32"), False, H("24"))
    # 张一 reached 32 with the 1 July lesson: one 学习达标 entry, that day, in 甲村.
    earned = PointEntry.objects.get(source=PointSource.STUDY)
    assert (earned.member, earned.org, earned.date, earned.year, earned.points) == (
        year["zhang"],
        tree.village_a,
        D(2026, 7, 1),
        2026,
        H("2"),
    )
    assert earned.reason == "学习达标：2026年学习满32学时"

    def entries():
        return sorted(
            PointEntry.objects.filter(source=PointSource.STUDY).values_list(
                "member_id", "org_id", "date", "points", "reason"
            )
        )

    before = entries()
    ledger_points_refresh(year=2026)
    once = entries()
    ledger_points_refresh(year=2026)
    assert before == once == entries()
    # 张一 taken off the July lesson: 28 学时, no points; put back, the points return.
    reaching = year["reaching"]
    assert services.study_attendance_set(
        session=reaching, branch=tree.village_a, members=[year["wang"]], by=clerk_a
    ) == (0, 1)
    assert not PointEntry.objects.filter(source=PointSource.STUDY).exists()
    services.study_attendance_set(
        session=reaching, branch=tree.village_a, members=[year["wang"], year["zhang"]], by=clerk_a
    )
    assert entries() == once
    # The secretary's three more sessions reach 56 on the last: dated that day, in 甲村.
    for day in (1, 2, 3):
        session(tree.village_a, clerk_a, on=D(2026, 9, day), hours=8, members=[year["wang"]])
    wang = PointEntry.objects.get(source=PointSource.STUDY, member=year["wang"])
    assert (wang.date, wang.reason) == (D(2026, 9, 3), "学习达标：2026年学习满56学时")
    assert StudyAttendance.objects.filter(member=year["zhang"]).count() == 6


def test_the_target_follows_the_rule_in_force_and_the_post_on_the_reference_day(tree, clerk_a):
    wang = MemberFactory(branch=tree.village_a, name="王书记")
    post = post_assign(
        org=tree.village_a, member=wang, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1)
    )
    old = StudyTarget.objects.get()
    assert (old.member_hours, old.secretary_hours, old.valid_to) == (H("32"), H("56"), None)
    old.valid_to = D(2025, 12, 31)
    old.save()
    StudyTarget.objects.create(valid_from=D(2026, 1, 1), member_hours=40, secretary_hours=60)
    clash = StudyTarget(valid_from=D(2025, 6, 1), member_hours=1, secretary_hours=1)
    with pytest.raises(ValidationError) as refused:
        clash.full_clean()
    assert "有效期不能重叠" in str(refused.value)

    def target(year, today=None):
        today = today or D(2026, 9, 15)
        rows = branch_members_year(branch=tree.village_a, year=year, today=today, below=False)
        return rows.rows[0].target

    assert (target(2025), target(2026)) == (H("56"), H("60"))
    # Off the post in May 2026: a secretary on 31 December 2025, a member for 2026.
    post.ended_on = D(2026, 5, 1)
    post.save()
    assert (target(2025), target(2026)) == (H("56"), H("40"))
    # A post taken in October counts for 2026 from then, not on 15 September.
    post_assign(
        org=tree.village_a, member=wang, title=PostTitle.SECRETARY, started_on=D(2026, 10, 1)
    )
    assert (target(2026), target(2026, today=D(2026, 12, 31))) == (H("40"), H("60"))


def test_the_services_refuse_what_cannot_be(tree, clerk_a):
    member = MemberFactory(branch=tree.village_a, name="张一")
    stranger = MemberFactory(branch=tree.village_b, name="乙村党员")
    cases = [
        ({"on": D(2026, 9, 16)}, "date", "学习日期不能晚于今天"),
        ({"hours": "1.3"}, "hours", "应为0.5的整数倍"),
        ({"members": [stranger]}, "members", "乙村党员不是甲村党支部在册的党员"),
        ({"org": tree.group_a1}, "org", "不是在册的党支部或乡镇（街道）党委"),
        ({"org": tree.township_a, "members": [member]}, "members", "请按党支部登记参加人员"),
    ]
    for change, field, message in cases:
        args = {"org": tree.village_a, "on": D(2026, 9, 1), "hours": 2, **change}
        with pytest.raises(ValidationError) as refused:
            session(by=clerk_a, **args)
        assert message in " ".join(refused.value.message_dict[field]), change
    with pytest.raises(ValidationError) as refused:
        session(tree.village_a, clerk_a, on=D(2026, 9, 1), hours=9)
    assert "学时应在0.5至8之间" in str(refused.value)
    assert not StudySession.objects.exists()
    # A branch's session takes no members of another branch, not even through the setter.
    own = session(tree.village_a, clerk_a, on=D(2026, 9, 1), hours=2)
    with pytest.raises(ValidationError) as refused:
        services.study_attendance_set(session=own, branch=tree.organ_a, members=[], by=clerk_a)
    assert "不能参加甲村党支部的学习" in str(refused.value)


# --- Pages ---------------------------------------------------------------------------------


def test_the_list_is_scoped_filtered_and_exported(tree, clerk_a, clerk_b, clerk_a_client, year):
    session(tree.village_b, clerk_b, on=D(2026, 5, 1), hours=2, topic="乙村的学习")
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert page.count("data-study-session=") == 6 and "乙村的学习" not in page
    assert "全镇党员冬训" in page and ">甲镇党委/甲村党支部</td>" in page
    lessons = clerk_a_client.get(reverse(LIST), {"form": "lesson"}).content.decode()
    assert lessons.count("data-study-session=") == 1
    assert (
        clerk_a_client.get(reverse(LIST), {"month": 3})
        .content.decode()
        .count("data-study-session=")
        == 1
    )
    village = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert village.count("data-study-session=") == 5
    assert (
        clerk_a_client.get(reverse(LIST), {"year": 2025})
        .content.decode()
        .count("data-study-session=")
        == 1
    )
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400
    # The paper 学习记录: the heading and the signature line.
    assert "<h1>甲村党支部2026年党员学习教育记录</h1>" in village
    assert 'class="print-only signature">记录人（签字）' in village
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx", "org": tree.village_a.pk})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲村党支部2026年党员学习教育记录"
    assert rows[1] == ("党组织", "学习日期", "学习形式", "学习主题", "学时", "参加人数")
    assert rows[2][0] == "甲镇党委/甲村党支部" and rows[2][1].date() == D(2026, 4, 8)
    assert rows[2][2:] == ("集中学习", "学习党章", 8, 3)
    assert rows[5][2:] == ("党课", "学习党章", 4, 2) and rows[6][2:] == (
        "网络学习",
        "学习党章",
        3.5,
        1,
    )
    assert len(rows) == 7


def test_the_members_page_and_its_print(tree, clerk_a_client, clerk_b_client, year):
    url = reverse("activities:study_members", args=[tree.village_a.pk])
    page = clerk_a_client.get(url).content.decode()
    assert "<h1>甲村党支部2026年党员学习学时登记表</h1>" in page
    assert "在册党员3人，达标1人" in page and "党员32学时，担任书记的56学时" in page
    row = page[page.index(f'data-study-member="{year["li"].pk}"') :]
    assert '<td class="num">31.5</td>' in row[: row.index("</tr>")]
    assert 'class="print-only signature">填表人（签字）' in page
    below = clerk_a_client.get(url, {"below": "1"}).content.decode()
    assert below.count("data-study-member=") == 2 and "张一" not in below
    assert clerk_b_client.get(url).status_code == 404
    township = reverse("activities:study_members", args=[tree.township_a.pk])
    assert clerk_a_client.get(township).status_code == 404


def test_the_form_records_a_branch_session_with_its_attendees(tree, clerk_a_client):
    zhang = MemberFactory(branch=tree.village_a, name="张一")
    MemberFactory(branch=tree.village_a, name="李二")
    stranger = MemberFactory(branch=tree.organ_a, name="机关党员")
    add = reverse("activities:study_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?org={tree.township_a.pk}" in picker and f"?org={tree.village_a.pk}" in picker
    assert f"?org={tree.village_b.pk}" not in picker
    form = clerk_a_client.get(add, {"org": tree.village_a.pk}).content.decode()
    assert 'class="activity-form"' in form and 'type="date"' in form and 'step="0.5"' in form
    assert 'type="checkbox"' in form and "张一" in form and "机关党员" not in form
    assert clerk_a_client.get(add, {"org": tree.village_b.pk}).status_code == 404
    url = f"{add}?org={tree.village_a.pk}"
    data = {
        "date": "2026-09-10",
        "topic": "学习新修订的条例",
        "form": "remote",
        "hours": "1.5",
        "members": [zhang.pk],
    }
    bad = [
        ({"hours": "0"}, "学时不能少于0.5"),
        ({"hours": "9"}, "一次学习不能超过8学时"),
        ({"hours": "1.3"}, "学时按半小时计，应为0.5的整数倍"),
        ({"hours": "x"}, "请填写学时"),
        ({"members": [stranger.pk]}, "所选党员不是本党支部在册的党员"),
        ({"date": "2026-09-16"}, "学习日期不能晚于今天"),
    ]
    for change, message in bad:
        refused = clerk_a_client.post(url, {**data, **change})
        assert refused.status_code == 400 and message in refused.content.decode(), change
    assert not StudySession.objects.exists()
    assert clerk_a_client.post(url, data).status_code == 302
    written = StudySession.objects.get()
    assert (written.org, written.hours, written.form) == (tree.village_a, H("1.5"), "remote")
    assert list(written.attendance.values_list("member", flat=True)) == [zhang.pk]


def test_a_township_session_takes_its_attendees_a_branch_at_a_time(
    tree, clerk_a_client, clerk_b_client, secretary_a_client
):
    zhang = MemberFactory(branch=tree.village_a, name="张一")
    zhao = MemberFactory(branch=tree.organ_a, name="赵三")
    add = reverse("activities:study_add") + f"?org={tree.township_a.pk}"
    form = clerk_a_client.get(add).content.decode()
    assert 'name="members"' not in form
    data = {"date": "2026-09-10", "topic": "全镇冬训", "form": "class", "hours": "4"}
    response = clerk_a_client.post(add, data)
    written = StudySession.objects.get()
    detail = reverse("activities:study_detail", args=[written.pk])
    assert response.status_code == 302 and response.url == detail
    page = clerk_a_client.get(detail).content.decode()
    assert f'data-study-branch="{tree.village_a.pk}"' in page and 'name="members"' not in page
    village = clerk_a_client.get(detail, {"branch": tree.village_a.pk}).content.decode()
    assert "张一" in village and "赵三" not in village
    posted = clerk_a_client.post(f"{detail}?branch={tree.village_a.pk}", {"members": [zhang.pk]})
    assert posted.status_code == 302
    refused = clerk_a_client.post(f"{detail}?branch={tree.village_a.pk}", {"members": [zhao.pk]})
    assert (
        refused.status_code == 400 and "所选党员不是本党支部在册的党员" in refused.content.decode()
    )
    assert clerk_a_client.get(detail, {"branch": tree.village_b.pk}).status_code == 404
    assert list(written.attendance.values_list("member", flat=True)) == [zhang.pk]
    page = clerk_a_client.get(detail).content.decode()
    assert '<dd id="study-total">1</dd>' in page
    # Another township's clerk: no such session; nor is it the village secretary's.
    assert clerk_b_client.get(detail).status_code == 404
    assert secretary_a_client.get(detail).status_code == 404
    # The secretary reads the branch's sessions but does not write them.
    own = services.study_session_record(
        org=tree.village_a,
        date=D(2026, 9, 1),
        topic="支部学习",
        form="class",
        hours=H(2),
        members=[zhang],
        by=written.recorded_by,
    )
    own_url = reverse("activities:study_detail", args=[own.pk])
    names = secretary_a_client.get(own_url).content.decode()
    assert '<p id="study-attendee-names">张一</p>' in names
    assert secretary_a_client.post(own_url, {"members": []}).status_code == 403
    assert secretary_a_client.get(add).status_code == 403
    assert secretary_a_client.post(add, data).status_code == 403
    assert secretary_a_client.get(reverse(LIST)).content.decode().count("data-study-session=") == 1
    assert StudyAttendance.objects.count() == 2 and StudySession.objects.count() == 2


# --- The yearly summary ------------------------------------------------------------------------


def test_the_summary_gives_exact_figures_by_child(tree, year, clerk_a_client):
    summary = study_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    keys = ("sessions", "hours", "members", "reached", "member_hours", "share", "average")

    def of(row):
        return tuple(row.values[k] for k in keys)

    village, organ = summary.rows
    assert (village.org, organ.org) == (tree.village_a, tree.organ_a)
    assert of(village) == (5, H("31.5"), 3, 1, H("95.5"), 33.3, H("31.8"))
    assert of(organ) == (0, H("0"), 1, 0, H("4"), 0.0, H("4.0"))
    # The township's own session counts at its own row; its 学时 where the members are.
    assert of(summary.own) == (1, H("4"), 0, 0, H("0"), None, None)
    assert of(summary.total) == (6, H("35.5"), 4, 1, H("99.5"), 25.0, H("24.9"))
    county = study_summary(node=tree.county, year=2026, today=D(2026, 9, 15))
    assert [of(r) for r in county.rows] == [
        of(summary.total),
        (0, H("0"), 0, 0, H("0"), None, None),
    ]
    page = clerk_a_client.get(
        reverse("activities:study_summary", args=[tree.township_a.pk])
    ).content.decode()
    members = reverse("activities:study_members", args=[tree.village_a.pk])
    assert f'href="{members}?year=2026"' in page and "33.3%" in page and "甲镇党委（本级）" in page


def test_the_roles_hold_the_study_permissions_the_migration_grants():
    from django.contrib.auth.models import Group

    def codenames(role):
        group = Group.objects.get(name=role)
        return set(
            group.permissions.filter(codename__contains="study").values_list("codename", flat=True)
        )

    record = {
        f"{a}_{m}" for a in ("view", "add", "change") for m in ("studysession", "studyattendance")
    }
    # Those who record a session may take one logged by mistake back (0034).
    record |= {"delete_studysession"}
    assert codenames("县委组织部") == codenames("乡镇专干") == record | {"view_studytarget"}
    assert codenames("系统管理员") == record | {
        f"{a}_studytarget" for a in ("view", "add", "change")
    }
    assert codenames("支部书记") == {
        "view_studysession",
        "view_studyattendance",
        "view_studytarget",
    }


def test_a_secretary_post_ended_since_the_last_session_is_applied_by_the_next_draft(tree, year):
    """王书记 has 32 学时 since 1 July, short of the secretaries' 56; his post ended in
    August (no session written since), so his target is 32 and the township's next
    draft of the ratings gives him 学习达标, dated the day he reached it."""
    from activities.ratings.services import rating_draft_compute
    from branches.models import Post

    wang = year["wang"]
    assert not PointEntry.objects.filter(member=wang, source=PointSource.STUDY).exists()
    post = Post.objects.get(member=wang, title=PostTitle.SECRETARY)
    post.ended_on = D(2026, 8, 1)
    post.save()
    assert not PointEntry.objects.filter(member=wang, source=PointSource.STUDY).exists()
    rating_draft_compute(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    earned = PointEntry.objects.get(member=wang, source=PointSource.STUDY)
    assert (earned.date, earned.reason) == (D(2026, 7, 1), "学习达标：2026年学习满32学时")
    # The others stand as they were: 张一's entry, 李二 still short.
    assert set(
        PointEntry.objects.filter(source=PointSource.STUDY).values_list("member__name", flat=True)
    ) == {"张一", "王书记"}


@pytest.mark.postgres
def test_a_whole_years_rewrite_through_copy_writes_the_entries_the_orm_does(year, monkeypatch):
    """On PostgreSQL a rewrite of many entries (a county's year) goes through COPY."""
    from activities.points import ledgers

    fields = [f for f in ledgers.ENTRY_FIELDS if f != "entered_at"]

    def entries():
        return sorted(PointEntry.objects.filter(status="auto").values_list(*fields, "pk"))

    ledger_points_refresh(year=2026)
    by_orm = entries()
    monkeypatch.setattr(ledgers, "COPY_ABOVE", 0)
    ledger_points_refresh(year=2026)
    by_copy = entries()
    assert by_orm and [row[:-1] for row in by_copy] == [row[:-1] for row in by_orm]
    # Written anew (new ids), with the time they were entered.
    assert not {row[-1] for row in by_copy} & {row[-1] for row in by_orm}
    assert PointEntry.objects.get(source=PointSource.STUDY).entered_at is not None


# --- Query counts ------------------------------------------------------------------------------


def _branches_with_sessions(tree, clerk_a, n):
    for i in range(n):
        branch = BranchFactory(parent=tree.township_a)
        member = MemberFactory(branch=branch)
        session(branch, clerk_a, on=D(2026, 3, 1 + i % 28), hours=2, members=[member])


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_num_queries
):
    _branches_with_sessions(tree, clerk_a, n)
    # Session, user, permissions (two), the picker's nodes, the count, the page of sessions
    # with their organisations and attendee counts, the labels, and the session's save
    # (savepoint, update, release).
    with django_assert_num_queries(11):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-study-session=") == n


@pytest.mark.parametrize("n", [2, 20])
def test_the_summary_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_num_queries
):
    _branches_with_sessions(tree, clerk_a, n)
    url = reverse("activities:study_summary", args=[tree.township_a.pk])
    # Session, user, permissions (two), the node, the target rule, the sessions by child,
    # the members by child, the children, the breadcrumb, and the session's save
    # (savepoint, update, release).
    with django_assert_num_queries(13):
        response = county_client.get(url, {"year": 2026})
    # Every branch under the township links to its members' page (甲村, 机关 and the n).
    assert response.content.decode().count("ledgers/study/members/") == n + 2


@pytest.mark.parametrize("n", [2, 20])
def test_the_members_page_reads_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_num_queries
):
    members = [MemberFactory(branch=tree.village_a) for _ in range(n)]
    session(tree.village_a, clerk_a, on=D(2026, 3, 1), hours=2, members=members)
    url = reverse("activities:study_members", args=[tree.village_a.pk])
    # Session, user, permissions (two), the branch, the target rule, the members with their
    # 学时, target and 达标, the label, the target shown, and the session's save
    # (savepoint, update, release).
    with django_assert_num_queries(12):
        response = clerk_a_client.get(url)
    assert response.content.decode().count("data-study-member=") == n
