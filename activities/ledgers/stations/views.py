"""The 远程教育站点 pages: the list (filters, Excel, the paper 检查登记表 of the year when
printed), setting up a station, one station with its year of months and the forms for a
month's check and for its details, and the yearly summary of a node by child."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.stations import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
    years_offered,
)
from activities.models import Station, StationCheck, StationState
from branches import params
from branches.dated import months_later
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD, CHANGE = (
    "activities.view_station",
    "activities.add_station",
    "activities.change_station",
)
CHECK, RECHECK = "activities.add_stationcheck", "activities.change_stationcheck"
MONTHS = [str(m) for m in range(1, 13)]


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def station_list(request: HttpRequest) -> HttpResponse:
    """远程教育站点检查登记表: the year's stations in the user's part of the tree, month by month."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    state = params.choice_value(request.GET, "state", ["", *StationState.values], default="")
    node = node_param(request)
    rows = selectors.station_rows(user=request.user, year=year, node=node, state=state)
    title = list_title(request, node, f"{year}年远程教育站点检查登记表")
    if wants_xlsx(request):
        return exports.stations_xlsx(rows=rows, title=title, year=year, today=today)
    context = list_context(
        request,
        rows,
        title=title,
        year=year,
        node=node,
        today=today,
        filters={"state": state},
        state=state,
        states=StationState.choices,
        months=range(1, 13),
    )
    for station in context["page"]:
        station.marks = selectors.year_marks(station, year, today)
        station.year_playbacks = sum(c.playbacks for c in station.year_checks)
    return render(request, "activities/ledgers/station_list.html", context)


def _members(request: HttpRequest, branch: Organization):
    return (
        Member.objects.visible_to(request.user)
        .active()
        .filter(branch=branch)
        .order_by("name", "pk")
    )


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def station_add(request: HttpRequest) -> HttpResponse:
    """登记站点: a branch's 远程教育 station, the branch picked first."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="远程教育 · 登记站点", action="登记站点")
    initial = {
        "opened_on": timezone.localdate(),
        "name": f"{branch.name.removesuffix('党支部')}党员远程教育站点",
    }
    form = forms.StationForm(
        request.POST or None, members=_members(request, branch), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            station = services.station_create(org=branch, by=request.user, **form.details())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{station.name}。")
            return redirect("activities:station_detail", pk=station.pk)
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/station_add.html", context, status=status)


def _station(request: HttpRequest, pk: int) -> Station:
    return get_object_or_404(
        Station.objects.visible_to(request.user).select_related("org", "manager"), pk=pk
    )


def _chosen_month(request: HttpRequest, today: datetime.date) -> datetime.date:
    """The month the page is about: ``year`` and ``month``, last month by default."""
    last = months_later(today.replace(day=1), -1)
    year = params.year_value(request.GET, default=last.year)
    value = params.choice_value(request.GET, "month", ["", *MONTHS], default="")
    return datetime.date(year, int(value) if value else last.month, 1)


def _post(request: HttpRequest, station: Station, month: datetime.date, done) -> object | None:
    """Run the posted step; None once saved, else the refused form (step, form)."""
    step = params.choice_value(request.POST, "step", ["check", "edit"], default="")
    if not step:
        raise BadRequest("没有这一步。")
    if step == "edit":
        if not request.user.has_perm(CHANGE):
            raise PermissionDenied
        form = forms.StationChangeForm(
            request.POST, members=_members(request, station.org), auto_id="id_edit_%s"
        )
        if form.is_valid():
            try:
                services.station_change(station=station, by=request.user, **form.details())
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已修改{station.name}的站点信息。")
                return None
        return step, form
    if not request.user.has_perm(RECHECK if done else CHECK):
        raise PermissionDenied
    form = forms.StationCheckForm(request.POST, auto_id="id_check_%s")
    if form.is_valid():
        try:
            if done is None:
                services.station_check_record(
                    station=station, month=month, by=request.user, **form.cleaned_data
                )
            else:
                services.station_check_change(check=done, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{station.name}{month:%Y年%-m月}的检查。")
            return None
    return step, form


@scoped_view(Station)
@write_permission(CHECK, RECHECK, CHANGE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def station_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One station: its details, its year month by month, the chosen month's check form
    (a new check, or the month's check corrected) and the form for its details."""
    station = _station(request, pk)
    today = timezone.localdate()
    month = _chosen_month(request, today)
    checks = list(
        StationCheck.objects.filter(station=station, month__year=month.year)
        .select_related("checked_by")
        .order_by("month")
    )
    done = next((c for c in checks if c.month == month), None)
    failed = None
    if request.method == "POST":
        failed = _post(request, station, month, done)
        if failed is None:
            return redirect(f"{request.path}?year={month.year}&month={month.month}")
        station = _station(request, pk)  # the refused step changed nothing
    station.year_checks = checks
    marks = selectors.year_marks(station, month.year, today)
    stood = marks[month.month - 1].stood and month <= today
    check_form = failed[1] if failed and failed[0] == "check" else None
    if check_form is None and stood and request.user.has_perm(RECHECK if done else CHECK):
        initial = (
            {f: getattr(done, f) for f in ("checked_on", "state", "playbacks", "comment")}
            if done
            else {"checked_on": min(today, months_later(month, 1) - datetime.timedelta(1))}
        )
        check_form = forms.StationCheckForm(initial=initial, auto_id="id_check_%s")
    edit_form = failed[1] if failed and failed[0] == "edit" else None
    if edit_form is None and request.user.has_perm(CHANGE):
        edit_form = forms.StationChangeForm(
            members=_members(request, station.org),
            initial=forms.StationChangeForm.initial_of(station),
            auto_id="id_edit_%s",
        )
    attach_labels([station.org])
    context = {
        "station": station,
        "month": month,
        "done": done,
        "marks": marks,
        "years": years_offered(today),
        "check_form": check_form,
        "edit_form": edit_form,
        "open_step": failed[0] if failed else "",
    }
    status = 400 if failed else 200
    return render(request, "activities/ledgers/station_detail.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def station_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """远程教育站点 of a node's year by child: stations, months checked, faults, playbacks."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.station_summary(node=node, year=year, today=today)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
        ended=selectors.ended_months(year, today),
    )
    return render(request, "activities/ledgers/station_summary.html", context)
