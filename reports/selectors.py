"""Reads of the report pages: one selector per report, returning rows and totals.

The HTML page and its xlsx export both consume these, so their numbers
cannot differ. Each aggregates in SQL per branch (or per organisation) and
rolls the few thousand rows up to the node's children by materialized path
in Python: a constant number of queries whatever the size of the tree.
"""

from __future__ import annotations

import datetime
import functools
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from activities.cadence import (
    CLOSED,
    FUTURE,
    OPEN,
    SECRETARY_LESSON,
    committee_terms,
    existed_throughout_q,
    governed_spans,
    obligation_groups,
    obligations_grouped_in_db,
    owes_from_expression,
    period_state,
    requirement,
    tallies,
)
from activities.models import (
    MEETING_ORG_KINDS,
    SECRETARY_LESSON_LABEL,
    ActivityKind,
    CadenceRule,
    Period,
)
from activities.periods import period_bounds, period_label
from activities.rectification.selectors import org_marks
from branches.labels import labels_by_pk
from branches.models import BranchCategory, Organization, OrgKind
from branches.paths import PATH_STEP, subtree_q
from branches.terms.selectors import village_secretaries
from members.choices import (
    ETHNIC_GROUPS,
    HAN,
    TERTIARY_EDUCATION,
    MemberCategory,
    Occupation,
    RosterStatus,
    Sex,
)
from members.models import Spell
from reports.figures import SUSPENDED_FIGURE, figures_by_org

# Age bands of the statistics bulletin, as (label, lowest age, highest age).
AGE_BANDS = [
    ("30岁及以下", 0, 30),
    ("31至35岁", 31, 35),
    ("36至40岁", 36, 40),
    ("41至45岁", 41, 45),
    ("46至50岁", 46, 50),
    ("51至55岁", 51, 55),
    ("56至60岁", 56, 60),
    ("61岁及以上", 61, 200),
]
# When members joined, cut at the founding of the PRC, the Third Plenum of the
# 11th Central Committee and the 18th Party Congress, as the bulletin does.
ERA_BANDS = [
    ("新中国成立前", None, datetime.date(1949, 10, 1)),
    ("新中国成立至十一届三中全会前", datetime.date(1949, 10, 1), datetime.date(1978, 12, 18)),
    ("十一届三中全会至十八大前", datetime.date(1978, 12, 18), datetime.date(2012, 11, 8)),
    ("十八大以来", datetime.date(2012, 11, 8), None),
]
MINORITIES = [name for name in ETHNIC_GROUPS if name != HAN]
# Kept with the member figures but not shown: members and full members as the sizing
# rules count them (branches.sizing).
SIZING_FIGURES = ("sizing_members", "sizing_full")


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _in_spell(kind: str, on: datetime.date) -> Exists:
    """Whether the membership row's member was in a spell of *kind* on *on*."""
    return Exists(Spell.objects.on(on).filter(member_id=OuterRef("member_id"), kind=kind))


def member_figures(on: datetime.date) -> list[tuple[str, str, Q]]:
    """(key, label, condition on a membership row) for every member figure, as of *on*."""
    m = "member__"
    figures = [
        ("total", "党员总数", Q()),
        ("women", "女党员", Q(**{f"{m}sex": Sex.FEMALE})),
        ("minority", "少数民族党员", Q(**{f"{m}ethnicity__in": MINORITIES})),
        (
            "probationary",
            "预备党员",
            Q(**{f"{m}full_member_on__gt": on})
            | Q(
                **{f"{m}category": MemberCategory.PROBATIONARY, f"{m}full_member_on__isnull": True}
            ),
        ),
        ("tertiary", "大专及以上学历", Q(**{f"{m}education__in": TERTIARY_EDUCATION})),
    ]
    for index, (label, low, high) in enumerate(AGE_BANDS):
        # Aged low..high on *on*: born after (on - (high + 1) years), on or before (on - low).
        born = Q(**{f"{m}birth_date__lte": years_before(on, low)})
        if high < 200:
            born &= Q(**{f"{m}birth_date__gt": years_before(on, high + 1)})
        figures.append((f"age{index}", label, born))
    for index, (label, start, end) in enumerate(ERA_BANDS):
        joined = Q(**{f"{m}joined_on__isnull": False})
        if start:
            joined &= Q(**{f"{m}joined_on__gte": start})
        if end:
            joined &= Q(**{f"{m}joined_on__lt": end})
        figures.append((f"era{index}", label, joined))
    for occupation in Occupation:
        figures.append(
            (f"job_{occupation.value}", occupation.label, Q(**{f"{m}occupation": occupation}))
        )
    figures += [
        # Away and lost on *on*, from the dated spells (members.standing).
        ("mobile", "流动党员", Q(_in_spell(Spell.Kind.AWAY, on))),
        ("lost", "其中失联党员", Q(_in_spell(Spell.Kind.LOST, on))),
        # Counted apart by reports.figures: members in no other figure.
        (SUSPENDED_FIGURE, "停止党籍党员（不计入党员总数）", Q()),
        (
            "new",
            f"{on.year}年新发展党员",
            Q(**{f"{m}joined_on__gte": datetime.date(on.year, 1, 1), f"{m}joined_on__lte": on}),
        ),
        (
            "confirmed",
            f"{on.year}年转为正式党员",
            Q(
                **{
                    f"{m}full_member_on__gte": datetime.date(on.year, 1, 1),
                    f"{m}full_member_on__lte": on,
                }
            ),
        ),
    ]
    # Not shown in the tables: what the sizing rules count (branches.sizing), so the
    # county overview checks them from the kept figures instead of counting members.
    # Suspended members are left out of every figure but their own (reports.figures).
    counted = Q(**{f"{m}roster_status": RosterStatus.ACTIVE})
    figures += [
        (SIZING_FIGURES[0], "党员（组织设置）", counted),
        (
            "sizing_full",
            "正式党员（组织设置）",
            counted & Q(**{f"{m}category": MemberCategory.FULL}),
        ),
    ]
    return figures


