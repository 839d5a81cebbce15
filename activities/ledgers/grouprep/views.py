"""The groups' reporting routine's pages: who has reported (a month's groups or a
quarter's branches, with Excel), a group's month (figures from the records, the
leader's text, submit; the phone form), a branch's quarter (its groups' months and
its own meetings, the secretary's text, the A4 print), the yearly summary of a node
by child, and the township's 经验交流会 (log it, read it)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.grouprep import exports, forms, selectors, services
from activities.ledgers.views import (
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from activities.models import Activity, ActivityKind, GroupReport
from activities.periods import add_months
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.paths import subtree_q
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission

VIEW = "activities.view_groupreport"
ADD = "activities.add_groupreport"
SUMMARY_ADD = "activities.add_branchsummary"
EXCHANGE_ADD = "activities.add_exchangepresentation"
MONTHS = [str(m) for m in range(1, 13)]
QUARTERS = ["1", "2", "3", "4"]


def _month(request: HttpRequest, today: datetime.date) -> datetime.date:
    """The month a page is about: ``year`` and ``month``, last month by default."""
    last = add_months(today.replace(day=1), -1)
    year = params.year_value(request.GET, default=last.year)
    month = params.choice_value(request.GET, "month", MONTHS, default=str(last.month))
    return datetime.date(year, int(month), 1)


def _quarter(request: HttpRequest, today: datetime.date) -> datetime.date:
    """The quarter a page is about: ``year`` and ``quarter``, the last ended by default."""
    last = add_months(selectors.quarter_start(today.year, (today.month - 1) // 3 + 1), -3)
    year = params.year_value(request.GET, default=last.year)
    number = params.choice_value(
        request.GET, "quarter", QUARTERS, default=str((last.month - 1) // 3 + 1)
    )
    return selectors.quarter_start(year, int(number))


def _quarter_label(quarter: datetime.date) -> str:
    return f"{quarter.year}年第{(quarter.month - 1) // 3 + 1}季度"


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def grouprep_list(request: HttpRequest) -> HttpResponse:
    """小组月报: which groups reported a month, or which branches summed up a quarter."""
    today = timezone.localdate()
    period = params.choice_value(request.GET, "period", ["month", "quarter"], default="month")
    node = node_param(request)
    if period == "quarter":
        start = _quarter(request, today)
        label = _quarter_label(start)
        rows = selectors.branch_rows(user=request.user, node=node, quarter=start)
        title = list_title(request, node, f"{label}支部季度小结")
        export = exports.quarter_xlsx
    else:
        start = _month(request, today)
        label = f"{start:%Y年%-m月}"
        rows = selectors.group_rows(user=request.user, node=node, month=start)
        title = list_title(request, node, f"{label}党小组月度报告")
        export = exports.month_xlsx
    if wants_xlsx(request):
        return export(rows=rows, title=title, period=label)
    query = {"period": period, "year": start.year, "org": node.pk if node else ""}
    if period == "quarter":
        query["quarter"] = (start.month - 1) // 3 + 1
    else:
        query["month"] = start.month
    context = list_context(
        request,
        rows,
        title=title,
        year=start.year,
        node=node,
        today=today,
        query=query,
        labelled=lambda row: row,  # the rows are the groups or branches themselves
        period=period,
        start=start,
        months=range(1, 13),
        quarters=range(1, 5),
        quarter_number=(start.month - 1) // 3 + 1,
        exchanges=selectors.exchanges(user=request.user, node=node, year=start.year),
    )
    return render(request, "activities/ledgers/grouprep_list.html", context)


@scoped_view(Organization)
@write_permission(ADD)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def group_month(request: HttpRequest, org_id: int) -> HttpResponse:
    """A group's month: its figures from the records and its report (or the form)."""
    group = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.GROUP), pk=org_id
    )
    today = timezone.localdate()
    month = _month(request, today)
    can_submit = request.user.has_perm(ADD)
    form = None
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = forms.GroupReportForm(request.POST)
        if form.is_valid():
            try:
                services.group_report_submit(
                    org=group, month=month, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已提交{group.name}{month:%Y年%-m月}的月度报告。")
                return redirect(f"{request.path}?year={month.year}&month={month.month}")
    report = GroupReport.objects.filter(org=group, month=month).select_related("submitted_by")
    report = report.first()
    if form is None and can_submit and report is None and month <= today:
        form = forms.GroupReportForm()
    attach_labels([group])
    context = {
        "group": group,
        "month": month,
        "quarter": (month.month - 1) // 3 + 1,
        "figures": selectors.group_month(group=group, month=month),
        "report": report,
        "form": form,
        "future": month > today,
        "deadline": selectors.report_deadline(month),
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "activities/ledgers/grouprep_month.html", context, status=status)


@scoped_view(Organization)
@write_permission(SUMMARY_ADD)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def branch_quarter(request: HttpRequest, org_id: int) -> HttpResponse:
    """A branch's quarter: its groups' months, its own meetings, the secretary's summary;
    printed, the paper 支部季度小结."""
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.BRANCH), pk=org_id
    )
    today = timezone.localdate()
    quarter = _quarter(request, today)
    can_submit = request.user.has_perm(SUMMARY_ADD)
    form = None
    if request.method == "POST":
        if not can_submit:
            raise PermissionDenied
        form = forms.BranchSummaryForm(request.POST)
        if form.is_valid():
            try:
                services.branch_summary_submit(
                    org=branch, quarter=quarter, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已提交{branch.name}{_quarter_label(quarter)}的小结。")
                number = (quarter.month - 1) // 3 + 1
                return redirect(f"{request.path}?year={quarter.year}&quarter={number}")
    summary = selectors.branch_quarter(branch=branch, quarter=quarter, today=today)
    if form is None and can_submit and summary.summary is None and quarter <= today:
        form = forms.BranchSummaryForm()
    attach_labels([branch])
    context = {
        "branch": branch,
        "quarter": quarter,
        "label": _quarter_label(quarter),
        "summary": summary,
        "form": form,
        "future": quarter > today,
        "today": today,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "activities/ledgers/grouprep_quarter.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def grouprep_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """The groups' reports of a node's year by child: due, reported, on time, quarters."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.report_summary(node=node, year=year, today=today)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind != OrgKind.GROUP,
    )
    return render(request, "activities/ledgers/grouprep_summary.html", context)


def _township(request: HttpRequest) -> Organization | None:
    """The township the 经验交流会 is for: ``township``, or the user's own township."""
    township_id = params.object_id(request.GET, "township")
    townships = Organization.objects.visible_to(request.user).filter(
        kind=OrgKind.TOWNSHIP, dissolved_on__isnull=True
    )
    if township_id:
        return get_object_or_404(townships, pk=township_id)
    return townships.filter(pk=request.user.org_id).first()


@write_permission(EXCHANGE_ADD)
@login_required
@permission_required(EXCHANGE_ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def exchange_add(request: HttpRequest) -> HttpResponse:
    """登记经验交流会: the township's yearly exchange and the groups that presented."""
    township = _township(request)
    if township is None:
        townships = Organization.objects.visible_to(request.user).filter(
            kind=OrgKind.TOWNSHIP, dissolved_on__isnull=True
        )
        context = {"townships": townships.order_by("path")}
        return render(request, "activities/ledgers/exchange_pick.html", context)
    groups = Organization.objects.filter(
        subtree_q(township.path), kind=OrgKind.GROUP, dissolved_on__isnull=True
    ).order_by("path")
    initial = {"held_on": timezone.localdate(), "topic": f"{township.name}党小组工作经验交流会"}
    form = forms.ExchangeForm(request.POST or None, groups=groups, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            activity = services.exchange_log(
                township=township, by=request.user, groups=list(data.pop("groups")), **data
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{township.name}的经验交流会。")
            return redirect("activities:exchange_detail", pk=activity.pk)
    context = {"form": form, "township": township}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/exchange_add.html", context, status=status)


@scoped_view(Activity)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def exchange_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One 经验交流会: when, where, and the groups that presented, each to its month."""
    activity = get_object_or_404(
        Activity.objects.visible_to(request.user).filter(kind=ActivityKind.EXCHANGE), pk=pk
    )
    presentations = list(activity.presentations.select_related("group").order_by("group__path"))
    attach_labels([p.group for p in presentations])
    context = {"activity": activity, "presentations": presentations}
    return render(request, "activities/ledgers/exchange_detail.html", context)
