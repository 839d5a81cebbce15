"""Writes of the 软弱涣散 register: opening a case with its plan's measures, recording
progress (and a measure done), adding a measure, and closing the case (整顿销号).

Every write locks the case row first: a progress entry and the closing of the
same case sent at the same moment cannot both pass the "still open" check.
A closed case is read-only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from activities.models import (
    OrgGrade,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
)
from branches.models import Organization, OrgKind

# The organisations a case may be opened for: 基层党委, 党总支 and 党支部 (DOMAIN.md).
CASE_ORG_KINDS = (OrgKind.PRIMARY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)


@dataclass(frozen=True)
class MeasureInput:
    text: str
    deadline: datetime.date


def lagging_grade(*, org: Organization, year: int) -> OrgGrade | None:
    """The org's grade for *year* when its level is a lagging one (后进): what a case
    opened that year rests on."""
    return (
        OrgGrade.objects.filter(org=org, year=year, level__lagging=True)
        .select_related("level")
        .first()
    )


def _locked(case: RectificationCase) -> RectificationCase:
    """The case re-read under a row lock; refused once it is closed."""
    locked = RectificationCase.objects.select_for_update().get(pk=case.pk)
    if not locked.is_open:
        raise ValidationError(
            f"{case.org}的{case.year}年软弱涣散整顿已于{locked.closed_on:%Y-%m-%d}销号，不能再修改。"
        )
    return locked


def _measure(case: RectificationCase, item: MeasureInput, row: int | None = None):
    measure = RectificationMeasure(case=case, text=item.text.strip(), deadline=item.deadline)
    where = f"第{row}条整改措施" if row else "整改措施"
    if not measure.text:
        raise ValidationError({"measures": f"{where}未填写内容。"})
    if item.deadline < case.identified_on:
        raise ValidationError(
            {"measures": f"{where}的完成时限{item.deadline:%Y-%m-%d}早于确定日期。"}
        )
    try:
        measure.full_clean(exclude=["case"])
    except ValidationError as exc:
        raise ValidationError({"measures": [f"{where}：{m}" for m in exc.messages]}) from exc
    return measure


@transaction.atomic
def rectification_open(
    *,
    org: Organization,
    year: int,
    identified_on: datetime.date,
    reasons: list[str],
    reason_note: str,
    county_leader: str,
    township_cadre: str,
    plan: str,
    measures: list[MeasureInput],
    by,
) -> RectificationCase:
    """Put *org* on the register for *year* with its plan's measures: all or nothing.

    The case rests on the org's lagging grade of that year where there is one.
    """
    if org.kind not in CASE_ORG_KINDS:
        raise ValidationError({"org": f"{org.name}不是基层党委、党总支或党支部，不能列入整顿。"})
    if identified_on.year < year:
        raise ValidationError({"identified_on": "确定日期不能早于排查年度。"})
    if identified_on > timezone.localdate():
        raise ValidationError({"identified_on": "确定日期不能晚于今天：请在确定整顿对象后登记。"})
    if not measures:
        raise ValidationError({"measures": "请至少填写一条整改措施。"})
    if RectificationCase.objects.filter(org=org, year=year).exists():
        raise ValidationError({"org": f"{org.name}已列入{year}年软弱涣散整顿，不能重复登记。"})
    case = RectificationCase(
        org=org,
        year=year,
        identified_on=identified_on,
        grade=lagging_grade(org=org, year=year),
        reasons=list(dict.fromkeys(reasons)),
        reason_note=reason_note,
        county_leader=county_leader,
        township_cadre=township_cadre,
        plan=plan,
        recorded_by=by,
    )
    case.full_clean(validate_constraints=False)
    rows = [_measure(case, item, row) for row, item in enumerate(measures, start=1)]
    try:
        # Two people opening the same case at once: the constraint refuses the second.
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"org": f"{org.name}已列入{year}年软弱涣散整顿，不能重复登记。"}
        ) from exc
    for measure in rows:
        measure.case = case
        measure.save()
    return case


@transaction.atomic
def rectification_progress_record(
    *,
    case: RectificationCase,
    on: datetime.date,
    text: str,
    measure: RectificationMeasure | None = None,
    done: bool = False,
    today: datetime.date,
    by,
) -> RectificationProgress:
    """A progress entry; with *done*, its measure is marked done on that date."""
    case = _locked(case)
    if on < case.identified_on:
        raise ValidationError({"on": f"进展日期早于确定日期{case.identified_on:%Y-%m-%d}。"})
    if on > today:
        raise ValidationError({"on": "进展日期不能晚于今天。"})
    if measure is not None and measure.case_id != case.pk:
        raise ValidationError({"measure": "所选整改措施不属于这项整顿。"})
    if done:
        if measure is None:
            raise ValidationError({"measure": "标记完成时请选择是哪一条整改措施。"})
        if measure.done_on is not None:
            raise ValidationError(
                {"measure": f"“{measure.text}”已于{measure.done_on:%Y-%m-%d}完成。"}
            )
        measure.done_on = on
        measure.save(update_fields=["done_on"])
    progress = RectificationProgress(
        case=case, measure=measure, on=on, text=text.strip(), recorded_by=by
    )
    progress.full_clean()
    progress.save()
    return progress


@transaction.atomic
def rectification_measure_add(
    *, case: RectificationCase, text: str, deadline: datetime.date
) -> RectificationMeasure:
    case = _locked(case)
    measure = _measure(case, MeasureInput(text, deadline))
    measure.save()
    return measure


@transaction.atomic
def rectification_close(
    *,
    case: RectificationCase,
    closed_on: datetime.date,
    closing_decision: str,
    closing_assessment: str,
    today: datetime.date,
) -> RectificationCase:
    """整顿销号. Measures not done do not block it on their own: the county may judge the
    organisation rectified anyway, but then the 验收意见 must say so (it is refused
    blank), so the record shows the decision was made knowing."""
    case = _locked(case)
    if closed_on < case.identified_on:
        raise ValidationError({"closed_on": f"销号日期早于确定日期{case.identified_on:%Y-%m-%d}。"})
    if closed_on > today:
        raise ValidationError({"closed_on": "销号日期不能晚于今天。"})
    undone = case.measures.filter(done_on__isnull=True).count()
    if undone and not closing_assessment.strip():
        raise ValidationError(
            {
                "closing_assessment": f"还有{undone}条整改措施未完成：请在验收意见中说明"
                "未完成的原因及为何仍可销号，或先登记完成。"
            }
        )
    case.closed_on = closed_on
    case.closing_decision = closing_decision.strip()
    case.closing_assessment = closing_assessment.strip()
    case.full_clean()
    case.save(update_fields=["closed_on", "closing_decision", "closing_assessment"])
    return case
