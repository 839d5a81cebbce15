"""Reads of the 发展党员 procedure: the people in scope, the as-of counts, the worklist
items and the yearly plan."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Q

from branches.models import BranchCategory, Organization, OrgKind, county_unit_q
from branches.paths import subtree_q
from members.dates import months_later
from members.development import rules
from members.models import (
    PIPELINE,
    DevelopmentPlan,
    Member,
    Recruit,
    Stage,
    Vote,
    Waiver,
    stages_on,
)

OPEN_STAGES = (*PIPELINE, Stage.PROBATIONARY)
SOON_DAYS = 30  # how far ahead the worklist looks for assessments and probations
NOTICE_SOON_DAYS = 7
VILLAGE_QUIET_YEARS = 2


def recruits_for(user, root: Organization | None = None):
    recruits = Recruit.objects.visible_to(user)
    if root is not None:
        recruits = recruits.filter(subtree_q(root.path, prefix="branch__"))
    return recruits


def stage_counts(user) -> dict[str, int]:
    """How many people in *user*'s part of the tree are at each stage now: one query."""
    rows = Recruit.objects.visible_to(user).values("stage").annotate(n=Count("pk"))
    return {row["stage"]: row["n"] for row in rows.order_by()}


def development_counts(*, node: Organization, on: datetime.date) -> dict[str, int]:
    """入党申请人, 入党积极分子 and 发展对象 under *node* on *on*, and the year's
    admissions and 转正 up to *on*: one query."""
    stages = stages_on(on)
    year_start = datetime.date(on.year, 1, 1)
    return Recruit.objects.filter(subtree_q(node.path, prefix="branch__")).aggregate(
        applicants=Count("pk", filter=stages[Stage.APPLICANT]),
        activists=Count("pk", filter=stages[Stage.ACTIVIST]),
        candidates=Count("pk", filter=stages[Stage.CANDIDATE]),
        admitted=Count("pk", filter=Q(admitted_on__gte=year_start, admitted_on__lte=on)),
        confirmed=Count("pk", filter=Q(full_on__gte=year_start, full_on__lte=on)),
    )


# --- the worklist ---------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One thing the rules ask of the clerk for one person, with the step that records it."""

    recruit: Recruit
    what: str
    due_on: datetime.date | None
    step: str
    late: bool = False
    # How the date reads on the worklist: 应于…前, 公示至…, 预备期至…满.
    when_format: str = "应于{}前"

    @property
    def when(self) -> str:
        if self.due_on is None:
            return ""
        text = self.when_format.format(f"{self.due_on:%Y-%m-%d}")
        return f"{text}，已逾期" if self.late else text


@dataclass
class DevelopmentWork:
    items: list[Due] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.items)


def development_work(*, user, root: Organization, today: datetime.date) -> DevelopmentWork:
    """What is due for the people in the procedure under *root*: two queries.

    Talks due within a month of an application, assessments due within six
    months of the last, 公示 ending within a week, approvals outstanding past
    three months, probations ending within 30 days or ended with no decision.
    """
    soon = today + datetime.timedelta(days=SOON_DAYS)
    pending = Vote.objects.filter(recruit=OuterRef("pk"), approved_on__isnull=True).exclude(
        decision=Vote.Decision.REJECT
    )
    people = (
        recruits_for(user, root)
        .filter(stage__in=OPEN_STAGES)
        .annotate(last_assessed=Max("assessments__on"), pending=Exists(pending))
        .select_related("branch")
        .order_by("branch__path", "applied_on", "pk")
    )
    votes = {
        v.recruit_id: v
        for v in Vote.objects.filter(
            approved_on__isnull=True, recruit__in=[p.pk for p in people if p.pending]
        ).exclude(decision=Vote.Decision.REJECT)
    }
    work = DevelopmentWork()
    for person in people:
        work.items += _due_for(person, votes.get(person.pk), today, soon)
    work.items.sort(key=lambda d: (not d.late, d.due_on or today, d.recruit.name))
    return work