FIGURE_GROUPS = [
    (
        "基本情况",
        [
            "total",
            "women",
            "minority",
            "probationary",
            "tertiary",
            "mobile",
            "lost",
            "new",
            "confirmed",
            SUSPENDED_FIGURE,
        ],
    ),
    ("年龄", [f"age{i}" for i in range(len(AGE_BANDS))]),
    ("入党时间", [f"era{i}" for i in range(len(ERA_BANDS))]),
    ("职业", [f"job_{o.value}" for o in Occupation]),
]
NODE_KINDS = [
    OrgKind.TOWNSHIP,
    OrgKind.WORK_COMMITTEE,
    OrgKind.PRIMARY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
    OrgKind.GROUP,
]
# How the 组织数量 table, the Excel export and the 数据摘要 name each kind.
KIND_LABELS = {
    OrgKind.TOWNSHIP: "乡镇（街道）党委",
    OrgKind.WORK_COMMITTEE: "工委",
    OrgKind.PRIMARY_COMMITTEE: "基层党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.GROUP: "党小组",
}


@dataclass
class OverviewRow:
    """The figures of one node (a child, or the node itself as the total)."""

    org: Organization
    members: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)  # live nodes under it, by kind
    categories: Counter = field(default_factory=Counter)  # branches by category
    label: str = ""  # set for a row that is not a child (the node's own members)
    marks: list[str] = field(default_factory=list)  # 软弱涣散, 示范点 (mark_rows)

    @property
    def name(self) -> str:
        return self.label or self.org.name


def mark_rows(rows) -> None:
    """Give each organisation's row its marks (软弱涣散, 示范点 …): two queries for the
    page whatever the number of rows (activities.rectification.selectors.org_marks)."""
    rows = [row for row in rows if not row.label]
    marks = org_marks([row.org.pk for row in rows])
    for row in rows:
        row.marks = marks.get(row.org.pk, [])


@dataclass
class Overview:
    node: Organization
    on: datetime.date
    total: OverviewRow
    children: list[OverviewRow]
    labels: dict[str, str]
    # The kept figures it was rolled up from (reports.figures), by organisation id.
    kept: dict = field(default_factory=dict, repr=False)

    @property
    def groups(self):
        return [(title, [(k, self.labels[k]) for k in keys]) for title, keys in FIGURE_GROUPS]

    @property
    def figure_tables(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """The node's member figures as (title, [(label, count)]) tables."""
        m = self.total.members
        return [(title, [(label, m[key]) for key, label in rows]) for title, rows in self.groups]

    @property
    def committee_counts(self) -> list[tuple[str, int]]:
        """The committees and general branches under the node, by kind, before its branches."""
        kinds = NODE_KINDS[: NODE_KINDS.index(OrgKind.BRANCH)]
        return [(KIND_LABELS[k], self.total.kinds[k]) for k in kinds]

    @property
    def category_counts(self) -> list[tuple[str, int]]:
        """(其中…党支部, count) by unit type; 待确定 only where some are, as a thing to settle."""
        return [
            (branches_of(c), self.total.categories[c.value])
            for c in BranchCategory
            if c != BranchCategory.UNDECIDED or self.total.categories[c.value]
        ]


def branches_of(category: str) -> str:
    """How reports name the branches of one unit type: 农村党支部, 类型待确定的党支部."""
    if category == BranchCategory.UNDECIDED:
        return "类型待确定的党支部"
    return f"{BranchCategory(category).label}党支部"


def _live_on(on: datetime.date) -> Q:
    return (Q(founded_on__isnull=True) | Q(founded_on__lte=on)) & (
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on)
    )


