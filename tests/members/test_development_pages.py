"""发展党员 pages: the clerk's steps, the county's exceptions, scope, the worklist items, the
plan, the 纪实表, the 花名册 and the report figures."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.development import services as dev
from members.idcard import make_id_number
from members.models import DevelopmentPlan, Recruit, Stage, Waiver
from tests.factories import BranchFactory, MemberFactory, TownshipFactory, UserFactory
from tests.members.test_development import ready

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# A 支部大会 of 20 with a vote, 15 present, all in favour.
UNANIMOUS = {
    "entitled": 20,
    "present": 15,
    "in_favour": 15,
    "against": 0,
    "abstained": 0,
    "written_in_favour": 0,
    "written_against": 0,
    "written_abstained": 0,
}
_serial = iter(range(100, 999))


def _today() -> datetime.date:
    return timezone.localdate()


def applicant(branch, *, applied_on=None, name="赵思雨") -> Recruit:
    return dev.recruit_apply(
        name=name,
        id_number=make_id_number("110105", datetime.date(1999, 3, 8), next(_serial)),
        branch=branch,
        applied_on=applied_on or _today() - 10 * DAY,
    )


def detail(recruit) -> str:
    return reverse("members:recruit_detail", args=[recruit.pk])


def test_the_clerk_registers_an_applicant_and_records_the_talk(tree, clerk_a_client):
    page = clerk_a_client.get(reverse("members:recruit_add")).content.decode()
    assert "乙村党支部" not in page  # another township's branches are not offered
    response = clerk_a_client.post(
        reverse("members:recruit_add"),
        {
            "name": "孙梦洁",
            "id_number": make_id_number("110105", datetime.date(2001, 4, 2), 22),
            "branch": tree.village_a.pk,
            "applied_on": (_today() - 40 * DAY).isoformat(),
            "ethnicity": "汉族",
        },
    )
    recruit = Recruit.objects.get()
    assert response.url == detail(recruit)
    page = clerk_a_client.get(detail(recruit)).content.decode()
    assert "已登记入党申请人孙梦洁" in page and 'id="step-talk"' in page
    assert 'id="step-activist"' not in page

    # Forty days on: the talk is late, refused with the rule and the dates.
    late = clerk_a_client.post(
        detail(recruit), {"step": "talk", "talk_on": _today().isoformat(), "talk_by": "李书记"}
    )
    assert late.status_code == 200
    assert "一个月内派人谈话" in late.content.decode()
    assert Recruit.objects.get().talk_on is None

    talk_on = _today() - 35 * DAY
    done = clerk_a_client.post(
        detail(recruit), {"step": "talk", "talk_on": talk_on.isoformat(), "talk_by": "李书记"}
    )
    assert done.status_code == 302
    page = clerk_a_client.get(detail(recruit)).content.decode()
    assert "已登记孙梦洁：谈话" in page and 'id="step-activist"' in page
    assert Recruit.objects.get().talk_on == talk_on


def test_a_step_that_does_not_apply_is_refused(tree, clerk_a_client):
    recruit = applicant(tree.village_a)
    response = clerk_a_client.post(detail(recruit), {"step": "admit", "held_on": "2026-01-01"})
    assert response.status_code == 302
    assert "这一步不适用" in clerk_a_client.get(detail(recruit)).content.decode()


def test_the_county_records_an_exception_the_clerk_then_passes(tree, county_client, clerk_a_client):
    recruit = applicant(tree.village_a, applied_on=_today() - 60 * DAY)
    talk = {"step": "talk", "talk_on": (_today() - 5 * DAY).isoformat(), "talk_by": "李书记"}
    assert clerk_a_client.post(detail(recruit), talk).status_code == 200
    waiver = {
        "rule": "talk",
        "reason": "申请人长期在外务工",
        "document_number": "县组字〔2026〕8号",
    }
    assert (
        clerk_a_client.post(reverse("members:recruit_waive", args=[recruit.pk]), waiver).status_code
        == 403
    )
    response = county_client.post(reverse("members:recruit_waive", args=[recruit.pk]), waiver)
    assert response.status_code == 302
    assert Waiver.objects.get().document_number == "县组字〔2026〕8号"
    assert clerk_a_client.post(detail(recruit), talk).status_code == 302
    page = clerk_a_client.get(detail(recruit)).content.decode()
    assert "一个月内谈话：例外，申请人长期在外务工（县组字〔2026〕8号）" in page


def test_another_townships_people_do_not_exist(tree, clerk_b_client, secretary_a_client):
    recruit = applicant(tree.village_a)
    for url in (
        detail(recruit),
        reverse("members:recruit_sheet", args=[recruit.pk]),
    ):
        assert clerk_b_client.get(url).status_code == 404
    talk = {"step": "talk", "talk_on": _today().isoformat(), "talk_by": "王"}
    assert clerk_b_client.post(detail(recruit), talk).status_code == 404
    listing = clerk_b_client.get(reverse("members:recruit_list"), {"stage": "applicant"})
    assert recruit.name not in listing.content.decode()
    # The branch secretary reads but does not write.
    assert secretary_a_client.get(detail(recruit)).status_code == 200
    assert secretary_a_client.post(detail(recruit), talk).status_code == 403
    assert Recruit.objects.get().talk_on is None


def test_the_worklist_names_the_talk_due_until_it_is_recorded(tree, clerk_a_client):
    recruit = applicant(tree.village_a, applied_on=_today() - 40 * DAY, name="钱多多")
    worklist = reverse("activities:worklist")
    page = clerk_a_client.get(worklist).content.decode()
    assert 'id="development"' in page
    assert f'data-recruit="{recruit.pk}" data-step="talk" class="late"' in page
    assert "入党申请人谈话：钱多多" in page and "已逾期" in page
    dev.waiver_record(
        recruit=recruit,
        rule="talk",
        reason="外出务工",
        document_number="1号",
        user=recruit_user(tree),
    )
    dev.recruit_talk(recruit=recruit, talk_on=_today(), talk_by="李书记")
    assert f'data-recruit="{recruit.pk}"' not in clerk_a_client.get(worklist).content.decode()


def recruit_user(tree):
    return UserFactory(org=tree.county)


def test_the_worklist_names_probations_ending_and_approvals_outstanding(tree, clerk_a_client):
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=datetime.date(2025, 6, 10), **UNANIMOUS)
    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()
    assert "决议已过三个月未审批" in page
    dev.waiver_record(
        recruit=recruit,
        rule="approval",
        reason="特殊情况",
        document_number="2号",
        user=recruit_user(tree),
    )
    dev.recruit_approve_admission(recruit=recruit, approved_on=datetime.date(2025, 11, 1))
    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()
    assert "决议已过三个月未审批" not in page
    # Probation ended on 2026-06-10 with no 转正 decision.
    if _today() > datetime.date(2026, 6, 10):
        assert "预备期已满，尚未讨论转正" in page
        assert 'data-step="confirm" class="late"' in page


@pytest.mark.parametrize("people", [2, 20])
def test_the_worklist_with_development_items_runs_a_constant_number_of_queries(
    tree, clerk_a_client, people, django_assert_num_queries
):
    for i in range(people):
        applicant(tree.village_a, applied_on=_today() - (20 + i) * DAY, name=f"申请人{i}")
    worklist = reverse("activities:worklist")
    clerk_a_client.get(worklist)
    with django_assert_num_queries(25):  # as tests/activities/test_views.py counts
        page = clerk_a_client.get(worklist).content.decode()
    assert page.count('data-step="talk"') == people


def test_the_record_sheet_prints_one_page_per_stage(tree, clerk_a_client, county_client):
    recruit = ready(tree)
    page = clerk_a_client.get(reverse("members:recruit_sheet", args=[recruit.pk])).content.decode()
    assert page.count('class="sheet"') == 5
    for title in (
        "入党申请人阶段",
        "入党积极分子阶段",
        "发展对象阶段",
        "预备党员阶段",
        "预备党员转正阶段",
    ):
        assert title in page
    assert recruit.id_number in page  # the clerk may see whole numbers (and it is logged)
    assert "2025年6月2日至2025年6月6日" in page  # the 公示


def test_the_activist_roster_exports_in_the_import_columns(
    tree, clerk_a_client, secretary_a_client
):
    contact = MemberFactory(branch=tree.village_a, name="培养人甲")
    recruit = applicant(tree.village_a, applied_on=datetime.date(2025, 1, 6))
    dev.recruit_talk(recruit=recruit, talk_on=datetime.date(2025, 1, 20), talk_by="李书记")
    dev.recruit_designate_activist(
        recruit=recruit,
        activist_on=datetime.date(2025, 3, 1),
        activist_how="recommended",
        activist_committee_on=datetime.date(2025, 3, 1),
        activist_filed_on=None,
        contact_1=contact,
    )
    url = reverse("members:recruit_list")
    response = clerk_a_client.get(url, {"stage": "activist", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "入党积极分子花名册"
    header, line = rows[2], rows[3]
    values = dict(zip(header, line, strict=True))
    assert values["姓名"] == recruit.name and values["培养联系人"] == "培养人甲"
    assert values["所在党支部"] == "甲镇党委/甲村党支部"
    assert values["公民身份证号"] == recruit.id_number
    assert values["确定为入党积极分子日期"].date() == datetime.date(2025, 3, 1)
    masked = secretary_a_client.get(url, {"stage": "activist", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(masked.content)).active.iter_rows(values_only=True))
    assert "*" in rows[3][4]
    assert rows[3][3] == "1999-03"  # the birth date is in the number: the month only


# --- the plan ----------------------------------------------------------------------------


def test_the_county_sets_the_plan_and_sees_it_against_admissions(
    tree, county_client, clerk_a_client
):
    year = _today().year
    edit = reverse("members:development_plan_edit") + f"?year={year}"
    a, b = f"u{tree.township_a.pk}", f"u{tree.township_b.pk}"
    bad = county_client.post(edit, {f"{a}-planned": "5", f"{a}-young": "6", f"{b}-planned": "3"})
    assert bad.status_code == 200 and "其中35岁及以下不能多于计划发展人数" in bad.content.decode()
    assert not DevelopmentPlan.objects.exists()  # nothing written while one row is wrong
    ok = county_client.post(edit, {f"{a}-planned": "5", f"{a}-young": "3", f"{b}-planned": "3"})
    assert ok.status_code == 302
    assert DevelopmentPlan.objects.get(township=tree.township_a, year=year).young == 3
    assert clerk_a_client.post(edit, {f"{a}-planned": "9"}).status_code == 403

    applicant(tree.village_a)
    plan = county_client.get(reverse("members:development_plan")).context["plan"]
    row_a = next(r for r in plan.rows if r.unit == tree.township_a)
    assert (row_a.planned, row_a.pipeline[Stage.APPLICANT]) == (5, 1)
    # Both villages have no member who joined in the last two years.
    assert row_a.quiet_villages == ["甲村党支部"]
    MemberFactory(branch=tree.village_a, joined_on=_today() - 100 * DAY)
    plan = county_client.get(reverse("members:development_plan")).context["plan"]
    assert next(r for r in plan.rows if r.unit == tree.township_a).quiet_villages == []
    assert plan.total.planned == 8


def test_the_plan_counts_admissions_of_the_year(tree, county_client):
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=datetime.date(2025, 6, 10), **UNANIMOUS)
    dev.recruit_approve_admission(recruit=recruit, approved_on=datetime.date(2025, 7, 1))
    plan = county_client.get(reverse("members:development_plan"), {"year": 2025}).context["plan"]
    row_a = next(r for r in plan.rows if r.unit == tree.township_a)
    assert (row_a.admitted, row_a.women, row_a.young) == (1, 1, 1)
    assert plan.total.admitted == 1
    assert (row_a.waivers, plan.total.waivers) == (0, 0)
    dev.waiver_record(
        recruit=recruit,
        rule="probation",
        reason="因病",
        document_number="5号",
        user=recruit_user(tree),
    )
    plan = county_client.get(reverse("members:development_plan"), {"year": 2025}).context["plan"]
    assert next(r for r in plan.rows if r.unit == tree.township_a).waivers == 1
    response = county_client.get(
        reverse("members:development_plan"), {"year": 2025, "format": "xlsx"}
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    exported = {row[0]: dict(zip(rows[1], row, strict=True)) for row in rows[2:]}
    assert exported["甲镇党委"]["已接收预备党员"] == 1
    assert exported["甲镇党委"]["时限例外"] == 1
    assert exported["合计"]["已接收预备党员"] == 1


@pytest.mark.parametrize("townships", [2, 20])
def test_the_plan_page_runs_a_constant_number_of_queries(
    tree, county_client, townships, django_assert_num_queries
):
    for i in range(townships - 2):
        township = TownshipFactory(parent=tree.county, name=f"新{i}镇党委", code=f"T{i}")
        village = BranchFactory(
            parent=township, name=f"新{i}村党支部", code=f"T{i}V", category="village"
        )
        applicant(village, name=f"新{i}")
        DevelopmentPlan.objects.create(township=township, year=_today().year, planned=4)
    url = reverse("members:development_plan")
    county_client.get(url)
    # session + user (2), permissions (2), county units, plans, people by branch,
    # exceptions by branch, quiet villages (5), session save (3).
    with django_assert_num_queries(12):
        response = county_client.get(url)
    assert len(response.context["plan"].rows) == townships


# --- reports ---------------------------------------------------------------------------


def test_the_summary_paragraph_counts_the_pipeline_of_the_day(tree, county_client):
    for i in range(3):
        applicant(tree.village_a, applied_on=_today() - (30 + i) * DAY, name=f"甲{i}")
    recruit = applicant(tree.organ_a, applied_on=_today() - 400 * DAY, name="积极分子")
    dev.waiver_record(
        recruit=recruit, rule="talk", reason="补录", document_number="3号", user=recruit_user(tree)
    )
    dev.recruit_talk(recruit=recruit, talk_on=_today() - 390 * DAY, talk_by="李书记")
    dev.recruit_designate_activist(
        recruit=recruit,
        activist_on=_today() - 20 * DAY,
        activist_how="nominated",
        activist_committee_on=_today() - 20 * DAY,
        activist_filed_on=None,
        contact_1=MemberFactory(branch=tree.organ_a),
    )
    applicant(tree.village_b, name="乙镇的人")
    url = reverse("reports:summary", args=[tree.township_a.pk])
    text = county_client.get(url).context["text"]
    assert "入党申请人3名，入党积极分子1名，发展对象0名" in text
    # A month ago the activist was still an applicant.
    before = county_client.get(url, {"on": (_today() - 30 * DAY).isoformat()}).context["text"]
    assert "入党申请人4名，入党积极分子0名，发展对象0名" in before
    overview = county_client.get(reverse("reports:overview", args=[tree.township_a.pk]))
    assert overview.context["development"]["activists"] == 1
    assert 'id="development"' in overview.content.decode()


@pytest.mark.parametrize("people", [2, 20])
def test_the_list_runs_a_constant_number_of_queries(
    tree, clerk_a_client, people, django_assert_num_queries
):
    contact = MemberFactory(branch=tree.village_a)
    for i in range(people):
        recruit = applicant(tree.village_a, applied_on=_today() - 60 * DAY, name=f"积极分子{i}")
        dev.recruit_talk(recruit=recruit, talk_on=_today() - 50 * DAY, talk_by="李书记")
        dev.recruit_designate_activist(
            recruit=recruit,
            activist_on=_today() - 10 * DAY,
            activist_how="recommended",
            activist_committee_on=_today() - 10 * DAY,
            activist_filed_on=None,
            contact_1=contact,
        )
    url = reverse("members:recruit_list")
    clerk_a_client.get(url)
    # session + user (2), permissions (2), the stage counts, the page's count and rows
    # with their branches and contacts (3), session save (3).
    with django_assert_num_queries(10):
        page = clerk_a_client.get(url, {"stage": "activist"}).content.decode()
    assert page.count("积极分子") >= people


def test_a_persons_page_runs_a_fixed_number_of_queries(
    tree, clerk_a_client, django_assert_num_queries
):
    recruit = ready(tree)
    url = detail(recruit)
    clerk_a_client.get(url)
    # session + user (2), permissions (2), the person with branch, group, contacts and
    # introducers, their votes, exceptions and assessments (4), session save (3).
    with django_assert_num_queries(11):
        response = clerk_a_client.get(url)
    assert [s for s, *_ in response.context["steps"]] == [
        "review",
        "train",
        "prepare",
        "admit",
        "leave",
    ]


def test_the_members_admin_page_links_the_development_record(tree, clerk_a_client):
    recruit = ready(tree)
    dev.recruit_admission_vote(recruit=recruit, held_on=datetime.date(2025, 6, 10), **UNANIMOUS)
    dev.recruit_approve_admission(recruit=recruit, approved_on=datetime.date(2025, 7, 1))
    recruit.refresh_from_db()
    page = clerk_a_client.get(
        reverse("admin:members_member_change", args=[recruit.member_id])
    ).content.decode()
    assert f'href="{detail(recruit)}"' in page and "查看纪实（预备党员）" in page
