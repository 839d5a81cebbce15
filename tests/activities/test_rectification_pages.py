"""软弱涣散整顿 pages: the register (overdue highlighted, scope, filters, export, query
counts), opening a case, the case page's writes and refusals, the marks on the tree
home and the reports, and the worklist's section."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from activities.models import ModelSite, RectificationCase, RectificationMeasure
from activities.rectification import services
from activities.rectification.services import MeasureInput
from tests.factories import BranchFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 6, 15)
LIST = "activities:rectification_list"


@pytest.fixture(autouse=True)
def june():
    with frozen(NOW):
        yield


def case_of(org, by, *, year=2026, measures=None) -> RectificationCase:
    return services.rectification_open(
        org=org,
        year=year,
        identified_on=D(year, 3, 1),
        reasons=["no_activity", "loose"],
        reason_note="组织生活不正常",
        county_leader="王县长",
        township_cadre="李干部",
        plan="恢复三会一课",
        measures=measures
        or [
            MeasureInput("调整支部书记", D(year, 5, 1)),
            MeasureInput("恢复支部党员大会", D(year, 12, 31)),
        ],
        by=by,
    )


def detail(case) -> str:
    return reverse("activities:rectification_detail", args=[case.pk])


def test_the_register_highlights_and_counts_overdue_measures(tree, county_user, county_client):
    case = case_of(
        tree.village_a,
        county_user,
        measures=[
            MeasureInput("逾期一", D(2026, 4, 1)),
            MeasureInput("逾期但已完成", D(2026, 4, 1)),
            MeasureInput("未到期", D(2026, 9, 1)),
        ],
    )
    done = case.measures.get(text="逾期但已完成")
    services.rectification_progress_record(
        case=case,
        on=D(2026, 4, 2),
        text="已完成",
        measure=done,
        done=True,
        today=D(2026, 6, 15),
        by=county_user,
    )
    page = county_client.get(reverse(LIST)).content.decode()
    assert 'class="num late overdue"><strong>1</strong>' in page
    assert "1 / 3" in page and "2026-04-02" in page and "组织生活不正常、活动开展少" in page
    assert '<strong id="overdue-total">1</strong>' in page
    body = county_client.get(detail(case)).content.decode()
    assert body.count("逾期未完成") == 1 and "2026-04-02完成" in body


def test_the_register_lists_only_the_own_township_and_exports_the_same(
    tree, county_user, clerk_b_client, county_client
):
    case_of(tree.village_a, county_user)
    case_of(tree.village_b, county_user)
    page = clerk_b_client.get(reverse(LIST)).content.decode()
    assert "乙村党支部" in page and "甲村党支部" not in page
    page = county_client.get(reverse(LIST), {"township": tree.township_a.pk}).content.decode()
    assert "甲村党支部" in page and "乙村党支部" not in page
    assert clerk_b_client.get(reverse(LIST), {"township": tree.township_a.pk}).status_code == 404
    response = county_client.get(reverse(LIST), {"format": "xlsx", "state": "open"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert [r[0] for r in rows[2:]] == ["甲镇党委/甲村党支部", "乙镇党委/乙村党支部"]
    assert rows[2][8] == 1  # one overdue measure, as on the page


def test_another_townships_case_is_404_and_the_clerk_may_not_open_or_close(
    tree, county_user, clerk_b_client, clerk_a_client
):
    case = case_of(tree.village_a, county_user)
    assert clerk_b_client.get(detail(case)).status_code == 404
    url = reverse("activities:rectification_progress", args=[case.pk])
    assert clerk_b_client.post(url, {"on": "2026-06-01", "text": "x"}).status_code == 404
    assert clerk_a_client.get(reverse("activities:rectification_add")).status_code == 403
    close = reverse("activities:rectification_close", args=[case.pk])
    data = {"closed_on": "2026-06-10", "closing_decision": "县组字〔2026〕9号"}
    assert clerk_a_client.post(close, data).status_code == 403
    add = reverse("activities:rectification_measure_add", args=[case.pk])
    assert clerk_a_client.post(add, {"text": "x", "deadline": "2026-09-01"}).status_code == 403
    page = clerk_a_client.get(detail(case)).content.decode()
    assert 'id="progress-form"' in page and 'id="close-form"' not in page


def test_the_county_opens_a_case_with_its_measures(tree, county_client):
    url = reverse("activities:rectification_add") + f"?org={tree.village_a.pk}&year=2026"
    assert "甲镇党委/甲村党支部" in county_client.get(url).content.decode()
    data = {
        "org": tree.village_a.pk,
        "year": "2026",
        "identified_on": "2026-03-01",
        "reasons": ["leadership", "economy"],
        "reason_note": "班子不团结",
        "county_leader": "王县长",
        "township_cadre": "李干部",
        "plan": "调整班子",
        "measure_1": "调整支部书记",
        "deadline_1": "2026-05-01",
        "measure_3": "发展集体经济",
        "deadline_3": "2026-12-01",
    }
    response = county_client.post(url, data)
    case = RectificationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(case)
    assert case.reasons == ["leadership", "economy"] and case.measures.count() == 2
    again = county_client.post(url, data).content.decode()
    assert "已列入2026年软弱涣散整顿" in again and RectificationCase.objects.count() == 1


def test_a_bad_measure_row_writes_nothing(tree, county_client):
    data = {
        "org": tree.village_a.pk,
        "year": "2026",
        "identified_on": "2026-03-01",
        "reasons": ["leadership"],
        "reason_note": "班子不团结",
        "county_leader": "王县长",
        "township_cadre": "李干部",
        "measure_1": "调整支部书记",
        "deadline_1": "2026-05-01",
        "measure_2": "补开会议",  # no deadline
    }
    refused = county_client.post(reverse("activities:rectification_add"), data)
    assert refused.status_code == 400
    assert "第2条整改措施未填写完成时限" in refused.content.decode()
    data["deadline_2"] = "2025-01-01"  # before the case was identified
    page = county_client.post(reverse("activities:rectification_add"), data).content.decode()
    assert "第2条整改措施的完成时限2025-01-01早于确定日期" in page
    assert not RectificationCase.objects.exists() and not RectificationMeasure.objects.exists()


def test_progress_marks_a_measure_done_and_the_county_closes_the_case(
    tree, county_user, clerk_a_client, county_client
):
    case = case_of(tree.village_a, county_user)
    first, second = case.measures.order_by("deadline")
    progress = reverse("activities:rectification_progress", args=[case.pk])
    future = clerk_a_client.post(progress, {"on": "2026-07-01", "text": "x"}).content.decode()
    assert "进展日期不能晚于今天" in future
    response = clerk_a_client.post(
        progress, {"on": "2026-06-01", "text": "新书记到任", "measure": first.pk, "done": "on"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.done_on == D(2026, 6, 1)
    close = reverse("activities:rectification_close", args=[case.pk])
    data = {"closed_on": "2026-06-10", "closing_decision": "县组字〔2026〕9号"}
    page = county_client.post(close, data).content.decode()
    assert "还有1条整改措施未完成" in page
    data["closing_assessment"] = "党员大会已按季度召开，其余转入常态化"
    assert county_client.post(close, data).status_code == 302
    case.refresh_from_db()
    assert case.closed_on == D(2026, 6, 10)
    # Read-only from now on: no forms, and a write is refused with a message.
    page = county_client.get(detail(case)).content.decode()
    assert "已销号" in page and "<form" not in page.split('id="progress"')[1]
    response = county_client.post(
        reverse("activities:rectification_measure_add", args=[case.pk]),
        {"text": "再加一条", "deadline": "2026-09-01"},
        follow=True,
    )
    assert "整顿已销号，不能再登记" in response.content.decode()
    assert second.case.measures.count() == 2


def test_marks_on_the_tree_home_and_the_reports(
    tree, county_user, secretary_a, client, county_client
):
    case_of(tree.village_a, county_user)
    closed = case_of(tree.organ_a, county_user)
    services.rectification_close(
        case=closed,
        closed_on=D(2026, 6, 1),
        closing_decision="县组字〔2026〕3号",
        closing_assessment="已整改到位",
        today=D(2026, 6, 15),
    )
    ModelSite.objects.create(org=tree.village_b, year=2025, level="city")
    client.force_login(secretary_a)
    home = client.get(reverse("home")).content.decode()
    assert '<em class="tag org-mark">软弱涣散</em>' in home
    overview = county_client.get(reverse("reports:overview", args=[tree.township_a.pk]))
    rows = overview.content.decode().split("甲镇机关党支部</a>")
    assert '<em class="tag org-mark">软弱涣散</em>' in rows[0]
    assert "org-mark" not in rows[1].split("</tr>")[0]  # the closed case
    compliance = county_client.get(reverse("reports:compliance", args=[tree.township_b.pk]))
    assert '<em class="tag org-mark">示范点 2025 市级</em>' in compliance.content.decode()


def test_the_worklist_lists_open_cases_with_overdue_measures(
    tree, county_user, clerk_a_client, clerk_b_client
):
    case = case_of(tree.village_a, county_user)
    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()
    assert f'<li data-case="{case.pk}" class="late">' in page
    assert "整改措施逾期未完成1条：甲镇党委/甲村党支部" in page
    assert (
        'id="rectification"'
        not in clerk_b_client.get(reverse("activities:worklist")).content.decode()
    )


@pytest.mark.parametrize("n", [2, 20])
def test_the_register_reads_a_fixed_number_of_queries(
    tree, county_user, county_client, n, django_assert_max_num_queries
):
    for i in range(n):
        branch = BranchFactory(parent=tree.township_a if i % 2 else tree.township_b)
        case = case_of(branch, county_user)
        services.rectification_progress_record(
            case=case, on=D(2026, 4, 1), text="进展", today=D(2026, 6, 15), by=county_user
        )
        ModelSite.objects.create(org=branch, year=2026, level="county")
    # Session, user, permissions (two), the townships, the cases with their counts,
    # their labels, the model sites, their labels, and the session's save (savepoint,
    # update, release): twelve for 2 cases as for 20.
    with django_assert_max_num_queries(12):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-case=") == n


@pytest.mark.parametrize("n", [2, 20])
def test_the_case_page_reads_a_fixed_number_of_queries(
    tree, county_user, county_client, n, django_assert_max_num_queries
):
    case = case_of(
        tree.village_a,
        county_user,
        measures=[MeasureInput(f"措施{i}", D(2026, 5, 1)) for i in range(n)],
    )
    for measure in case.measures.all():
        services.rectification_progress_record(
            case=case,
            on=D(2026, 4, 1),
            text="进展",
            measure=measure,
            today=D(2026, 6, 15),
            by=county_user,
        )
    # Session, user, permissions (two), the case, its measures, its progress, the
    # progress form's measure choices, and the session's save (savepoint, update,
    # release): eleven for 2 measures as for 20.
    with django_assert_max_num_queries(11):
        response = county_client.get(detail(case))
    assert response.content.decode().count("data-measure=") == n
