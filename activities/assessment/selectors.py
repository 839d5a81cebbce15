"""Reads of the assessment pages: 述职评议 meetings and who has not reported, the data a
grading is suggested from, and the last-ranked groups whose leader's post may end."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q

from activities.cadence import (
    committee_terms,
    governed_spans,
    obligation_groups,
    owes_from_expression,
    tallies,
)
from activities.models import (
    MEETING_ORG_KINDS,
    CadenceRule,
    GradeLevel,
    GroupRank,
    OrgGrade,
    RatingTally,
    SecretaryReport,
    SecretaryReportMeeting,
)
from activities.ratings.selectors import publication_covering
from branches.labels import attach_labels
from branches.models import (
    COMMITTEE_KINDS,
    COMMITTEE_TITLES,
    Organization,
    OrgKind,
    Post,
    PostEndReason,
    PostTitle,
)
from branches.paths import path_prefixes, subtree_q

# The organisations whose secretary reports (述职) to the committee above them, and the
# ones the yearly grading covers.
REPORTING_KINDS = (OrgKind.PRIMARY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)
GRADED_KINDS = REPORTING_KINDS
QUARTERS = ("1", "2", "3", "4")

# --- 书记述职评议 -------------------------------------------------------------------------


def meeting_orgs(visible):
    """The committees that may hold a 述职评议会, of the organisations *visible*."""
    return visible.filter(kind__in=COMMITTEE_KINDS, dissolved_on__isnull=True).order_by("path")


def reporting_orgs(*, node: Organization):
    """The live organisations under *node* whose secretary reports to a committee: a
    党委, 党总支 or 党支部 directly under a township, 工委 or 基层党委."""
    return Organization.objects.filter(
        subtree_q(node.path),
        kind__in=REPORTING_KINDS,
        parent__kind__in=COMMITTEE_KINDS,
        dissolved_on__isnull=True,
    ).order_by("path")


def meetings_of(*, node: Organization, year: int, quarter: int | None):
    """The 述职评议会 held by *node* or a committee under it for *year* (and *quarter*),
    with how many secretaries reported at each: one query."""
    meetings = SecretaryReportMeeting.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year
    )
    if quarter:
        meetings = meetings.filter(quarter=quarter)
    return meetings.select_related("org").annotate(report_count=Count("reports"))


def not_reported(*, node: Organization, year: int, quarter: int | None) -> list[Organization]:
    """The reporting organisations under *node* with no report for *year* (and *quarter*
    when one is chosen; without one, any report of the year counts): one query for the
    list, one for their labels."""
    reports = SecretaryReport.objects.filter(org=OuterRef("pk"), meeting__year=year)
    if quarter:
        reports = reports.filter(meeting__quarter=quarter)
    missing = list(reporting_orgs(node=node).filter(~Exists(reports)))
    return attach_labels(missing)


def meeting_reports(meeting: SecretaryReportMeeting):
    return meeting.reports.select_related("org", "secretary").order_by("org__path", "pk")


def secretary_on(*, org: Organization, on: datetime.date):
    """The member holding *org*'s 书记 post on *on*, or None: the report's default."""
    post = (
        Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=on),
            org=org,
            title=PostTitle.SECRETARY,
            started_on__lte=on,
        )
        .select_related("member")
        .order_by("-started_on", "-pk")
        .first()
    )
    return post.member if post else None


def committee_posts_on(*, orgs, on: datetime.date) -> list[Post]:
    """The committee posts held on *on* in *orgs*: who may give the report (the secretary,
    or a deputy where the post is vacant). One query."""
    return list(
        Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=on),
            org__in=orgs,
            title__in=COMMITTEE_TITLES,
            started_on__lte=on,
        )
        .select_related("member", "org")
        .order_by("org__path", "title", "member__name")
    )


def year_reports(*, node: Organization, year: int):
    """Every report of *year* at meetings under *node*: the export's rows."""
    return (
        SecretaryReport.objects.filter(subtree_q(node.path, prefix="meeting__org__"))
        .filter(meeting__year=year)
        .select_related("meeting__org", "org", "secretary")
        .order_by("meeting__quarter", "meeting__org__path", "org__path", "pk")
    )


# --- Yearly grading -------------------------------------------------------------------------

PERCENT = Decimal("0.0001")
STARS = Decimal("0.01")