def _due_for(person: Recruit, vote: Vote | None, today, soon) -> list[Due]:
    items = []
    if vote is not None:
        due = months_later(vote.held_on, rules.APPROVAL_MONTHS)
        if due < today:
            what = f"支部大会（{vote.held_on:%Y-%m-%d}）决议已过三个月未审批"
            items.append(Due(person, what, due, "approve", late=True))
        return items
    if person.stage == Stage.APPLICANT and person.talk_on is None:
        due = months_later(person.applied_on, rules.TALK_MONTHS)
        items.append(Due(person, "入党申请人谈话", due, "talk", late=due < today))
    elif person.stage == Stage.ACTIVIST:
        due = months_later(person.last_assessed or person.activist_on, rules.ASSESSMENT_MONTHS)
        if due <= soon:
            items.append(Due(person, "入党积极分子半年考察", due, "assess", late=due < today))
    elif person.stage == Stage.CANDIDATE and person.notice_to is not None:
        if (
            today - datetime.timedelta(days=1)
            <= person.notice_to
            <= today + datetime.timedelta(days=NOTICE_SOON_DAYS)
        ):
            items.append(
                Due(
                    person,
                    "公示期将满，可提交支部大会讨论",
                    person.notice_to,
                    "admit",
                    False,
                    "公示至{}",
                )
            )
    elif person.stage == Stage.PROBATIONARY:
        ends = person.probation_ends_on
        if ends <= soon:
            what = "预备期已满，尚未讨论转正" if ends < today else "预备期将满，准备讨论转正"
            items.append(Due(person, what, ends, "confirm", ends < today, "预备期至{}满"))
    return items


# --- the yearly plan ----------------------------------------------------------------------


@dataclass
class PlanRow:
    unit: Organization
    plan: DevelopmentPlan | None
    admitted: int = 0
    young: int = 0
    women: int = 0
    farmers: int = 0
    pipeline: Counter = field(default_factory=Counter)
    quiet_villages: list[str] = field(default_factory=list)
    waivers: int = 0  # exceptions to the time limits the county recorded for its people

    @property
    def planned(self) -> int | None:
        return self.plan.planned if self.plan else None

    @property
    def done_share(self) -> int | None:
        if not self.plan or not self.plan.planned:
            return None
        return round(100 * self.admitted / self.plan.planned)


@dataclass
class Plan:
    year: int
    rows: list[PlanRow]
    total: PlanRow


def plan(*, user, year: int, today: datetime.date) -> Plan:
    """Each county unit's plan for *year*, its admissions that year, its pipeline today, the
    exceptions recorded for its people and its villages with no new member in two years:
    five queries whatever the size."""
    units = list(
        Organization.objects.visible_to(user).filter(county_unit_q()).live().order_by("path")
    )
    if not units:
        return Plan(year, [], PlanRow(unit=None, plan=None))
    rows = {u.path: PlanRow(unit=u, plan=None) for u in units}
    by_pk = {u.pk: rows[u.path] for u in units}
    # County units are the county's children: their paths have one length.
    width = len(units[0].path)
    for p in DevelopmentPlan.objects.filter(township__in=units, year=year):
        by_pk[p.township_id].plan = p
    young_born_after = months_later(datetime.date(year, 12, 31), -12 * 36)
    admitted = Q(admitted_on__year=year)
    counted = (
        Recruit.objects.visible_to(user)
        .values("branch__path")
        .annotate(
            admitted=Count("pk", filter=admitted),
            young=Count("pk", filter=admitted & Q(birth_date__gt=young_born_after)),
            women=Count("pk", filter=admitted & Q(sex="F")),
            farmers=Count("pk", filter=admitted & Q(occupation="farmer")),
            **{
                stage: Count("pk", filter=Q(stage=stage))
                for stage in (*PIPELINE, Stage.PROBATIONARY)
            },
        )
    )
    for values in counted:
        row = rows.get(values["branch__path"][:width])
        if row is None:
            continue
        for name in ("admitted", "young", "women", "farmers"):
            setattr(row, name, getattr(row, name) + values[name])
        for stage in (*PIPELINE, Stage.PROBATIONARY):
            row.pipeline[stage] += values[stage]
    waived = (
        Waiver.objects.filter(recruit__in=Recruit.objects.visible_to(user))
        .values("recruit__branch__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for values in waived:
        row = rows.get(values["recruit__branch__path"][:width])
        if row is not None:
            row.waivers += values["n"]
    quiet_since = months_later(today, -12 * VILLAGE_QUIET_YEARS)
    joined = Member.objects.filter(branch=OuterRef("pk"), joined_on__gte=quiet_since)
    quiet = (
        Organization.objects.visible_to(user)
        .filter(kind=OrgKind.BRANCH, category=BranchCategory.VILLAGE)
        .live()
        .filter(~Exists(joined))
        .order_by("path")
        .values_list("path", "name")
    )
    for path, name in quiet:
        row = rows.get(path[:width])
        if row is not None:
            row.quiet_villages.append(name)
    listed = list(rows.values())
    total = PlanRow(unit=None, plan=None)
    total_planned = sum(r.planned or 0 for r in listed)
    total.plan = DevelopmentPlan(year=year, planned=total_planned) if total_planned else None
    for r in listed:
        total.admitted += r.admitted
        total.young += r.young
        total.women += r.women
        total.farmers += r.farmers
        total.waivers += r.waivers
        total.pipeline.update(r.pipeline)
        total.quiet_villages += r.quiet_villages
    return Plan(year, listed, total)