def children_of(node: Organization, on: datetime.date) -> list[Organization]:
    return list(Organization.objects.filter(_live_on(on), parent=node).order_by("path"))


def overview(*, node: Organization, on: datetime.date) -> Overview:
    """组织概况 of *node* and each of its children as of *on*: four queries (five for a
    branch) while the kept member figures are current.

    Children, the live nodes under *node* (for the counts by kind and
    category), and the member figures of each organisation under it (of each
    group under a branch), rolled up to the children by path
    (``reports.figures``: counted again only where members changed).
    """
    figures = member_figures(on)
    children = children_of(node, on)
    width = len(node.path) + PATH_STEP
    rows = {c.path: OverviewRow(org=c) for c in children}
    total = OverviewRow(org=node)

    nodes = Organization.objects.filter(
        _live_on(on), subtree_q(node.path, include_self=False)
    ).values_list("path", "kind", "category")
    for path, kind, category in nodes:
        for row in (total, rows.get(path[:width])):
            if row is not None:
                row.kinds[kind] += 1
                if kind == OrgKind.BRANCH:
                    row.categories[category] += 1
    # Each organisation's own members, counted once a day and kept (reports.figures);
    # under a branch the children are its groups, and members in no group get a row.
    keys = [key for key, _label, _q in figures]
    under_branch = node.kind in (OrgKind.BRANCH, OrgKind.GROUP)
    counted = figures_by_org(node=node, on=on, figures=figures, groups=under_branch)
    by_child: dict[str, list[list[int]]] = {}
    for path, _kind, counts in counted.values():
        by_child.setdefault(path[:width], []).append(counts)

    def summed(vectors) -> Counter:
        return Counter(dict(zip(keys, map(sum, zip(*vectors, strict=True)), strict=False)))

    for path, vectors in by_child.items():
        if path in rows:
            rows[path].members = summed(vectors)
    if node.kind == OrgKind.BRANCH:
        own = figures_by_org(node=node, on=on, figures=figures, groups=False).get(node.pk)
        total.members = summed([own[2]] if own else [])
    else:
        total.members = summed([c for _path, _kind, c in counted.values()])
    ungrouped = OverviewRow(org=node, label=f"{node.name}（未编入党小组）")
    if node.kind == OrgKind.BRANCH:
        ungrouped.members = total.members - summed(
            [c for path, vectors in by_child.items() if path in rows for c in vectors]
        )
    labels = {key: label for key, label, _ in figures if key not in SIZING_FIGURES}
    listed = [rows[c.path] for c in children]
    if ungrouped.members["total"]:
        listed.append(ungrouped)
    return Overview(node, on, total, listed, labels, counted)


@dataclass(frozen=True)
class OneShoulder:
    """一肩挑: village and community secretaries who also chair the 村（居）民委员会."""

    secretaries: int
    chairing: int

    @property
    def percent(self) -> float | None:
        return round(self.chairing * 100 / self.secretaries, 1) if self.secretaries else None


def one_shoulder(*, node: Organization, on: datetime.date) -> OneShoulder:
    """The village secretaries under *node* on *on* and how many of them chair the
    村（居）委会 (``branches.terms.selectors.village_secretaries``): one query."""
    counts = village_secretaries(node, on).aggregate(
        secretaries=Count("pk"), chairing=Count("pk", filter=Q(chairs_village_committee=True))
    )
    return OneShoulder(**counts)


def sizing_counts(
    *, node: Organization, today: datetime.date, overview: Overview | None = None
) -> dict[int, tuple[int, int]]:
    """Branch id → (members, full members) as the sizing rules count them, from the kept
    member figures of *today* (``branches.sizing.sizing_breaches``' *counts*): those
    *overview* read when it is the node's overview of today, else one query."""
    figures = member_figures(today)
    keys = [key for key, _label, _q in figures]
    members, full = (keys.index(key) for key in SIZING_FIGURES)
    if overview is not None and overview.node == node and overview.on == today:
        kept = overview.kept
    else:
        kept = figures_by_org(node=node, on=today, figures=figures, groups=False)
    return {pk: (counts[members], counts[full]) for pk, (_p, _k, counts) in kept.items()}