@dataclass
class GradeRow:
    """One organisation of the grading page: the year's figures, the suggestion, the grade."""

    org: Organization
    done: int = 0
    due: int = 0
    star_sum: int = 0
    rated: int = 0
    last_groups: list[str] = field(default_factory=list)
    ranked: bool = False  # a ranking of the year exists to judge "no last group" by
    suggested: GradeLevel | None = None
    missing: list[str] = field(default_factory=list)
    grade: OrgGrade | None = None

    @property
    def compliance(self) -> Decimal | None:
        if not self.due:
            return None
        return (Decimal(self.done) / Decimal(self.due)).quantize(PERCENT, ROUND_HALF_UP)

    @property
    def stars(self) -> Decimal | None:
        if not self.rated:
            return None
        return (Decimal(self.star_sum) / Decimal(self.rated)).quantize(STARS, ROUND_HALF_UP)

    @property
    def has_last_group(self) -> bool | None:
        return bool(self.last_groups) if self.ranked else None

    @property
    def needs_reason(self) -> bool:
        return self.suggested is None

    def basis(self, *, stars_source: str) -> dict:
        """What the suggestion read, as OrgGrade.basis keeps it."""
        return {
            "compliance": str(self.compliance) if self.compliance is not None else None,
            "meetings_done": self.done,
            "meetings_due": self.due,
            "average_stars": str(self.stars) if self.stars is not None else None,
            "members_rated": self.rated,
            "stars_source": stars_source,
            "last_groups": self.last_groups,
            "ranked": self.ranked,
            "missing": self.missing,
        }


def suggest_level(
    levels: list[GradeLevel],
    *,
    compliance: Decimal | None,
    stars: Decimal | None,
    has_last_group: bool | None,
) -> tuple[GradeLevel | None, list[str]]:
    """The best level (by rank) whose minimums the figures meet, and the data missing.

    Missing data never meets a minimum above 0 (nor "no last group" when no
    ranking was made): an organisation without figures is suggested the
    level that asks for none, and the list says what was missing, so the
    person confirming knows why.
    """
    missing = []
    if compliance is None:
        missing.append("本年度无应开展的组织生活")
    if stars is None:
        missing.append("本年度无党员评星结果")
    if has_last_group is None:
        missing.append("本年度无党小组排名")
    for level in sorted(levels, key=lambda lv: lv.rank):
        if level.min_compliance > 0 and (compliance is None or compliance < level.min_compliance):
            continue
        if level.min_stars > 0 and (stars is None or stars < level.min_stars):
            continue
        if level.no_last_group and has_last_group is not False:
            continue
        return level, missing
    return None, missing


def graded_orgs(*, node: Organization):
    """The live 党委, 党总支 and 党支部 under *node*: what its grading page covers."""
    return Organization.objects.filter(
        subtree_q(node.path, include_self=False),
        kind__in=GRADED_KINDS,
        dissolved_on__isnull=True,
    ).order_by("path")


def _meetings_by_path(*, node: Organization, year: int, today: datetime.date) -> dict:
    """[done, due] periods of the year that ended, per organisation path under *node*, as
    the compliance report counts them (activities.cadence): four queries."""
    until = min(today, datetime.date(year, 12, 31))
    if until < datetime.date(year, 1, 1):
        return {}
    orgs = list(
        Organization.objects.filter(subtree_q(node.path), kind__in=MEETING_ORG_KINDS)
        .annotate(owes_from=owes_from_expression())
        .values_list("pk", "path", "name", "kind", "owes_from", "dissolved_on", named=True)
    )
    spans = governed_spans(
        CadenceRule.objects.all(), start=datetime.date(year, 1, 1), until=until, today=today
    )
    where = subtree_q(node.path, prefix="org__")
    packed = tallies(where, year=year, until=until, on_time=False)
    committees = committee_terms(
        where=where & ~Q(org__kind=OrgKind.GROUP), start=datetime.date(year, 1, 1), end=until
    )
    groups, _misses = obligation_groups(
        orgs,
        spans=spans,
        counts=packed.counts,
        committees=committees,
        today=today,
        key=lambda org: org.path,
    )
    closed_of = [sum(1 << i for i, s in enumerate(rs) if s.closed) for _r, rs in spans]
    by_path: dict[str, list[int]] = {}
    for (path, index, owed, met), n in groups.items():
        sums = by_path.setdefault(path, [0, 0])
        sums[0] += n * (met & closed_of[index]).bit_count()
        sums[1] += n * (owed & closed_of[index]).bit_count()
    return by_path


def _rows_by_prefix(rows: dict[str, GradeRow], path: str):
    """The graded organisations *path* lies under (itself included)."""
    for prefix in path_prefixes(path, include_self=True):
        row = rows.get(prefix)
        if row is not None:
            yield row


