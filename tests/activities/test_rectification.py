"""The 软弱涣散 register's services and selectors: opening a case atomically, progress
marking a measure done, closing (销号), a closed case refusing writes, overdue
measures, the marks beside an organisation's name and the worklist's cases."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from activities.models import (
    GradeLevel,
    ModelSite,
    OrgGrade,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
)
from activities.rectification import selectors, services
from activities.rectification.services import MeasureInput
from tests.factories import BranchFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 6, 15)


def open_case(org, by, *, year=2026, measures=None, **fields) -> RectificationCase:
    values = {
        "org": org,
        "year": year,
        "identified_on": D(year, 3, 1),
        "reasons": ["no_activity"],
        "reason_note": "全年只开过两次支部党员大会",
        "county_leader": "王县长",
        "township_cadre": "李干部",
        "plan": "调整班子，恢复三会一课",
        "measures": measures
        or [
            MeasureInput("调整支部书记", D(year, 5, 1)),  # overdue on TODAY
            MeasureInput("恢复支部党员大会", D(year, 12, 31)),  # not yet due
        ],
        "by": by,
    }
    values.update(fields)
    return services.rectification_open(**values)


def test_it_opens_a_case_with_its_measures_and_the_lagging_grade(tree, county_user):
    grade = OrgGrade.objects.create(
        org=tree.village_a,
        year=2026,
        level=GradeLevel.objects.get(lagging=True),
        reasons="后进",
        graded_by=county_user,
        graded_at=datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC),
    )
    case = open_case(tree.village_a, county_user)
    assert case.grade == grade
    assert [m.text for m in case.measures.order_by("deadline")] == [
        "调整支部书记",
        "恢复支部党员大会",
    ]


def test_a_bad_measure_row_writes_nothing(tree, county_user):
    with pytest.raises(ValidationError) as refused:
        open_case(
            tree.village_a,
            county_user,
            measures=[
                MeasureInput("调整支部书记", D(2026, 5, 1)),
                MeasureInput("补课", D(2025, 1, 1)),
            ],
        )
    assert "第2条整改措施" in str(refused.value)
    assert not RectificationCase.objects.exists()
    assert not RectificationMeasure.objects.exists()


def test_it_refuses_a_case_identified_after_today(tree, county_user):
    with frozen(beijing(2026, 3, 10)), pytest.raises(ValidationError, match="不能晚于今天"):
        open_case(tree.village_a, county_user, identified_on=D(2026, 3, 11))
    assert not RectificationCase.objects.exists()


def test_it_refuses_a_duplicate_case_and_a_township(tree, county_user):
    open_case(tree.village_a, county_user)
    with pytest.raises(ValidationError, match="不能重复登记"):
        open_case(tree.village_a, county_user)
    with pytest.raises(ValidationError, match="不是基层党委、党总支或党支部"):
        open_case(tree.township_a, county_user)


def test_progress_marks_a_measure_done_and_is_dated_within_the_case(tree, county_user, clerk_a):
    case = open_case(tree.village_a, county_user)
    first = case.measures.order_by("deadline").first()
    services.rectification_progress_record(
        case=case,
        on=D(2026, 6, 1),
        text="新书记已到任",
        measure=first,
        done=True,
        today=TODAY,
        by=clerk_a,
    )
    first.refresh_from_db()
    assert first.done_on == D(2026, 6, 1)
    for on in (D(2026, 2, 1), D(2026, 7, 1)):  # before identified_on, in the future
        with pytest.raises(ValidationError):
            services.rectification_progress_record(
                case=case, on=on, text="x", today=TODAY, by=clerk_a
            )
    assert RectificationProgress.objects.count() == 1


def test_closing_needs_the_assessment_while_measures_are_undone(tree, county_user):
    case = open_case(tree.village_a, county_user)
    close = {"closed_on": D(2026, 6, 10), "closing_decision": "县组字〔2026〕9号", "today": TODAY}
    with pytest.raises(ValidationError, match="还有2条整改措施未完成"):
        services.rectification_close(case=case, closing_assessment="", **close)
    with pytest.raises(ValidationError, match="早于确定日期"):
        services.rectification_close(
            case=case, closing_assessment="已整改", **{**close, "closed_on": D(2026, 2, 1)}
        )
    services.rectification_close(
        case=case, closing_assessment="班子已调整到位，其余措施转入常态", **close
    )
    case.refresh_from_db()
    assert case.closed_on == D(2026, 6, 10) and not case.is_open


def test_a_closed_case_refuses_every_write(tree, county_user, clerk_a):
    case = open_case(tree.village_a, county_user)
    for measure in case.measures.all():
        services.rectification_progress_record(
            case=case,
            on=D(2026, 6, 1),
            text="完成",
            measure=measure,
            done=True,
            today=TODAY,
            by=clerk_a,
        )
    services.rectification_close(
        case=case,
        closed_on=D(2026, 6, 10),
        closing_decision="县组字〔2026〕9号",
        closing_assessment="",
        today=TODAY,
    )
    with pytest.raises(ValidationError, match="已于2026-06-10销号"):
        services.rectification_measure_add(case=case, text="再加一条", deadline=D(2026, 9, 1))
    with pytest.raises(ValidationError, match="销号"):
        services.rectification_progress_record(
            case=case, on=D(2026, 6, 12), text="x", today=TODAY, by=clerk_a
        )


def test_the_register_counts_only_overdue_undone_measures(tree, county_user, clerk_a):
    case = open_case(
        tree.village_a,
        county_user,
        measures=[
            MeasureInput("逾期", D(2026, 4, 1)),
            MeasureInput("逾期但已完成", D(2026, 4, 1)),
            MeasureInput("未到期", D(2026, 12, 1)),
        ],
    )
    done = case.measures.get(text="逾期但已完成")
    services.rectification_progress_record(
        case=case, on=D(2026, 5, 2), text="完成", measure=done, done=True, today=TODAY, by=clerk_a
    )
    (row,) = selectors.register_rows(user=county_user, year=2026, state="all", today=TODAY)
    assert (row.measures_total, row.measures_done, row.overdue) == (3, 1, 1)
    assert row.last_progress == D(2026, 5, 2)
    (work,) = selectors.rectification_work(user=clerk_a, root=tree.township_a, today=TODAY)["cases"]
    assert work.pk == case.pk and work.overdue == 1
    assert not selectors.rectification_work(
        user=clerk_a, root=tree.township_a, today=D(2026, 3, 2)
    )["cases"]


def test_the_register_keeps_earlier_open_cases_and_filters_by_state(tree, county_user):
    old = open_case(tree.village_a, county_user, year=2025)
    new = open_case(tree.village_b, county_user)
    rows = selectors.register_rows(user=county_user, year=2026, state="open", today=TODAY)
    assert {r.pk: r.earlier for r in rows} == {old.pk: True, new.pk: False}
    assert not selectors.register_rows(user=county_user, year=2026, state="closed", today=TODAY)
    rows = selectors.register_rows(
        user=county_user, year=2026, state="all", today=TODAY, township=tree.township_b
    )
    assert [r.pk for r in rows] == [new.pk]


def test_the_marks_name_open_cases_and_the_latest_model_site(
    tree, county_user, django_assert_num_queries
):
    open_case(tree.village_a, county_user)
    closed = open_case(tree.organ_a, county_user)
    services.rectification_close(
        case=closed,
        closed_on=D(2026, 6, 1),
        closing_decision="县组字〔2026〕3号",
        closing_assessment="已整改到位",
        today=TODAY,
    )
    ModelSite.objects.create(org=tree.village_b, year=2024, level="county")
    ModelSite.objects.create(org=tree.village_b, year=2025, level="county")
    ModelSite.objects.create(org=tree.village_b, year=2025, level="city")
    others = [BranchFactory(parent=tree.township_b).pk for _ in range(5)]
    # Two queries whatever the number of organisations: open cases, model sites.
    with django_assert_num_queries(2):
        marks = selectors.org_marks(
            [tree.village_a.pk, tree.organ_a.pk, tree.village_b.pk, *others]
        )
    assert marks == {tree.village_a.pk: ["软弱涣散"], tree.village_b.pk: ["示范点 2025 市级"]}
