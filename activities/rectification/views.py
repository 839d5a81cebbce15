"""The 软弱涣散整顿 pages: the register (with its export and the year's 示范点), opening
a case, one case with its measures and progress, and the writes on it (progress,
a further measure, 销号). A closed case is read-only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities.models import RectificationCase
from activities.rectification import exports, forms, selectors, services
from branches import params
from branches.models import Organization, county_unit_q
from branches.scoping import scoped_view
from branches.writes import errors_to_form, write_permission

VIEW = "activities.view_rectificationcase"
OPEN, CLOSE = "activities.add_rectificationcase", "activities.change_rectificationcase"
ADD_MEASURE = "activities.add_rectificationmeasure"
PROGRESS = ("activities.add_rectificationprogress", "activities.change_rectificationmeasure")


def _townships(user):
    """The county's units the user may pick on the register: only above a township."""
    return Organization.objects.visible_to(user).filter(county_unit_q()).order_by("path")


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def rectification_list(request: HttpRequest) -> HttpResponse:
    """软弱涣散整顿台账: the year's cases in the user's scope, and those still open."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    state = params.choice_value(request.GET, "state", list(selectors.STATES), default="all")
    townships = list(_townships(request.user))
    township_id = params.object_id(request.GET, "township")
    # A clerk's own township is their whole scope: the picker is for county staff.
    township = next((t for t in townships if t.pk == township_id), None)
    if township_id and township is None:
        raise Http404("没有这个乡镇。")
    rows = selectors.register_rows(
        user=request.user, year=year, state=state, today=today, township=township
    )
    title = f"{year}年软弱涣散基层党组织整顿台账"
    if request.GET.get("format") == "xlsx":
        return exports.register_xlsx(rows=rows, title=title)
    context = {
        "title": title,
        "year": year,
        "years": list(range(today.year, today.year - 6, -1)),
        "state": state,
        "states": list(selectors.STATES.items()),
        "townships": townships if len(townships) > 1 else [],
        "township": township,
        "rows": rows,
        "totals": selectors.register_totals(rows),
        "sites": selectors.model_sites(user=request.user, year=year, township=township),
        "today": today,
        "can_open": request.user.has_perm(OPEN),
    }
    return render(request, "activities/rectification/rectification_list.html", context)


@write_permission(OPEN)
@login_required
@permission_required(OPEN, raise_exception=True)
@require_http_methods(["GET", "POST"])
def rectification_add(request: HttpRequest) -> HttpResponse:
    """列入软弱涣散整顿: the case, who answers for it and its plan's measures at once."""
    today = timezone.localdate()
    initial = {"year": params.year_value(request.GET, default=today.year), "identified_on": today}
    org_id = params.object_id(request.GET, "org")
    if org_id:
        initial["org"] = get_object_or_404(forms.case_orgs(request.user), pk=org_id)
    form = forms.CaseOpenForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {
            k: v
            for k, v in form.cleaned_data.items()
            if not k.startswith(("measure_", "deadline_"))
        }
        try:
            case = services.rectification_open(by=request.user, **data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已将{case.org.name}列入{case.year}年软弱涣散整顿。")
            return redirect("activities:rectification_detail", pk=case.pk)
    grade = None
    if "org" in initial:
        grade = services.lagging_grade(org=initial["org"], year=initial["year"])
    context = {"form": form, "grade": grade}
    status = 400 if form.errors else 200
    return render(
        request, "activities/rectification/rectification_add.html", context, status=status
    )


def _case(request: HttpRequest, pk: int) -> RectificationCase:
    return get_object_or_404(
        RectificationCase.objects.visible_to(request.user).select_related(
            "org", "grade__level", "recorded_by"
        ),
        pk=pk,
    )


def _detail(request: HttpRequest, case: RectificationCase, **bound) -> HttpResponse:
    """The case's page; *bound* holds the form that was sent and refused."""
    user = request.user
    writable = case.is_open
    context = {
        "case": case,
        "view": selectors.case_view(case, today=timezone.localdate()),
        "progress_form": bound.get("progress")
        or (forms.ProgressForm(case=case) if writable and user.has_perms(PROGRESS) else None),
        "measure_form": bound.get("measure")
        or (forms.MeasureForm() if writable and user.has_perm(ADD_MEASURE) else None),
        "close_form": bound.get("close")
        or (forms.CloseForm() if writable and user.has_perm(CLOSE) else None),
    }
    return render(request, "activities/rectification/rectification_detail.html", context)


@scoped_view(RectificationCase)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case: who answers for it, the plan, its measures and the progress recorded."""
    return _detail(request, _case(request, pk))


def _writable_case(request: HttpRequest, pk: int, perms) -> RectificationCase:
    """The case in scope (404 first: another township's case does not exist), then the
    permission to write on it (403)."""
    case = _case(request, pk)
    if not request.user.has_perms(perms):
        raise PermissionDenied
    return case


def _refused_closed(request, case) -> HttpResponse | None:
    if case.is_open:
        return None
    messages.error(request, f"{case.org.name}的整顿已销号，不能再登记。")
    return redirect("activities:rectification_detail", pk=case.pk)


@scoped_view(RectificationCase)
@write_permission(*PROGRESS)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def rectification_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """登记整顿进展; "该项措施已完成" marks the measure done on the entry's date."""
    case = _writable_case(request, pk, PROGRESS)
    if refused := _refused_closed(request, case):
        return refused
    form = forms.ProgressForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.rectification_progress_record(
                case=case, today=timezone.localdate(), by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{case.org.name}的整顿进展。")
            return redirect("activities:rectification_detail", pk=case.pk)
    return _detail(request, case, progress=form)


@scoped_view(RectificationCase)
@write_permission(ADD_MEASURE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def rectification_measure_add(request: HttpRequest, pk: int) -> HttpResponse:
    """增加整改措施."""
    case = _writable_case(request, pk, (ADD_MEASURE,))
    if refused := _refused_closed(request, case):
        return refused
    form = forms.MeasureForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_measure_add(case=case, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已为{case.org.name}增加整改措施。")
            return redirect("activities:rectification_detail", pk=case.pk)
    return _detail(request, case, measure=form)


@scoped_view(RectificationCase)
@write_permission(CLOSE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def rectification_close(request: HttpRequest, pk: int) -> HttpResponse:
    """整顿销号: the date, the decision's 文号 and the 验收意见."""
    case = _writable_case(request, pk, (CLOSE,))
    if refused := _refused_closed(request, case):
        return refused
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_close(case=case, today=timezone.localdate(), **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"{case.org.name}的软弱涣散整顿已销号。")
            return redirect("activities:rectification_detail", pk=case.pk)
    return _detail(request, case, close=form)
