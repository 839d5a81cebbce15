"""Reads of the 软弱涣散 register: the register's rows (the page and its export), one
case with its measures and progress, the 示范点 of a year, the marks the tree and
the reports put beside an organisation's name, and the worklist's overdue cases."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery

from activities.models import (
    ModelSite,
    ModelSiteLevel,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
)
from branches.labels import attach_labels
from branches.models import Organization
from branches.paths import subtree_q

OPEN, CLOSED, ALL = "open", "closed", "all"
STATES = {OPEN: "整顿中", CLOSED: "已销号", ALL: "全部"}
# Cases listed on a worklist at most: a township has a handful.
WORK_SHOWN = 50
# Highest first: an organisation named by several levels in a year shows the highest.
LEVEL_ORDER = [
    ModelSiteLevel.NATIONAL,
    ModelSiteLevel.PROVINCE,
    ModelSiteLevel.CITY,
    ModelSiteLevel.COUNTY,
]
WEAK_MARK = "软弱涣散"


def overdue_q(today: datetime.date, prefix: str = "") -> Q:
    """Measures past their deadline and not done."""
    return Q(**{f"{prefix}done_on__isnull": True, f"{prefix}deadline__lt": today})


def _counted(cases: QuerySet, today: datetime.date) -> QuerySet:
    """Each case with its measures counted (total, done, overdue) and its last progress
    date: one query whatever the number of cases. The last progress comes from a
    subquery rather than a second join, which would multiply the measure rows."""
    last = (
        RectificationProgress.objects.filter(case=OuterRef("pk")).order_by("-on").values("on")[:1]
    )
    return cases.annotate(
        measures_total=Count("measures"),
        measures_done=Count("measures", filter=Q(measures__done_on__isnull=False)),
        overdue=Count("measures", filter=overdue_q(today, "measures__")),
        last_progress=Subquery(last),
    )


def register_rows(
    *,
    user,
    year: int,
    state: str,
    today: datetime.date,
    township: Organization | None = None,
) -> list[RectificationCase]:
    """The register: the cases of *year* in the user's scope (under *township* if given)
    in *state*, and – unless only closed ones are asked for – those of earlier years
    still open (``earlier`` set on them). Two queries: the cases with their counts,
    and their organisations' labels."""
    cases = RectificationCase.objects.visible_to(user)
    if township is not None:
        cases = cases.filter(subtree_q(township.path, prefix="org__"))
    this_year = Q(year=year)
    if state == OPEN:
        cases = cases.filter(this_year | Q(year__lt=year), closed_on__isnull=True)
    elif state == CLOSED:
        cases = cases.filter(this_year, closed_on__isnull=False)
    else:
        cases = cases.filter(this_year | Q(year__lt=year, closed_on__isnull=True))
    rows = list(
        _counted(cases, today).select_related("org").order_by(F("year").desc(), "org__path", "pk")
    )
    attach_labels(row.org for row in rows)
    for row in rows:
        row.earlier = row.year < year
    return rows


def register_totals(rows: list[RectificationCase]) -> dict[str, int]:
    return {
        "cases": len(rows),
        "open": sum(1 for r in rows if r.is_open),
        "closed": sum(1 for r in rows if not r.is_open),
        "overdue_cases": sum(1 for r in rows if r.is_open and r.overdue),
        "overdue": sum(r.overdue for r in rows if r.is_open),
    }


def model_sites(*, user, year: int, township: Organization | None = None) -> list[ModelSite]:
    """The 示范点 named in *year* in the user's scope: one query (and one for labels)."""
    sites = ModelSite.objects.visible_to(user).filter(year=year)
    if township is not None:
        sites = sites.filter(subtree_q(township.path, prefix="org__"))
    rows = list(sites.select_related("org").order_by("org__path", "level"))
    attach_labels(site.org for site in rows)
    return rows


@dataclass
class CaseView:
    case: RectificationCase
    measures: list[RectificationMeasure]
    progress: list[RectificationProgress]

    @property
    def undone(self) -> int:
        return sum(1 for m in self.measures if m.done_on is None)


def case_view(case: RectificationCase, *, today: datetime.date) -> CaseView:
    """A case's measures (each with ``overdue``) and progress newest first: two queries."""
    measures = list(case.measures.order_by("deadline", "pk"))
    for measure in measures:
        measure.overdue = measure.done_on is None and measure.deadline < today
    by_pk = {m.pk: m for m in measures}
    progress = list(case.progress.select_related("recorded_by").order_by("-on", "-pk"))
    for entry in progress:
        # The measure is already loaded: no query per entry.
        entry.measure_shown = by_pk.get(entry.measure_id)
    return CaseView(case, measures, progress)


def _latest_sites(org_ids) -> dict[int, ModelSite]:
    """Each organisation's 示范点 of its latest year, the highest level of that year."""
    best: dict[int, ModelSite] = {}
    rank = {level: i for i, level in enumerate(LEVEL_ORDER)}
    for site in ModelSite.objects.filter(org_id__in=org_ids).order_by("org_id", "-year"):
        held = best.get(site.org_id)
        if held is None or (held.year == site.year and rank[site.level] < rank[held.level]):
            best[site.org_id] = site
    return best


def org_marks(org_ids) -> dict[int, list[str]]:
    """What the tree and the reports show beside an organisation's name: "软弱涣散" while
    a case of it is open, "示范点 2025 县级" for the latest year it was named a model
    site. Two queries whatever the number of organisations; an organisation with no
    mark is absent. The ids come from rows already limited to the user's scope."""
    org_ids = sorted({pk for pk in org_ids if pk is not None})
    if not org_ids:
        return {}
    marks: dict[int, list[str]] = defaultdict(list)
    weak = RectificationCase.objects.filter(org_id__in=org_ids, closed_on__isnull=True)
    for org_id in weak.values_list("org_id", flat=True).distinct().order_by():
        marks[org_id].append(WEAK_MARK)
    for org_id, site in _latest_sites(org_ids).items():
        marks[org_id].append(f"示范点 {site.year} {site.get_level_display()}")
    return dict(marks)


def rectification_work(*, user, root: Organization, today: datetime.date) -> dict:
    """The worklist's 软弱涣散整顿 section: open cases under *root* with measures past
    their deadline, most overdue first. One query for the cases (the first
    ``WORK_SHOWN``), one for their labels."""
    cases = (
        RectificationCase.objects.visible_to(user)
        .filter(subtree_q(root.path, prefix="org__"), closed_on__isnull=True)
        .annotate(
            overdue=Count("measures", filter=overdue_q(today, "measures__")),
            first_deadline=Min("measures__deadline", filter=overdue_q(today, "measures__")),
        )
        .filter(overdue__gt=0)
        .select_related("org")
        .order_by("first_deadline", "org__path", "pk")
    )
    rows = list(cases[:WORK_SHOWN])
    attach_labels(row.org for row in rows)
    return {"cases": rows}
