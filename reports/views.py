"""The report pages for county staff and clerks: scope → selector → page or xlsx."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from activities.ledgers.duty.selectors import duty_totals
from activities.ledgers.pairs.selectors import pair_totals
from activities.ledgers.pledges.selectors import pledge_totals
from activities.ledgers.study.selectors import study_totals
from activities.ratings.selectors import publication_covering, rating_summary, stars_by_child
from branches import params
from branches.models import Organization, OrgKind
from branches.paths import path_prefixes
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.sizing import BREACHES_SHOWN, sizing_breaches
from branches.terms.selectors import term_report
from members.development.selectors import development_counts
from members.dues.selectors import PERIODS, dues_report, period_months
from reports import exports, selectors
from reports.changes import INFLOWS, OUTFLOWS, changes_sentence, member_changes
from reports.printing import print_head

# The report tabs, in order: (url name, title, permission needed).
REPORTS = [
    ("reports:overview", "组织概况", "members.view_member"),
    ("reports:compliance", "三会一课", "activities.view_activity"),
    ("reports:stars", "积分与评星", "activities.view_rating"),
    ("reports:changes", "党员增减", "members.view_member"),
    ("reports:dues", "党费收缴", "members.view_duesline"),
    ("reports:terms", "换届", "branches.view_election"),
    ("reports:summary", "数据摘要", "members.view_member"),
]


def _on(request: HttpRequest) -> datetime.date:
    return params.date_value(request.GET, "on", default=timezone.localdate())


def usual_dates(today: datetime.date) -> list[datetime.date]:
    """The latest 30 June and 31 December before *today*: the dates work reports count at."""
    june = datetime.date(today.year if today.month > 6 else today.year - 1, 6, 30)
    december = datetime.date(today.year - 1, 12, 31)
    return sorted([june, december], reverse=True)


def _context(request: HttpRequest, node: Organization, current: str, **extra) -> dict:
    """Breadcrumb (the node's ancestors the user may see), tabs and the printed date."""
    crumbs = list(
        Organization.objects.visible_to(request.user)
        .filter(path__in=path_prefixes(node.path))
        .order_by("path")
    )
    tabs = [(name, title) for name, title, perm in REPORTS if request.user.has_perm(perm)]
    today = timezone.localdate()
    # A report by year counts up to today, or to the year's end once it is over.
    year = extra.get("year")
    as_of = extra.get("on") or (min(today, datetime.date(year, 12, 31)) if year else today)
    title = next(title for name, title, _perm in REPORTS if name == current)
    if year:
        title = f"{year}年{title}"
    return {
        "node": node,
        "crumbs": crumbs,
        "tabs": tabs,
        "current": current,
        "today": today,
        "usual_dates": usual_dates(today),
        "print_head": print_head(org_name=node.name, title=title, as_of=as_of),
        **extra,
    }


@require_GET
@login_required
def reports_home(request: HttpRequest) -> HttpResponse:
    if request.user.org_id is None:
        raise Http404("账号没有所属组织。")
    return redirect("reports:overview", org_id=request.user.org_id)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("members.view_member", raise_exception=True)
def overview_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """组织概况: nodes and members of a node and its children, as of a date."""
    node, on = visible_node(request.user, org_id), _on(request)
    data = selectors.overview(node=node, on=on)
    if request.GET.get("format") == "xlsx":
        return exports.overview_xlsx(data)
    selectors.mark_rows(data.children)
    context = _context(
        request,
        node,
        "reports:overview",
        data=data,
        on=on,
        development=_development(request, node, on),
        one_shoulder=selectors.one_shoulder(node=node, on=on),
    )
    if node.kind in (OrgKind.CITY, OrgKind.COUNTY):
        # The county keeps the tree in shape: its overview lists what breaks a sizing rule.
        today = timezone.localdate()
        breaches = sizing_breaches(
            orgs=Organization.objects.subtree(node),
            on=today,
            counts=selectors.sizing_counts(node=node, today=today, overview=data),
        )
        context.update(breaches=breaches[:BREACHES_SHOWN], breaches_total=len(breaches))
    context["chart"] = {
        "labels": [row.org.name for row in data.children],
        "values": [row.members["total"] for row in data.children],
        "title": "党员人数",
    }
    return render(request, "reports/overview.html", context)


def _development(request, node, on) -> dict[str, int] | None:
    """入党申请人, 积极分子 and 发展对象 on the day, for those who may see the pipeline."""
    if not request.user.has_perm("members.view_recruit"):
        return None
    return development_counts(node=node, on=on)


def _ledger_totals(user, node, on) -> dict:
    """The working ledgers' figures for the 数据摘要, of the ledgers *user* may read."""
    totals = {}
    if user.has_perm("activities.view_pledge"):
        totals["pledges"] = pledge_totals(node=node, year=on.year)
    if user.has_perm("activities.view_dutypost"):
        totals["duty"] = duty_totals(node=node, year=on.year, today=on)
    if user.has_perm("activities.view_pairing"):
        totals["pairs"] = pair_totals(node=node, year=on.year)
    if user.has_perm("activities.view_studysession"):
        totals["study"] = study_totals(node=node, year=on.year)
    return totals


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("members.view_member", raise_exception=True)
def summary_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """数据摘要: a paragraph for the work report, drafted from the overview."""
    node, on = visible_node(request.user, org_id), _on(request)
    data = selectors.overview(node=node, on=on)
    changes = member_changes(node=node, year=on.year, today=on, counts=False)
    development = _development(request, node, on)
    text = f"{selectors.summary_text(data, development)}{changes_sentence(changes)}"
    text += selectors.ledgers_sentence(node, on.year, **_ledger_totals(request.user, node, on))
    return render(
        request,
        "reports/summary.html",
        _context(request, node, "reports:summary", text=text, on=on),
    )


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def compliance_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """三会一课 compliance of a node's children by month or quarter, with what is missing."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    by = params.choice_value(request.GET, "by", ("month", "quarter"), default="month")
    export = request.GET.get("format") == "xlsx"
    data = selectors.compliance(
        node=node,
        year=year,
        today=timezone.localdate(),
        by=by,
        missing_limit=None if export else selectors.MISSING_SHOWN,
    )
    if export:
        return exports.compliance_xlsx(data)
    selectors.mark_rows(data.children)
    context = _context(
        request,
        node,
        "reports:compliance",
        data=data,
        year=year,
        by=by,
        shown=selectors.MISSING_SHOWN,
    )
    context["chart"] = {
        "labels": [c.label for c in data.columns],
        # Cell.rate is None for a period under way or ahead: the line stops at the last
        # ended period instead of drawing 100 % for a month met on its first day.
        "values": [
            round(c.rate * 100, 1) if c.rate is not None else None for c in data.total.cells
        ],
        "title": "完成率（%，已结束的周期）",
        "unit": "%",
        "max": 100,
    }
    return render(request, "reports/compliance.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_rating", raise_exception=True)
def stars_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """积分与评星: the star distribution by child, the ranking's flagged groups."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    publication = publication_covering(node=node, year=year)
    by_child = stars_by_child(node=node, year=year, publication=publication)
    summary = rating_summary(node=node, year=year, publication=publication, by_child=by_child)
    rows = by_child.rows
    if request.GET.get("format") == "xlsx":
        return exports.stars_xlsx(node=node, year=year, summary=summary, rows=rows)
    context = _context(
        request, node, "reports:stars", year=year, rows=rows, publication=publication, **summary
    )
    context["chart"] = {
        "labels": [d["label"] for d in summary["distribution"]],
        "values": [d["count"] for d in summary["distribution"]],
        "title": "评星分布",
    }
    return render(request, "reports/stars.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("members.view_member", raise_exception=True)
def changes_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """党员增减: members at the start and end of a year and every way they came and went."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    data = member_changes(node=node, year=year, today=timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return exports.changes_xlsx(data)
    context = _context(
        request, node, "reports:changes", data=data, year=year, inflows=INFLOWS, outflows=OUTFLOWS
    )
    return render(request, "reports/changes.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("members.view_duesline", raise_exception=True)
def dues_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """党费收缴情况: owed, collected, exempted, outstanding and passed upward, per child."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    period = params.choice_value(request.GET, "period", [p for p, _l in PERIODS], default="")
    first, last = period_months(year, period)
    data = dues_report(node=node, first=first, last=last)
    if request.GET.get("format") == "xlsx":
        return exports.dues_xlsx(data)
    context = _context(
        request, node, "reports:dues", data=data, year=year, period=period, periods=PERIODS
    )
    context["branch_kind"] = OrgKind.BRANCH
    context["ledger_month"] = first if first == last else None
    return render(request, "reports/dues.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("branches.view_election", raise_exception=True)
def terms_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """换届情况: terms overdue and due within six months, the states per child, the terms of
    unknown start and the village secretaries not yet filed with the county."""
    node = visible_node(request.user, org_id)
    data = term_report(node=node, today=timezone.localdate())
    if request.GET.get("format") == "xlsx":
        return exports.terms_xlsx(data)
    context = _context(request, node, "reports:terms", data=data)
    return render(request, "reports/terms.html", context)
