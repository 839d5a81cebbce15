"""The assessment pages: 述职评议 meetings and their reports, the yearly grading of a
township's organisations, and ending a last-ranked group leader's post."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.assessment import exports, forms, selectors, services
from activities.models import SecretaryReportMeeting
from branches import params
from branches.models import Organization, is_county_unit
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission

VIEW_MEETING = "activities.view_secretaryreportmeeting"
ADD_MEETING = "activities.add_secretaryreportmeeting"
ADD_REPORT = "activities.add_secretaryreport"
VIEW_GRADE = "activities.view_orggrade"
GRADE = ("activities.add_orggrade", "activities.change_orggrade")
CHANGE_POST = "branches.change_post"
# A county's list of secretaries yet to report runs to thousands: the first ones on the page.
MISSING_SHOWN = 300


def _quarter(request: HttpRequest) -> int | None:
    value = params.choice_value(request.GET, "quarter", selectors.QUARTERS, default="")
    return int(value) if value else None


def _list_url(node: Organization, year: int, quarter: int | None = None) -> str:
    query = f"?org={node.pk}&year={year}" + (f"&quarter={quarter}" if quarter else "")
    return reverse("activities:report_meetings") + query


# --- 书记述职评议 -------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW_MEETING, raise_exception=True)
def report_meetings(request: HttpRequest) -> HttpResponse:
    """The 述职评议会 under a node for a year (and quarter), and who has not reported."""
    visible = Organization.objects.visible_to(request.user)
    org_id = params.object_id(request.GET, "org")
    node = get_object_or_404(visible, pk=org_id) if org_id else request.user.org
    year, quarter = params.report_year(request), _quarter(request)
    if node is None:
        raise Http404("没有可查看的组织。")
    if request.GET.get("format") == "xlsx":
        rows = selectors.year_reports(node=node, year=year)
        if quarter:
            rows = rows.filter(meeting__quarter=quarter)
        return exports.reports_xlsx(node=node, year=year, quarter=quarter, reports=rows)
    missing = selectors.not_reported(node=node, year=year, quarter=quarter)
    context = {
        "node": node,
        "year": year,
        "quarter": quarter,
        "quarters": range(1, 5),
        "meetings": selectors.meetings_of(node=node, year=year, quarter=quarter),
        "missing": missing[:MISSING_SHOWN],
        "missing_count": len(missing),
        "pickable": selectors.grading_nodes(visible),
        "can_add": request.user.has_perm(ADD_MEETING),
        "tab": "reports",
    }
    return render(request, "activities/assessment/report_meetings.html", context)


@write_permission(ADD_MEETING)
@login_required
@permission_required(ADD_MEETING, raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_meeting_add(request: HttpRequest) -> HttpResponse:
    """Record a 述职评议会: the committee, year, quarter, date and evaluators."""
    orgs = selectors.meeting_orgs(Organization.objects.visible_to(request.user))
    initial = {
        "year": params.report_year(request),
        "quarter": _quarter(request),
        "held_on": timezone.localdate(),
        "org": params.object_id(request.GET, "org"),
    }
    form = forms.MeetingForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.report_meeting_create(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, f"已登记{meeting}，请逐一登记书记述职。")
            return redirect("activities:report_meeting_detail", pk=meeting.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "tab": "reports"}
    return render(request, "activities/assessment/report_meeting_form.html", context, status=status)


@scoped_view(SecretaryReportMeeting)
@write_permission(ADD_REPORT)
@login_required
@permission_required(VIEW_MEETING, raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A 述职评议会 with its reports, and the form for the next secretary's report."""
    meeting = get_object_or_404(
        SecretaryReportMeeting.objects.visible_to(request.user).select_related("org"), pk=pk
    )
    orgs = selectors.reporting_orgs(node=meeting.org).filter(parent=meeting.org)
    posts = selectors.committee_posts_on(orgs=orgs, on=meeting.held_on)
    form = forms.ReportForm(request.POST or None, orgs=orgs, posts=posts)
    can_add = request.user.has_perm(ADD_REPORT)
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        if form.is_valid() and _report_add(form, meeting):
            messages.success(request, f"已登记「{form.cleaned_data['org'].name}」书记述职。")
            return redirect("activities:report_meeting_detail", pk=meeting.pk)
    reported = selectors.meeting_reports(meeting)
    context = {
        "meeting": meeting,
        "reports": reported,
        "form": form,
        "can_add": can_add,
        "tab": "reports",
    }
    status = 400 if form.errors else 200
    return render(
        request, "activities/assessment/report_meeting_detail.html", context, status=status
    )


