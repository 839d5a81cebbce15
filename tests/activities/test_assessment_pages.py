"""The assessment pages: 述职评议 list and meeting, the grading page, ending a last-ranked
group leader's post; access, refusals and query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.assessment import services
from activities.models import (
    GradeLevel,
    OrgGrade,
    SecretaryReport,
    SecretaryReportMeeting,
)
from branches.models import Post, PostEndReason, PostTitle
from branches.services import post_assign
from tests.factories import BranchFactory, MemberFactory, TownshipFactory

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2025


def url(name, *args, **query):
    query = "&".join(f"{k}={v}" for k, v in {"year": YEAR, **query}.items())
    return f"{reverse(name, args=args)}?{query}"


def a_meeting(tree, clerk_a, evaluators=10):
    return services.report_meeting_create(
        org=tree.township_a,
        year=YEAR,
        quarter=None,
        held_on=D(YEAR, 12, 20),
        evaluators=evaluators,
        note="",
        by=clerk_a,
    )


# --- 书记述职评议 -------------------------------------------------------------------------


def test_it_records_a_meeting_and_a_report_with_the_secretary_by_default(
    tree, clerk_a, clerk_a_client
):
    secretary = MemberFactory(branch=tree.village_a, name="甲村书记")
    post_assign(
        org=tree.village_a, member=secretary, title=PostTitle.SECRETARY, started_on=D(2021, 1, 1)
    )
    response = clerk_a_client.post(
        reverse("activities:report_meeting_add"),
        {"org": tree.township_a.pk, "year": YEAR, "held_on": "2025-12-20", "evaluators": "9"},
    )
    meeting = SecretaryReportMeeting.objects.get()
    assert response.status_code == 302
    response = clerk_a_client.post(
        reverse("activities:report_meeting_detail", args=[meeting.pk]),
        {
            "org": tree.village_a.pk,
            "summary": "全年抓党建工作",
            "good": "5",
            "fairly_good": "3",
            "average": "1",
            "poor": "0",
            "evaluation": "good",
        },
    )
    assert response.status_code == 302
    report = SecretaryReport.objects.get()
    assert report.secretary == secretary
    page = clerk_a_client.get(reverse("activities:report_meeting_detail", args=[meeting.pk]))
    assert "甲村书记" in page.content.decode()


def test_it_refuses_more_votes_than_evaluators_with_a_message(tree, clerk_a, clerk_a_client):
    meeting = a_meeting(tree, clerk_a, evaluators=5)
    secretary = MemberFactory(branch=tree.village_a)
    post_assign(
        org=tree.village_a, member=secretary, title=PostTitle.SECRETARY, started_on=D(2021, 1, 1)
    )
    response = clerk_a_client.post(
        reverse("activities:report_meeting_detail", args=[meeting.pk]),
        {
            "org": tree.village_a.pk,
            "summary": "述职",
            "good": "4",
            "fairly_good": "2",
            "average": "0",
            "poor": "0",
            "evaluation": "good",
        },
    )
    assert response.status_code == 400
    assert "票数合计 6 票，多于本次会议参加评议人数 5 人" in response.content.decode()
    assert not SecretaryReport.objects.exists()


def test_it_asks_for_a_reporter_when_no_secretary_holds_the_post(tree, clerk_a, clerk_a_client):
    meeting = a_meeting(tree, clerk_a)
    response = clerk_a_client.post(
        reverse("activities:report_meeting_detail", args=[meeting.pk]),
        {
            "org": tree.organ_a.pk,
            "summary": "述职",
            "good": "1",
            "fairly_good": "0",
            "average": "0",
            "poor": "0",
            "evaluation": "good",
        },
    )
    assert response.status_code == 400
    assert "在会议日期（2025-12-20）没有在任书记" in response.content.decode()


def test_it_lists_meetings_and_who_has_not_reported(tree, clerk_a, clerk_a_client):
    meeting = a_meeting(tree, clerk_a)
    SecretaryReport.objects.create(
        meeting=meeting,
        org=tree.village_a,
        secretary=MemberFactory(branch=tree.village_a),
        summary="述职",
        good=3,
        evaluation="good",
    )
    response = clerk_a_client.get(url("activities:report_meetings"))
    assert response.status_code == 200
    assert response.context["missing"] == [tree.organ_a]
    assert "甲镇党委/甲镇机关党支部" in response.content.decode()
    quarter = clerk_a_client.get(url("activities:report_meetings", quarter=3))
    assert quarter.context["missing"] == [tree.village_a, tree.organ_a]
    export = clerk_a_client.get(url("activities:report_meetings", format="xlsx"))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[2][0] == "甲镇党委" and rows[2][4] == "甲村党支部"


def test_it_hides_another_townships_meeting_and_node(tree, clerk_a, clerk_b_client):
    meeting = a_meeting(tree, clerk_a)
    detail = clerk_b_client.get(reverse("activities:report_meeting_detail", args=[meeting.pk]))
    listed = clerk_b_client.get(url("activities:report_meetings", org=tree.township_a.pk))
    assert (detail.status_code, listed.status_code) == (404, 404)


def test_it_refuses_a_report_to_the_read_only_secretary(tree, clerk_a, secretary_a_client):
    meeting = a_meeting(tree, clerk_a)
    response = secretary_a_client.post(
        reverse("activities:report_meeting_detail", args=[meeting.pk]), {}
    )
    # The meeting's committee is above the secretary's branch: not in scope.
    assert response.status_code == 404


@pytest.mark.parametrize("extra", [0, 18])
def test_it_lists_meetings_in_a_bounded_number_of_queries(
    tree, clerk_a, clerk_a_client, extra, django_assert_max_num_queries
):
    for _ in range(extra):
        BranchFactory(parent=tree.township_a)
    a_meeting(tree, clerk_a)
    # Session and user, permissions (2), who has not reported and their labels, the
    # township picker, the meetings; the session's save (savepoint, update, release).
    with django_assert_max_num_queries(11):
        response = clerk_a_client.get(url("activities:report_meetings"))
    assert len(response.context["missing"]) == 2 + extra


# --- Yearly grading -------------------------------------------------------------------------


def grading_post(data, picks: dict[int, tuple[GradeLevel, str]]) -> dict:
    payload = {}
    for row in data.rows:
        level, reasons = picks.get(row.org.pk, (row.suggested, ""))
        payload[f"level_{row.org.pk}"] = str(level.pk)
        payload[f"reasons_{row.org.pk}"] = reasons
    return payload


def test_it_saves_the_whole_page_only_when_every_row_passes(tree, county_client):
    page = county_client.get(url("activities:grading", tree.township_a.pk))
    assert page.status_code == 200
    data = page.context["data"]
    assert [r.org for r in data.rows] == [tree.village_a, tree.organ_a]
    lagging = GradeLevel.objects.get(lagging=True)
    best = GradeLevel.objects.get(rank=1)
    picks = {tree.village_a.pk: (best, ""), tree.organ_a.pk: (lagging, "班子不团结")}

    refused = county_client.post(
        url("activities:grading", tree.township_a.pk), grading_post(data, picks)
    )

    assert refused.status_code == 400
    assert "本页的定级都没有保存" in refused.content.decode()
    assert "甲镇党委/甲村党支部」定为先进" in refused.content.decode()
    assert not OrgGrade.objects.exists()
    picks[tree.village_a.pk] = (best, "全年工作突出，获县级表彰")
    saved = county_client.post(
        url("activities:grading", tree.township_a.pk), grading_post(data, picks)
    )
    assert saved.status_code == 302
    assert OrgGrade.objects.get(org=tree.village_a).level == best
    again = county_client.get(url("activities:grading", tree.township_a.pk))
    assert again.context["form"][f"level_{tree.organ_a.pk}"].initial == str(lagging.pk)
    export = county_client.get(url("activities:grading", tree.township_a.pk, format="xlsx"))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[3][0] == "甲镇党委/甲村党支部" and rows[3][9] == "先进"


def test_it_grades_nothing_until_a_person_saves(tree, county_client):
    county_client.get(url("activities:grading", tree.township_a.pk))
    assert not OrgGrade.objects.exists()


def test_it_lets_the_clerk_read_but_not_grade(tree, clerk_a_client):
    page = clerk_a_client.get(url("activities:grading", tree.township_a.pk))
    assert page.status_code == 200
    posted = clerk_a_client.post(url("activities:grading", tree.township_a.pk), {})
    assert posted.status_code == 403


def test_it_hides_another_townships_grading(tree, clerk_b_client):
    assert clerk_b_client.get(url("activities:grading", tree.township_a.pk)).status_code == 404


def test_it_sends_the_county_to_a_township_and_the_clerk_to_their_own(
    tree, county_client, clerk_a_client
):
    assert (
        tree.township_b.name
        in county_client.get(reverse("activities:grading_home")).content.decode()
    )
    response = clerk_a_client.get(reverse("activities:grading_home"))
    assert response.url == reverse("activities:grading", args=[tree.township_a.pk])
    assert county_client.get(url("activities:grading", tree.village_a.pk)).status_code == 404


@pytest.mark.parametrize("branches", [2, 20])
def test_it_shows_the_grading_page_in_a_bounded_number_of_queries(
    tree, county_user, county_client, branches, django_assert_max_num_queries
):
    township = TownshipFactory(parent=tree.county)
    for _ in range(branches):
        MemberFactory(branch=BranchFactory(parent=township))
    # Session, user, permissions (2), node, levels, organisations and their labels,
    # grades, publication, star tallies, group ranks; the meetings' organisations, rules,
    # year tallies and committee posts; the session's save (savepoint, update, release).
    with django_assert_max_num_queries(19):
        response = county_client.get(url("activities:grading", township.pk))
    assert len(response.context["data"].rows) == branches


# --- Ending a last-ranked group leader's post ------------------------------------------------


def test_it_confirms_then_ends_the_leaders_post(tree, county_client, last_group):
    published = county_client.get(url("activities:rating_published", tree.township_a.pk))
    link = url("activities:group_leader_remove", tree.group_a1.pk)
    assert link.replace("&", "&amp;") in published.content.decode()
    page = county_client.get(link)
    body = page.content.decode()
    assert page.status_code == 200
    for text in (
        "甲村第一党小组",
        "末位组长",
        "2025年度",
        "年度排名末位的党小组，撤销党小组长职务",
    ):
        assert text in body
    response = county_client.post(link, {"on": "2026-02-01"})
    assert response.status_code == 302
    post = Post.objects.get(org=tree.group_a1)
    assert (post.ended_on, post.end_reason) == (D(2026, 2, 1), PostEndReason.REMOVED)
    again = county_client.post(link, {"on": "2026-02-02"})
    assert again.status_code == 400
    assert "党小组长职务已经结束" in again.content.decode()


def test_it_refuses_a_group_that_was_not_last(tree, county_client, last_group):
    link = url("activities:group_leader_remove", tree.group_a2.pk)
    assert "不是2025年度已发布" in county_client.get(link).content.decode()
    assert county_client.post(link, {"on": "2026-02-01"}).status_code == 400


def test_it_refuses_the_clerk_without_change_post(tree, clerk_a_client, last_group):
    link = url("activities:group_leader_remove", tree.group_a1.pk)
    assert clerk_a_client.get(link).status_code == 403
    assert clerk_a_client.post(link, {"on": "2026-02-01"}).status_code == 403
    assert Post.objects.get(org=tree.group_a1).ended_on is None


def test_it_hides_another_townships_group(tree, clerk_b_client, last_group):
    link = url("activities:group_leader_remove", tree.group_a1.pk)
    assert clerk_b_client.get(link).status_code == 404


def test_the_menu_leads_to_the_assessment(tree, clerk_a_client):
    home = clerk_a_client.get(reverse("activities:report_meetings"))
    assert "考核评议" in home.content.decode()
    assert "年度定级" in home.content.decode()
