"""The 党员学习 pages: the list of sessions (filters, Excel, the paper 学习记录 when
printed), recording a session, one session with its attendees by branch, a branch's
members' 学时 against their target (printed as the 学时登记表), and the yearly
summary of a node by child."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.study import exports, forms, selectors, services
from activities.ledgers.views import (
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
    years_offered,
)
from activities.models import StudyAttendance, StudyForm, StudySession
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.paths import subtree_q
from branches.scoping import NOTHING, scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD = "activities.view_studysession", "activities.add_studysession"
ATTEND = "activities.change_studysession"
MONTHS = [str(m) for m in range(1, 13)]


def _month(request: HttpRequest) -> int | None:
    value = params.choice_value(request.GET, "month", ["", *MONTHS], default="")
    return int(value) if value else None


def _branch_members(user, branch: Organization):
    return Member.objects.visible_to(user).active().filter(branch=branch).order_by("name", "pk")


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def study_list(request: HttpRequest) -> HttpResponse:
    """党员学习: the year's sessions in the user's part of the tree, by organisation and day."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    month = _month(request)
    form = params.choice_value(request.GET, "form", ["", *StudyForm.values], default="")
    node = node_param(request)
    rows = selectors.session_rows(user=request.user, year=year, node=node, month=month, form=form)
    title = list_title(request, node, f"{year}年{f'{month}月' if month else ''}党员学习教育记录")
    if wants_xlsx(request):
        return exports.study_xlsx(rows=rows, title=title)
    context = list_context(
        request,
        rows,
        title=title,
        year=year,
        node=node,
        today=today,
        filters={"month": month or "", "form": form},
        month=month,
        months=range(1, 13),
        form=form,
        forms=StudyForm.choices,
    )
    return render(request, "activities/ledgers/study_list.html", context)


