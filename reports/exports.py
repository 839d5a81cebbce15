"""xlsx downloads of the reports, built from the same selectors as the pages."""

from __future__ import annotations

from django.http import HttpResponse

from activities.cadence import FUTURE, OPEN
from activities.models import stars_label
from branches.models import BranchCategory, OrgKind
from branches.spreadsheets.writing import table_xlsx
from branches.terms.selectors import STATES, TermReport
from members.dues.selectors import DuesReport
from reports.changes import INFLOWS, OUTFLOWS, Changes
from reports.selectors import KIND_LABELS, NODE_KINDS, Compliance, Overview, branches_of

KIND_HEADERS = {**KIND_LABELS, OrgKind.TOWNSHIP: "乡镇党委"}


def _percent(rate):
    return round(rate * 100, 1) if rate is not None else ""


def overview_xlsx(data: Overview) -> HttpResponse:
    keys = [key for _title, figures in data.groups for key, _label in figures]
    headers = (
        ["组织"]
        + [KIND_HEADERS[k] for k in NODE_KINDS]
        + [branches_of(c) for c in BranchCategory]
        + [data.labels[k] for k in keys]
    )

    def line(row, name):
        return (
            [name]
            + [row.kinds[k] for k in NODE_KINDS]
            + [row.categories[c] for c in BranchCategory]
            + [row.members[k] for k in keys]
        )

    rows = [line(row, row.name) for row in data.children] + [line(data.total, "合计")]
    return table_xlsx(
        title=f"{data.node.name} 组织概况",
        note=f"截至 {data.on:%Y-%m-%d}",
        headers=headers,
        rows=rows,
        widths=[22] + [10] * (len(headers) - 1),
        filename=f"{data.node.name}组织概况{data.on:%Y%m%d}.xlsx",
    )


def compliance_xlsx(data: Compliance) -> HttpResponse:
    """The page's table: ended periods as done / due, the period under way as done so far
    (进行中), later periods empty; rates over ended periods only, as on the page."""
    headers = ["组织"]
    for column in data.columns:
        note = "（进行中）" if column.state == OPEN else ""
        headers += [f"{column.label}已开展{note}", f"{column.label}应开展{note}"]
    headers += [f"{label}完成率（%）" for _k, label in data.kinds]
    headers += ["全年已开展", "全年应开展", "完成率（%）", "进行中已开展", "进行中应开展"]
    headers.append("出席率（%）")

    def line(row, name):
        values = [name]
        for cell in row.cells:
            if cell.state == OPEN:
                values += [cell.done_so_far, cell.due_so_far]
            elif cell.state == FUTURE:
                values += ["", ""]
            else:
                values += [cell.done, cell.due]
        values += [_percent(row.kinds[k].rate) for k, _label in data.kinds]
        values += [row.total.done, row.total.due, _percent(row.total.rate)]
        values += [row.total.open_done, row.total.open_due] if row.total.open_due else ["", ""]
        values.append(_percent(row.attendance_rate))
        return values

    rows = [line(row, row.name) for row in data.children] + [line(data.total, "合计")]
    rows += [(), ("未按规定开展的组织生活（截至统计时）", data.missing_count)]
    rows += [(m.org_name, m.kind_label, m.period_label) for m in data.missing]
    return table_xlsx(
        title=f"{data.node.name} {data.year}年三会一课开展情况",
        headers=headers,
        rows=rows,
        widths=[22] + [8] * (len(headers) - 1),
        filename=f"{data.node.name}{data.year}年三会一课开展情况.xlsx",
    )