# --- 数据摘要 ---------------------------------------------------------------------

# The statistics' unit types in BranchCategory's order, 待确定 last.
CATEGORY_ORDER = [c.value for c in BranchCategory]


def opening_word(node: Organization) -> str:
    """全县 / 全旗 / 全区, 全乡 / 全镇 / 全街道, 全村 or 本支部, after the node."""
    name = node.short_name or node.name
    # Formal names (中共某某镇委员会) as well as the usual short ones (某某镇党委).
    for suffix in ("工作委员会", "委员会", "党工委", "党委", "委"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    if node.kind in (OrgKind.CITY, OrgKind.COUNTY):
        return "全" + (name[-1:] if name[-1:] in "市县旗区" else "县")
    if node.kind == OrgKind.TOWNSHIP:
        if name.endswith("街道"):
            return "全街道"
        return "全" + (name[-1:] if name[-1:] in "乡镇" else "乡")
    if node.kind == OrgKind.BRANCH and node.category == BranchCategory.VILLAGE:
        return "全村"
    if node.kind == OrgKind.PRIMARY_COMMITTEE and node.category == BranchCategory.VILLAGE:
        return "全村"
    return {
        OrgKind.WORK_COMMITTEE: "本工委",
        OrgKind.PRIMARY_COMMITTEE: "本党委",
        OrgKind.GENERAL_BRANCH: "本总支",
        OrgKind.GROUP: "本党小组",
    }.get(node.kind, "本支部")


def summary_text(view: Overview, development: dict[str, int] | None = None) -> str:
    """A paragraph for a work report, in its usual wording, drafted from the overview and
    the 发展党员 counts of the day (``members.development.selectors.development_counts``)."""
    row, node = view.total, view.node
    parts = []
    organisations = []
    for kind in (
        OrgKind.TOWNSHIP,
        OrgKind.WORK_COMMITTEE,
        OrgKind.PRIMARY_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
    ):
        if row.kinds[kind]:
            organisations.append(f"{KIND_LABELS[kind]}{row.kinds[kind]}个")
    branches = row.kinds[OrgKind.BRANCH]
    if branches:
        text = f"党支部{branches}个"
        by_category = [
            f"{branches_of(c)}{row.categories[c]}个" for c in CATEGORY_ORDER if row.categories[c]
        ]
        if by_category:
            text += "，其中" + "、".join(by_category)
        organisations.append(text)
    elif row.kinds[OrgKind.GROUP]:
        organisations.append(f"党小组{row.kinds[OrgKind.GROUP]}个")
    if organisations:
        parts.append("共有" + "，".join(organisations))
    m = row.members
    members = f"党员{m['total']}名"
    details = [
        f"{label}{m[key]}名"
        for key, label in (
            ("women", "女党员"),
            ("minority", "少数民族党员"),
            ("probationary", "预备党员"),
            ("tertiary", "大专及以上学历党员"),
        )
        if m[key]
    ]
    if details:
        members += "，其中" + "、".join(details)
    parts.append(members)
    young = m["age0"] + m["age1"]
    if m["total"]:
        parts.append(f"35岁及以下党员{young}名、61岁及以上党员{m['age7']}名")
    if m["mobile"] or m["lost"]:
        parts.append(f"流动党员{m['mobile']}名、失联党员{m['lost']}名")
    if m[SUSPENDED_FIGURE]:
        parts.append(f"另有停止党籍党员{m[SUSPENDED_FIGURE]}名（不计入党员总数）")
    year_flows = [
        f"{label}{m[key]}名"
        for key, label in (("new", "新发展党员"), ("confirmed", "转为正式党员"))
        if m[key]
    ]
    if year_flows:
        parts.append(f"{view.on.year}年以来" + "、".join(year_flows))
    if development and any(development[k] for k in ("applicants", "activists", "candidates")):
        parts.append(
            f"入党申请人{development['applicants']}名，入党积极分子{development['activists']}名，"
            f"发展对象{development['candidates']}名"
        )
    sentence = "；".join(parts)
    return f"截至{view.on.year}年{view.on.month}月{view.on.day}日，{opening_word(node)}{sentence}。"


def ledgers_sentence(
    node: Organization,
    year: int,
    *,
    pledges: dict | None = None,
    duty: dict | None = None,
    pairs: dict | None = None,
    study: dict | None = None,
) -> str:
    """The working ledgers in the 数据摘要's words, one clause each where the year has
    records and the reader may see the ledger (None: not shown). The figures come from
    each ledger's ``*_totals`` (``activities.ledgers``), the numbers its summary shows."""
    parts = []
    if pledges and pledges["made"]:
        text = f"党员、党组织公开承诺事项{pledges['made']}件，已兑现{pledges['done']}件"
        if pledges["satisfaction"] is not None:
            text += f"，群众满意率{pledges['satisfaction']}%"
        parts.append(text)
    if duty and duty["posts"]:
        parts.append(f"设岗定责{duty['posts']}个岗位，{duty['no_office_holding']}名无职党员上岗")
    if pairs and pairs["pairings"]:
        parts.append(f"结对帮扶{pairs['pairings']}对，走访{pairs['visits']}次")
    if study and study["sessions"]:
        hours = f"{study['hours']:f}".rstrip("0").rstrip(".")
        parts.append(f"开展党员学习教育{study['sessions']}次、共{hours}学时")
    if not parts:
        return ""
    return f"{year}年{opening_word(node)}" + "；".join(parts) + "。"


# --- 三会一课 compliance ------------------------------------------------------------

MISSING_SHOWN = 300  # on the page; the export lists them all
# Down to this depth (a county, or a city above it: thousands of organisations) the
# compliance page lets the database count; below it (a township's few hundred) the
# ten more queries cost more than the loop they save.
GROUPED_UP_TO_DEPTH = 1


@dataclass
class Cell:
    """Done / due over periods that have ended, and separately what periods still under
    way (进行中) have done so far of what they ask: those never enter the rate."""

    done: int = 0
    due: int = 0
    open_done: int = 0
    open_due: int = 0
    state: str = CLOSED  # of a column's cell: its column's; totals and kinds stay CLOSED

    @property
    def rate(self) -> float | None:
        """Over ended periods only; a column under way or ahead has none."""
        return self.done / self.due if self.due and self.state == CLOSED else None

    @property
    def done_so_far(self) -> int:
        return self.done + self.open_done

    @property
    def due_so_far(self) -> int:
        return self.due + self.open_due

    # How the page shows a cell, spelled here rather than in an included template: the
    # county's table has hundreds of cells and an include per cell cost more than the
    # counting (reports/compliance.html).
    @property
    def css(self) -> str:
        """A column's cell: ended (short when not all done), under way or ahead."""
        if self.state == OPEN:
            return "num open"
        if self.state == FUTURE:
            return "num future"
        return "num short" if self.done < self.due else "num"

    @property
    def text(self) -> str:
        """Ended: done/due; under way: 进行中 and done so far; ahead: nothing."""
        if self.state == OPEN:
            return f"进行中 {self.done_so_far}/{self.due_so_far}" if self.due_so_far else "进行中"
        if self.state == FUTURE:
            return ""
        return f"{self.done}/{self.due}" if self.due else "—"

    @property
    def kind_html(self) -> str:
        """A kind's cell: its ended periods as done/due, then those under way."""
        parts = [f"{self.done}/{self.due}"] if self.due else ([] if self.open_due else ["—"])
        if self.open_due:
            parts.append(
                format_html(
                    '<span class="small">进行中 {}/{}</span>', self.open_done, self.open_due
                )
            )
        return mark_safe("<br>".join(parts))  # numbers and the fixed markup only


@dataclass
class Column:
    label: str
    start: datetime.date
    end: datetime.date
    state: str = CLOSED  # activities.cadence.period_state: closed, open or future


@dataclass
class ComplianceRow:
    org: Organization
    cells: list[Cell]
    kinds: dict[str, Cell]
    total: Cell = field(default_factory=Cell)
    expected: int = 0
    present: int = 0
    kind_cells: list[Cell] = field(default_factory=list)
    label: str = ""  # set for the node's own row (a branch's meetings beside its groups')
    marks: list[str] = field(default_factory=list)  # 软弱涣散, 示范点 (mark_rows)

    @property
    def name(self) -> str:
        return self.label or self.org.name

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.expected if self.expected else None


# What the report counts, in its columns' order: the kinds a rule can ask for, the
# secretary's own lessons (activities.cadence.requirement) beside the lessons.
REQUIREMENT_LABELS = {}
for _kind in ActivityKind:
    REQUIREMENT_LABELS[_kind.value] = _kind.label
    if _kind == ActivityKind.LESSON:
        REQUIREMENT_LABELS[SECRETARY_LESSON] = SECRETARY_LESSON_LABEL


@dataclass
class Missing:
    org_id: int
    org_name: str  # its label: 甲镇/甲村党支部/第一党小组
    kind: str  # activities.cadence.requirement
    period_label: str

    @property
    def kind_label(self) -> str:
        return REQUIREMENT_LABELS[self.kind]


@dataclass
class Compliance:
    node: Organization
    year: int
    by: str
    columns: list[Column]
    kinds: list[tuple[str, str]]
    total: ComplianceRow
    children: list[ComplianceRow]
    missing: list[Missing]
    missing_count: int

    def __post_init__(self) -> None:
        # The per-kind cells in the order of the table's columns.
        for row in [self.total, *self.children]:
            row.kind_cells = [row.kinds[k] for k, _label in self.kinds]

    @property
    def missing_lines(self) -> list[tuple[int, str, str, str]]:
        """The first MISSING_SHOWN gaps, one line per organisation and kind: (organisation
        id, its name, kind, its periods within the year, e.g. "1月、2月、第2季度")."""
        lines: dict[tuple[int, str], list[str]] = {}
        names = {}
        year = f"{self.year}年"
        for m in self.missing[:MISSING_SHOWN]:
            names[m.org_id] = m.org_name
            periods = lines.setdefault((m.org_id, m.kind_label), [])
            periods.append(m.period_label.removeprefix(year) or "全年")
        return [
            (org_id, names[org_id], kind, "、".join(periods))
            for (org_id, kind), periods in lines.items()
        ]


def _columns(year: int, by: str, today: datetime.date) -> list[Column]:
    months = 3 if by == "quarter" else 1
    period = Period.QUARTER if by == "quarter" else Period.MONTH
    columns = []
    for first in range(1, 13, months):
        start, end = period_bounds(datetime.date(year, first, 1), period)
        label = f"第{(first - 1) // 3 + 1}季度" if by == "quarter" else f"{first}月"
        columns.append(Column(label, start, end, period_state(start, end, today)))
    return columns


# Lanes wide enough for a city's organisations of one kind under one child.
LANE = 24
LANE_MAX = 2**LANE - 1


@functools.cache
def _spread(mask: int) -> int:
    """Bit i of *mask* moved to the lowest bit of lane i."""
    spread, i = 0, 0
    while mask:
        if mask & 1:
            spread |= 1 << (LANE * i)
        mask >>= 1
        i += 1
    return spread


class _Counting:
    """What the compliance report counts one organisation at a time: every organisation
    for the export, and on the page only those the database cannot count in groups and
    those whose gaps are named."""

    FIELDS = ("pk", "path", "name", "kind", "owes_from", "dissolved_on")

    def __init__(self, node, width, year, until, today, spans):
        self.node, self.width, self.year, self.until = node, width, year, until
        self.today, self.spans = today, spans

    def orgs(self, where: Q | None = None) -> list:
        return list(
            Organization.objects.filter(
                subtree_q(self.node.path), where or Q(), kind__in=MEETING_ORG_KINDS
            )
            .annotate(owes_from=owes_from_expression())
            .values_list(*self.FIELDS, named=True)
        )

    def one_by_one(self, orgs: list, where: Q | None = None):
        """``obligation_groups`` of *orgs* keyed by path prefix, their misses, and their
        [expected, present] attendance per prefix. *where* (a Q on year tallies) selects
        the tallies and posts of *orgs* without a list of ids (a county's thousands make
        a slow query)."""
        width = self.width
        if where is None:
            where = Q(org_id__in=[o.pk for o in orgs])
        packed = tallies(where, year=self.year, until=self.until, on_time=False)
        committees = committee_terms(
            where=where & ~Q(org__kind=OrgKind.GROUP),  # groups have no committee
            start=datetime.date(self.year, 1, 1),
            end=self.until,
        )
        groups, misses = obligation_groups(
            orgs,
            spans=self.spans,
            counts=packed.counts,
            committees=committees,
            today=self.today,
            key=lambda org: org.path[:width],
        )
        attendance: dict[str, list[int]] = {}
        for org in orgs:
            got = packed.attendance.get(org.pk)
            if got is not None:
                sums = attendance.setdefault(org.path[:width], [0, 0])
                sums[0] += got[0]
                sums[1] += got[1]
        return groups, misses, attendance

    def first_missing(self, missed: Counter, *, limit: int) -> list[Missing]:
        """The first *limit* gaps, by organisation path: *missed* counts them per path
        prefix, so only the organisations under the first prefixes holding *limit* of
        them are counted one by one."""
        chosen, total = [], 0
        for prefix in sorted(p for p, n in missed.items() if n):
            if total >= limit:
                break
            chosen.append(prefix)
            total += missed[prefix]
        if not chosen:
            return []
        where, tallies_where = Q(), Q()
        for prefix in chosen:
            if len(prefix) < self.width:  # the node itself
                where |= Q(path=prefix)
                tallies_where |= Q(org__path=prefix)
            else:
                where |= subtree_q(prefix)
                tallies_where |= subtree_q(prefix, prefix="org__")
        _groups, misses, _attendance = self.one_by_one(self.orgs(where), tallies_where)
        return _missing_listed(misses, self.spans, limit=limit)


def compliance(
    *,
    node: Organization,
    year: int,
    today: datetime.date,
    by: str,
    missing_limit: int | None = None,
) -> Compliance:
    """Done / due per child, column (month or quarter) and kind for *year*: five queries
    below a county, eleven to fourteen for a county's page.

    Children, the branches and groups under *node*, their year tallies (one
    row per organisation and kind), the committee posts and the cadence rules;
    what each organisation owes comes from ``activities.cadence``, as on the
    worklist, counted in groups of organisations that owe and met alike. On a
    county's page (thousands of organisations) the database counts those that
    existed all year per child and packed count (``obligations_grouped_in_db``),
    and only the rest and the organisations whose gaps are listed are read one
    by one.
    An obligation counts once its period has ended (``activities.cadence``:
    the same rule as the worklist and the group ranking) and sits in the
    column where its period ends; "missing" is such a period without the
    records the rule asks for. Periods still under way (this month, quarter
    and year) are in progress: what they have done so far of what they ask
    sits in the column holding today, outside every rate; later columns stay empty.
    ``missing`` lists the first *missing_limit* gaps (all without one: the export);
    ``missing_count`` counts them all.
    """
    columns = _columns(year, by, today)
    until = min(today, datetime.date(year, 12, 31))
    children = children_of(node, until)
    width = len(node.path) + PATH_STEP
    all_kinds = list(REQUIREMENT_LABELS.items())
    index_of = {c.path: i for i, c in enumerate(children)}
    outside = len(children)  # the bucket of the node's own obligations
    in_year = until.year == year
    spans = (
        governed_spans(
            CadenceRule.objects.all(), start=datetime.date(year, 1, 1), until=until, today=today
        )
        if in_year
        else []
    )
    counting = _Counting(node, width, year, until, today, spans)
    grouped = None
    if spans and missing_limit is not None and node.depth <= GROUPED_UP_TO_DEPTH:
        # A county's page: most organisations counted by the database, only the first
        # gaps named.
        grouped = obligations_grouped_in_db(
            path=node.path,
            width=width,
            kinds=MEETING_ORG_KINDS,
            year=year,
            until=until,
            spans=spans,
            today=today,
        )
    if grouped is None:
        # The export (every gap named), a township's few hundred organisations, or a
        # year without rules: one by one.
        groups, misses, attendance = counting.one_by_one(
            counting.orgs(), subtree_q(node.path, prefix="org__")
        )
        missing_count = sum(mask.bit_count() for _org, _index, mask in misses)
        listed = _missing_listed(misses, spans, limit=missing_limit)
    else:
        groups, attendance = grouped.groups, grouped.attendance
        missed = grouped.missed
        # Organisations founded or dissolved during the year, one by one.
        others = counting.orgs(~existed_throughout_q(spans))
        if others:
            more, misses, more_attendance = counting.one_by_one(others)
            groups.update(more)
            for org, _index, mask in misses:
                missed[org.path[:width]] += mask.bit_count()
            for prefix, (expected, present) in more_attendance.items():
                sums = attendance.setdefault(prefix, [0, 0])
                sums[0] += expected
                sums[1] += present
        missing_count = sum(missed.values())
        listed = counting.first_missing(missed, limit=missing_limit)
    column_of = {m: (m - 1) // 3 if by == "quarter" else m - 1 for m in range(1, 13)}
    buckets = range(outside + 1)
    # Periods that ended, per [bucket][column where they end] and [bucket][kind] ...
    cell_done = [[0] * len(columns) for _ in buckets]
    cell_due = [[0] * len(columns) for _ in buckets]
    kind_done: list[Counter] = [Counter() for _ in buckets]
    kind_due: list[Counter] = [Counter() for _ in buckets]
    # ... and periods under way (this month, quarter, year): done so far of what they ask,
    # shown in the column holding today, never in a rate.
    open_done, open_due = [0] * len(buckets), [0] * len(buckets)
    kind_open_done: list[Counter] = [Counter() for _ in buckets]
    kind_open_due: list[Counter] = [Counter() for _ in buckets]
    # Sum the groups' span bits in lanes of one integer (LANE bits per span): a few
    # additions per group instead of one per span, then each lane read once.
    lanes: dict[tuple[int, int], list[int]] = {}
    closed_of = [sum(1 << i for i, s in enumerate(rs) if s.closed) for _r, rs in spans]
    for (prefix, index, owed, met), n in groups.items():
        bucket, closed = index_of.get(prefix, outside), closed_of[index]
        sums = lanes.get((bucket, index))
        if sums is None:
            sums = lanes[(bucket, index)] = [0, 0, 0, 0]
        sums[0] += n * _spread(owed & closed)
        sums[1] += n * _spread(met & closed)
        sums[2] += n * _spread(owed & ~closed)
        sums[3] += n * _spread(met & ~closed)
    for (bucket, index), (due, done, due_open, done_open) in lanes.items():
        rule, rule_spans = spans[index]
        asked = requirement(rule)
        for i, span in enumerate(rule_spans):
            shift = LANE * i
            if span.closed:
                column = column_of[span.end.month]
                owed, met = (due >> shift) & LANE_MAX, (done >> shift) & LANE_MAX
                cell_due[bucket][column] += owed
                kind_due[bucket][asked] += owed
                cell_done[bucket][column] += met
                kind_done[bucket][asked] += met
            else:
                owed, met = (due_open >> shift) & LANE_MAX, (done_open >> shift) & LANE_MAX
                open_due[bucket] += owed
                kind_open_due[bucket][asked] += owed
                open_done[bucket] += met
                kind_open_done[bucket][asked] += met

    def row_for(org, of) -> ComplianceRow:
        progress = (sum(open_done[b] for b in of), sum(open_due[b] for b in of))
        cells = [
            Cell(
                sum(cell_done[b][c] for b in of),
                sum(cell_due[b][c] for b in of),
                *(progress if column.state == OPEN else (0, 0)),
                column.state,
            )
            for c, column in enumerate(columns)
        ]
        kinds = {
            k: Cell(
                sum(kind_done[b][k] for b in of),
                sum(kind_due[b][k] for b in of),
                sum(kind_open_done[b][k] for b in of),
                sum(kind_open_due[b][k] for b in of),
            )
            for k, _label in all_kinds
        }
        row = ComplianceRow(org, cells, kinds)
        row.total = Cell(sum(c.done for c in cells), sum(c.due for c in cells), *progress)
        return row

    rows = [row_for(c, [i]) for i, c in enumerate(children)]
    own = row_for(node, [outside])
    own.label = f"{node.name}（本级）"
    total = row_for(node, buckets)
    for prefix, (expected, present) in attendance.items():
        index = index_of.get(prefix)
        for row in (total, own if index is None else rows[index]):
            row.expected += expected
            row.present += present
    if own.total.due or own.total.open_due or own.expected:
        rows.append(own)
    kinds = [(k, label) for k, label in all_kinds if total.kinds[k].due or total.kinds[k].open_due]
    return Compliance(node, year, by, columns, kinds, total, rows, listed, missing_count)


def _missing_listed(misses: list[tuple], spans, *, limit: int | None) -> list[Missing]:
    """The first *limit* (or all) missing obligations by organisation path, then period:
    only the organisations listed are expanded and named."""
    by_org: dict[int, list[tuple]] = {}
    for org, index, mask in misses:
        by_org.setdefault(org.pk, []).append((org, index, mask))
    entries = []  # (org, period start, requirement, period)
    for org_misses in sorted(by_org.values(), key=lambda m: m[0][0].path):
        if limit is not None and len(entries) >= limit:
            break
        own = []
        for org, index, mask in org_misses:
            rule, rule_spans = spans[index]
            asked = requirement(rule)
            own += [
                (span.start, asked, span.period, org)
                for i, span in enumerate(rule_spans)
                if mask >> i & 1
            ]
        own.sort(key=lambda m: m[:3])
        entries += own
    if limit is not None:
        entries = entries[:limit]
    labels = labels_by_pk({org for *_rest, org in entries})
    return [
        Missing(org.pk, labels[org.pk], kind, period_label(start, period))
        for start, kind, period, org in entries
    ]