def _org_picker(request: HttpRequest) -> HttpResponse:
    """Which organisation held the session: a township (or 工委, 基层党委) itself or one
    of its branches, the township picked first when the user sees several."""
    user = request.user
    visible = Organization.objects.visible_to(user).filter(dissolved_on__isnull=True)
    township_id = params.object_id(request.GET, "township")
    township = visible_node(user, township_id) if township_id else None
    units = list(visible.filter(parent__kind=OrgKind.COUNTY).order_by("path"))
    if township is None and len(units) == 1:
        township = units[0]
    if township is None and user.org is not None and user.org.kind != OrgKind.COUNTY:
        township = user.org
    orgs = []
    if township is not None:
        orgs = attach_labels(
            visible.filter(subtree_q(township.path) if township else NOTHING)
            .filter(kind__in=services.HOLDING_KINDS)
            .order_by("path")
        )
    context = {"units": units if township is None else [], "orgs": orgs, "township": township}
    return render(request, "activities/ledgers/study_pick.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def study_add(request: HttpRequest) -> HttpResponse:
    """登记学习: a session of a branch with its attendees, or of a township."""
    org_id = params.object_id(request.GET, "org")
    if not org_id:
        return _org_picker(request)
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(
            kind__in=services.HOLDING_KINDS, dissolved_on__isnull=True
        ),
        pk=org_id,
    )
    members = _branch_members(request.user, org) if org.kind == OrgKind.BRANCH else None
    initial = {"date": timezone.localdate(), "form": StudyForm.CLASS, "hours": 2}
    form = forms.StudySessionForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.study_session_record(org=org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{org.name}{session.date:%-m月%-d日}的学习。")
            if org.kind != OrgKind.BRANCH:
                messages.info(request, "请按党支部登记参加学习的党员。")
                return redirect("activities:study_detail", pk=session.pk)
            url = reverse("activities:study_list")
            return redirect(f"{url}?org={org.pk}&year={session.date.year}")
    attach_labels([org])
    status = 400 if form.errors else 200
    return render(
        request, "activities/ledgers/study_add.html", {"form": form, "org": org}, status=status
    )


def _attending(request: HttpRequest, session: StudySession) -> Organization | None:
    """The branch whose attendees the page shows: ``branch``, or the session's branch."""
    if session.org.kind == OrgKind.BRANCH:
        return session.org
    branch_id = params.object_id(request.GET, "branch")
    if not branch_id:
        return None
    branch = get_object_or_404(
        services.branches_below(session).filter(
            pk__in=Organization.objects.visible_to(request.user)
        ),
        pk=branch_id,
    )
    return branch


@scoped_view(StudySession)
@write_permission(ATTEND)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One session: its attendees by branch, and the form for a branch's attendees."""
    session = get_object_or_404(
        StudySession.objects.visible_to(request.user).select_related("org", "recorded_by"), pk=pk
    )
    branch = _attending(request, session)
    can_change = request.user.has_perm(ATTEND)
    form = None
    if request.method == "POST":
        if not can_change or branch is None:
            raise PermissionDenied
        form = forms.AttendanceForm(request.POST, members=_branch_members(request.user, branch))
        if form.is_valid():
            try:
                added, removed = services.study_attendance_set(
                    session=session, branch=branch, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"{branch.name}：新增{added}人，移除{removed}人。")
                return redirect(f"{request.path}?branch={branch.pk}")
    attendees = []
    if branch is not None:
        attendees = list(
            StudyAttendance.objects.filter(session=session, member__branch=branch)
            .select_related("member")
            .order_by("member__name", "member_id")
        )
        if form is None and can_change:
            form = forms.AttendanceForm(
                members=_branch_members(request.user, branch),
                initial={"members": [a.member for a in attendees]},
            )
    by_branch = []
    if session.org.kind != OrgKind.BRANCH:
        # The branches below the township with how many of theirs came: one grouped query.
        counts = dict(
            StudyAttendance.objects.filter(session=session)
            .values_list("member__branch_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        below = services.branches_below(session).filter(
            pk__in=Organization.objects.visible_to(request.user)
        )
        by_branch = [(b, counts.get(b.pk, 0)) for b in attach_labels(below)]
    attach_labels([session.org, *([branch] if branch else [])])
    context = {
        "session": session,
        "branch": branch,
        "attendees": attendees,
        "total": session.attendance.count(),
        "by_branch": by_branch,
        "form": form,
    }
    status = 400 if form is not None and form.errors else 200
    return render(request, "activities/ledgers/study_detail.html", context, status=status)


@scoped_view(StudySession)
@write_permission(ATTEND)
@login_required
@permission_required(ATTEND, raise_exception=True)
@require_http_methods(["GET", "POST"])
def study_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改学习信息: a session's day, topic, form and 学时 corrected (its attendees are
    set on the session's page)."""
    session = get_object_or_404(
        StudySession.objects.visible_to(request.user).select_related("org"), pk=pk
    )
    fields = ("date", "topic", "form", "hours")
    initial = {name: getattr(session, name) for name in fields}
    form = forms.StudySessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.study_session_change(session=session, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "已修改本次学习的信息，参加党员的学时随之更新。")
            return redirect("activities:study_detail", pk=session.pk)
    attach_labels([session.org])
    context = {"form": form, "session": session}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/study_edit.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def study_members(request: HttpRequest, org_id: int) -> HttpResponse:
    """A branch's members' 学时 of a year against their target (the 学时登记表)."""
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.BRANCH), pk=org_id
    )
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    below = params.choice_value(request.GET, "below", ["", "1"], default="") == "1"
    result = selectors.branch_members_year(branch=branch, year=year, today=today, below=below)
    attach_labels([branch])
    context = {
        "branch": branch,
        "year": year,
        "years": years_offered(today),
        "below": below,
        "result": result,
        "target": selectors.target_of(year),
    }
    return render(request, "activities/ledgers/study_members.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def study_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """党员学习 of a node's year by child: sessions, 学时, members, 达标 and the average."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.study_summary(node=node, year=year, today=today)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    )
    return render(request, "activities/ledgers/study_summary.html", context)