def stars_xlsx(*, node, year: int, summary: dict, rows) -> HttpResponse:
    headers = ["组织"] + [stars_label(s) for s in range(5, -1, -1)] + ["合计", "平均积分"]
    lines = [
        [r.org.name, *r.counts, r.total, float(r.average_points) if r.total else ""] for r in rows
    ]
    lines.append(["合计"] + [d["count"] for d in summary["distribution"]] + [summary["total"], ""])
    lines += [(), ("末位党小组", summary["flagged_count"])]
    lines += [
        (
            r.group.label,
            r.scope_org.name,
            f"{r.rank}/{r.group_count}",
            float(r.score),
            r.leader.name if r.leader else "",
        )
        for r in summary["flagged"]
    ]
    return table_xlsx(
        title=f"{node.name} {year}年度评星定级分布",
        headers=headers,
        rows=lines,
        widths=[22] + [10] * (len(headers) - 1),
        filename=f"{node.name}{year}年度评星定级分布.xlsx",
    )


def changes_xlsx(data: Changes) -> HttpResponse:
    """The page's table: start, each inflow and outflow, end, and whether it closes."""
    flows = INFLOWS + OUTFLOWS
    headers = (
        ["组织", "年初党员数"]
        + [f"增加：{label}" for _k, label in INFLOWS]
        + [f"减少：{label}" for _k, label in OUTFLOWS]
        + ["年末党员数", "核对"]
    )

    def line(row):
        return (
            [row.name, row.start]
            + [row.flows[key] for key, _label in flows]
            + [row.end, "相符" if row.closes else "不符"]
        )

    return table_xlsx(
        title=f"{data.node.name} {data.year}年党员增减情况",
        note=f"年初为 {data.start_day:%Y-%m-%d} 的人数，年末为 {data.end_day:%Y-%m-%d} 的人数",
        headers=headers,
        rows=[line(row) for row in data.rows] + [line(data.total)],
        widths=[22] + [10] * (len(headers) - 1),
        filename=f"{data.node.name}{data.year}年党员增减.xlsx",
    )


DUES_HEADERS = [
    "组织",
    "应缴（元）",
    "按月实收（元）",
    "免交（元）",
    "未缴（元）",
    "多缴（元）",
    "预交以后月份（元）",
    "应上缴（元）",
    "已上缴（元）",
    "未上缴（元）",
    "未交人次",
    "未核定基数人次",
]


def dues_xlsx(data: DuesReport) -> HttpResponse:
    """党费收缴情况表: the page's rows and total, the same numbers."""

    def line(row):
        return [
            row.name,
            row.owed,
            row.collected,
            row.exempted,
            row.outstanding,
            row.extra,
            row.advance,
            row.to_pass,
            row.passed,
            row.not_passed,
            row.unpaid,
            row.unknown,
        ]

    return table_xlsx(
        title=f"{data.node.name} 党费收缴情况表",
        note=f"{data.period_label}；应缴 = 按月实收 + 免交 + 未缴",
        headers=DUES_HEADERS,
        rows=[line(row) for row in data.rows] + [line(data.total)],
        widths=[22] + [12] * (len(DUES_HEADERS) - 1),
        filename=f"{data.node.name}党费收缴情况{data.first:%Y%m}-{data.last:%Y%m}.xlsx",
    )


def terms_xlsx(data: TermReport) -> HttpResponse:
    """换届情况表: every term that needs an election (overdue or due within six months)
    and every organisation whose term start is unknown, as the page lists them."""
    headers = [
        "组织",
        "上级组织",
        "状态",
        "本届任期开始",
        "任期（年）",
        "应换届日期",
        "批准延期至",
        "延期批准文号",
    ]

    def day(value):
        return f"{value:%Y-%m-%d}" if value else ""

    rows = [
        [
            term.org.name,
            term.org.parent_name or "",
            STATES[term.state],
            day(term.started_on),
            term.years or "",
            day(term.regular_due),
            day(term.postponed_until),
            term.postponement_document,
        ]
        for term in [*data.urgent, *data.unknown]
    ]
    return table_xlsx(
        title=f"{data.node.name} 换届情况表",
        note=f"截至 {data.today:%Y-%m-%d}；到期未换届和六个月内到期的，以及任期开始日期未登记的组织",
        headers=headers,
        rows=rows,
        widths=[26, 22, 16, 14, 10, 14, 14, 24],
        filename=f"{data.node.name}换届情况{data.today:%Y%m%d}.xlsx",
    )