@dataclass
class Grading:
    node: Organization
    year: int
    levels: list[GradeLevel]
    rows: list[GradeRow]
    stars_source: str  # "published", "draft" or "" (no ratings at all)

    @property
    def stars_source_label(self) -> str:
        return {"published": "已发布的评星结果", "draft": "评星定级草稿"}.get(
            self.stars_source, "无评星数据"
        )

    @property
    def lagging(self) -> list[GradeRow]:
        """The rows graded at a lagging level: candidates for the 软弱涣散 register."""
        return [r for r in self.rows if r.grade is not None and r.grade.level.lagging]


def grading(*, node: Organization, year: int, today: datetime.date) -> Grading:
    """Every organisation to grade under *node* for *year*, its figures and suggestion:
    eleven queries, whatever the number of organisations.

    Levels, the organisations, their existing grades and labels; the
    publication covering the node, then the star tallies and the group ranks
    of that publication (else the draft's); the meetings as the compliance
    report counts them (organisations, rules, tallies, committee posts).
    Every figure of an organisation covers its subtree: a 党委's meetings
    and members include its branches' and groups'.
    """
    levels = list(GradeLevel.objects.order_by("rank"))
    orgs = list(graded_orgs(node=node))
    attach_labels(orgs)
    rows = {o.path: GradeRow(org=o) for o in orgs}
    by_org = {o.pk: rows[o.path] for o in orgs}
    for grade in OrgGrade.objects.filter(
        subtree_q(node.path, prefix="org__"), year=year
    ).select_related("level", "suggested", "graded_by"):
        row = by_org.get(grade.org_id)
        if row is not None:
            row.grade = grade
    publication = publication_covering(node=node, year=year)
    stars = list(
        RatingTally.objects.filter(
            subtree_q(node.path, prefix="org__"), year=year, publication=publication
        ).values_list("org__path", "stars", "count")
    )
    source = "" if not stars else ("published" if publication else "draft")
    for path, star_count, n in stars:
        for row in _rows_by_prefix(rows, path):
            row.star_sum += star_count * n
            row.rated += n
    ranks = list(
        GroupRank.objects.filter(
            subtree_q(node.path, prefix="group__"), year=year, publication=publication
        ).values_list("group__path", "group__name", "is_last")
    )
    for path, name, is_last in ranks:
        for row in _rows_by_prefix(rows, path):
            if is_last:
                row.last_groups.append(name)
    if ranks:
        for row in rows.values():
            row.ranked = True
    for path, (done, due) in _meetings_by_path(node=node, year=year, today=today).items():
        for row in _rows_by_prefix(rows, path):
            row.done += done
            row.due += due
    for row in rows.values():
        row.suggested, row.missing = suggest_level(
            levels,
            compliance=row.compliance,
            stars=row.stars,
            has_last_group=row.has_last_group,
        )
    return Grading(node, year, levels, [rows[o.path] for o in orgs], source)


def lagging_grades(*, node: Organization, year: int):
    """The organisations under *node* graded at a lagging level for *year*: where a
    软弱涣散 case starts from."""
    return (
        OrgGrade.objects.filter(subtree_q(node.path, prefix="org__"), year=year)
        .filter(level__lagging=True)
        .select_related("org", "level")
        .order_by("org__path")
    )


def grading_nodes(visible):
    """The nodes a grading page is kept for, of those *visible*: the county's townships,
    工委 and 基层党委 directly under it."""
    return visible.filter(parent__kind=OrgKind.COUNTY, dissolved_on__isnull=True).order_by("path")


# --- Last-ranked groups ---------------------------------------------------------------------


def last_rank_in_force(*, group: Organization, year: int) -> GroupRank | None:
    """The group's row in the year's publication in force, if it was ranked last there."""
    return (
        GroupRank.objects.filter(
            group=group,
            year=year,
            is_last=True,
            publication__isnull=False,
            publication__withdrawn_at__isnull=True,
        )
        .select_related("group", "leader", "publication", "scope_org")
        .first()
    )


def open_leader_posts(*, group: Organization):
    return Post.objects.filter(org=group, title=PostTitle.GROUP_LEADER, ended_on__isnull=True)


def removed_leader_posts(*, group: Organization, year: int) -> list[Post]:
    """The group's leader posts ended under the last-rank rule for *year*'s ranking."""
    return list(
        Post.objects.filter(
            org=group,
            title=PostTitle.GROUP_LEADER,
            end_reason=PostEndReason.REMOVED,
            end_note__startswith=f"{year}年度党小组排名末位",
        )
        .select_related("member")
        .order_by("-ended_on")
    )