def _report_add(form: forms.ReportForm, meeting: SecretaryReportMeeting) -> bool:
    data = form.cleaned_data
    org = data["org"]
    secretary = form.chosen_member() or selectors.secretary_on(org=org, on=meeting.held_on)
    if secretary is None:
        form.add_error(
            "secretary",
            f"「{org.name}」在会议日期（{meeting.held_on:%Y-%m-%d}）没有在任书记，请选择述职人。",
        )
        return False
    votes = services.Votes(
        good=data["good"],
        fairly_good=data["fairly_good"],
        average=data["average"],
        poor=data["poor"],
    )
    try:
        services.secretary_report_add(
            meeting=meeting,
            org=org,
            secretary=secretary,
            summary=data["summary"],
            votes=votes,
            evaluation=data["evaluation"],
        )
    except ValidationError as error:
        errors_to_form(form, error)
        return False
    return True


# --- Yearly grading -------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW_GRADE, raise_exception=True)
def grading_home(request: HttpRequest) -> HttpResponse:
    """The grading entry: the user's own township, or a list to pick one from."""
    user_org = request.user.org
    if user_org is not None and is_county_unit(user_org):
        return redirect("activities:grading", org_id=user_org.pk)
    nodes = selectors.grading_nodes(Organization.objects.visible_to(request.user))
    context = {"nodes": nodes, "year": params.report_year(request), "tab": "grading"}
    return render(request, "activities/assessment/grading_pick.html", context)


@scoped_view(Organization)
@write_permission(*GRADE)
@login_required
@permission_required(VIEW_GRADE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def grading_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """The year's grading of a township's organisations: figures, suggestion, confirmation."""
    # Scope first (404), then the permission (403), then whether the node is graded.
    node, year = visible_node(request.user, org_id), params.report_year(request)
    can_grade = request.user.has_perms(GRADE)
    if request.method == "POST" and not can_grade:
        raise PermissionDenied
    if not is_county_unit(node):
        raise Http404("年度定级按乡镇（街道）、工委或基层党委进行。")
    data = selectors.grading(node=node, year=year, today=timezone.localdate())
    if request.GET.get("format") == "xlsx" and request.method == "GET":
        return exports.grades_xlsx(data)
    form = forms.GradingForm(request.POST or None, rows=data.rows, levels=data.levels)
    if request.method == "POST" and form.is_valid() and _grades_save(request, form, data):
        messages.success(request, f"已保存{node.name}{year}年度 {len(data.rows)} 个党组织的定级。")
        return redirect(f"{reverse('activities:grading', args=[node.pk])}?year={year}")
    context = {
        "node": node,
        "year": year,
        "data": data,
        "form": form,
        "rows": form.bound_rows(),
        "can_grade": can_grade,
        "rectification_url": _rectification_url(),
        "tab": "grading",
    }
    status = 400 if form.errors else 200
    return render(request, "activities/assessment/grading.html", context, status=status)


def _grades_save(request: HttpRequest, form: forms.GradingForm, data) -> bool:
    choices = [
        services.GradeChoice(row=row, level=level, reasons=reasons)
        for row, level, reasons in form.choices()
    ]
    try:
        services.org_grades_save(
            year=data.year, choices=choices, stars_source=data.stars_source, by=request.user
        )
    except ValidationError as error:
        errors_to_form(form, error)
        form.add_error(
            None, "有党组织的定级未通过检查，本页的定级都没有保存：请按提示修改后重新保存。"
        )
        return False
    return True


def _rectification_url() -> str:
    """The 软弱涣散 register's create form, where a lagging row links (when it exists)."""
    try:
        return reverse("activities:rectification_add")
    except NoReverseMatch:  # the register is built alongside; until then, no link
        return ""


# --- Ending a last-ranked group leader's post ----------------------------------------------


@scoped_view(Organization)
@write_permission(CHANGE_POST)
@login_required
@require_http_methods(["GET", "POST"])
def group_leader_remove(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: what ending the leader's post would do, or why it cannot; POST: end it."""
    # Scope first: another township's group is a 404 whatever the permissions.
    group, year = visible_node(request.user, org_id), params.report_year(request)
    if not request.user.has_perm(CHANGE_POST):
        raise PermissionDenied
    rank = selectors.last_rank_in_force(group=group, year=year)
    form = forms.RemoveLeaderForm(request.POST or None)
    if request.method == "POST" and rank is not None and form.is_valid():
        try:
            post = services.group_leader_remove(
                rank=rank, on=form.cleaned_data["on"], by=request.user
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                f"已撤销{post.member.name}的{group.name}党小组长职务（{post.ended_on:%Y-%m-%d}）。",
            )
            return redirect(
                f"{reverse('activities:group_leader_remove', args=[group.pk])}?year={year}"
            )
    elif request.method == "POST":
        form.add_error(
            None, f"「{group.name}」不是{year}年度已发布排名中的末位党小组，不能撤销党小组长职务。"
        )
    posts = list(selectors.open_leader_posts(group=group).select_related("member"))
    context = {
        "group": group,
        "year": year,
        "rank": rank,
        "posts": posts,
        "form": form,
        "rule": services.LAST_RANK_RULE,
        "ended": selectors.removed_leader_posts(group=group, year=year),
        "tab": "grading",
    }
    status = 400 if form.errors else 200
    return render(request, "activities/assessment/leader_remove.html", context, status=status)
