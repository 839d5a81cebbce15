"""The 民情日志's pages: the list (filters, Excel, the paper 民情日志 when printed, each
month's check at its foot), writing an entry, a branch's month with the secretary's
check, and the yearly summary of a node by child."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.diary import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from activities.models import DiaryCheck, DiaryEntry, DiaryOutcome
from branches import params
from branches.dated import months_later
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD = "activities.view_diaryentry", "activities.add_diaryentry"
CHECK = "activities.add_diarycheck"
MONTHS = [str(m) for m in range(1, 13)]


def _month(request: HttpRequest) -> int | None:
    value = params.choice_value(request.GET, "month", ["", *MONTHS], default="")
    return int(value) if value else None


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def diary_list(request: HttpRequest) -> HttpResponse:
    """民情日志: the year's entries in the user's part of the tree, by branch and day."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    month = _month(request)
    outcome = params.choice_value(request.GET, "outcome", ["", *DiaryOutcome.values], default="")
    node = node_param(request)
    rows = selectors.diary_rows(
        user=request.user, year=year, node=node, month=month, outcome=outcome
    )
    title = list_title(request, node, f"{year}年{f'{month}月' if month else ''}民情日志")
    if wants_xlsx(request):
        return exports.diary_xlsx(rows=rows, title=title)
    context = list_context(
        request,
        rows,
        title=title,
        year=year,
        node=node,
        today=today,
        filters={"month": month or "", "outcome": outcome},
        month=month,
        months=range(1, 13),
        outcome=outcome,
        outcomes=DiaryOutcome.choices,
    )
    # The foot of the printed page: the checks of the branches on it, not the county's.
    context["checks"] = selectors.diary_checks(
        user=request.user, year=year, node=node, month=month
    ).filter(org_id__in={e.org_id for e in context["page"]})
    return render(request, "activities/ledgers/diary_list.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def diary_add(request: HttpRequest) -> HttpResponse:
    """记民情日志: one concern a cadre of the branch heard, the branch picked first."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="记民情日志", action="记民情日志")
    today = timezone.localdate()
    members = forms.branch_members(
        Member.objects.visible_to(request.user).active(), branch=branch, on=today
    )
    initial = {"date": today, "outcome": DiaryOutcome.RESOLVED}
    form = forms.DiaryEntryForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.diary_entry_record(org=branch, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已记入{branch.name}的民情日志。")
            if "another" in request.POST:
                return redirect(f"{request.path}?branch={branch.pk}")
            url = reverse("activities:diary_list")
            return redirect(f"{url}?org={branch.pk}&year={entry.date.year}")
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/diary_add.html", context, status=status)


def _checked_month(request: HttpRequest, today: datetime.date) -> datetime.date:
    """The month the page is about: ``year`` and ``month``, last month by default."""
    last = months_later(today.replace(day=1), -1)
    year = params.year_value(request.GET, default=last.year)
    month = _month(request)
    return datetime.date(year, month or last.month, 1)


@scoped_view(Organization)
@write_permission(CHECK)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def diary_check(request: HttpRequest, org_id: int) -> HttpResponse:
    """A branch's month of 民情日志: its entries, and the secretary's check of it."""
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.BRANCH), pk=org_id
    )
    today = timezone.localdate()
    month = _checked_month(request, today)
    members = forms.branch_members(
        Member.objects.visible_to(request.user).active(), branch=branch, on=today
    )
    can_check = request.user.has_perm(CHECK)
    form = None
    if request.method == "POST":
        if not can_check:
            raise PermissionDenied
        form = forms.DiaryCheckForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.diary_check(org=branch, month=month, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已审阅{branch.name}{month:%Y年%-m月}的民情日志。")
                return redirect(f"{request.path}?year={month.year}&month={month.month}")
    check = DiaryCheck.objects.filter(org=branch, month=month).select_related("checked_by").first()
    if form is None and can_check and check is None and month <= today:
        initial = {"checked_on": today, "checked_by": forms.secretary_of(branch, today)}
        form = forms.DiaryCheckForm(members=members, initial=initial)
    entries = (
        DiaryEntry.objects.filter(org=branch, date__gte=month, date__lt=months_later(month, 1))
        .select_related("cadre")
        .order_by("date", "pk")
    )
    attach_labels([branch])
    context = {"branch": branch, "month": month, "entries": entries, "check": check, "form": form}
    status = 400 if form is not None and form.errors else 200
    return render(request, "activities/ledgers/diary_check.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def diary_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """民情日志 of a node's year by child: entries, resolved, passed on, open, months checked."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.diary_summary(node=node, year=year)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    )
    return render(request, "activities/ledgers/diary_summary.html", context)
