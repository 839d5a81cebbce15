from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from activities import exports, services
from activities.forms import ActivityForm, checklist, marks_from
from activities.ledgers.diary.selectors import diary_work
from activities.ledgers.stations.selectors import station_work
from activities.models import (
    KINDS_FOR_ORG,
    MEETING_ORG_KINDS,
    Activity,
    ActivityKind,
    Attachment,
    stars_label,
)
from activities.points.selectors import statement
from activities.ratings import publishing
from activities.ratings.selectors import (
    decision_applied,
    draft_fingerprint,
    draft_node_of,
    group_ranking,
    is_draft_node,
    publication_covering,
    publish_refusals,
    rating_differences,
    rating_rows,
    rating_rule_of,
    rating_summary,
    ties_of,
    withdrawn_publications,
)
from activities.ratings.services import check_draft_node, rating_draft_compute
from activities.rectification.selectors import rectification_work
from activities.selectors import (
    GAPS_SHOWN,
    activity_attendance_rows,
    ledger,
    meeting_roster,
    member_attendance,
    worklist,
    worklist_gap_lines,
)
from activities.tasks import compute_rating_draft
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind, county_unit_q, is_county_unit
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.terms.selectors import term_work
from branches.writes import write_permission
from members.development.selectors import development_work
from members.dues.selectors import dues_work
from members.models import Member
from members.selectors import standing_work, transfer_work


@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def worklist_view(request: HttpRequest) -> HttpResponse:
    """This month's and quarter's obligations still open, under the user's node or one picked."""
    visible = Organization.objects.visible_to(request.user)
    org_id = params.object_id(request.GET, "org")
    if org_id:
        root = get_object_or_404(visible, pk=org_id)
    else:
        root = request.user.org
    pickable = visible.filter(
        county_unit_q() | Q(kind__in=(OrgKind.PRIMARY_COMMITTEE, OrgKind.GENERAL_BRANCH))
    ).live()
    # Above a township the list would run to thousands of lines: county staff
    # pick a township, 工委 or 基层党委 (or, inside one, a 党委 or 党总支).
    if root is None or root.kind in (OrgKind.CITY, OrgKind.COUNTY):
        context = {"root": root, "pickable": pickable.filter(county_unit_q())}
        return render(request, "activities/worklist_pick.html", context)
    today = timezone.localdate()
    work = worklist(user=request.user, root=root, today=today)
    # A township's gaps run to hundreds of lines: the first ones unless asked for all.
    limit = None if request.GET.get("gaps") == "all" else GAPS_SHOWN
    gap_lines, gap_line_count = worklist_gap_lines(work, limit=limit)
    can_log = request.user.has_perm("activities.add_activity")
    log_url = reverse("activities:activity_log")
    for block in work.current:
        block.html = block.items_html(log_url=log_url, can_log=can_log)
    context = {
        "work": work,
        "gap_lines": gap_lines,
        "gap_lines_hidden": gap_line_count - len(gap_lines),
        "root": root,
        "pickable": pickable,
        "can_log": can_log,
        "transfers": (
            transfer_work(user=request.user, root=root, today=today)
            if request.user.has_perm("members.view_transfer")
            else None
        ),
        "standing": standing_work(user=request.user, root=root, today=today),
        "development": (
            development_work(user=request.user, root=root, today=today)
            if request.user.has_perm("members.view_recruit")
            else None
        ),
        "dues": (
            dues_work(user=request.user, root=root, today=today)
            if request.user.has_perm("members.view_duesline")
            else None
        ),
        "rectification": (
            rectification_work(user=request.user, root=root, today=today)
            if request.user.has_perm("activities.view_rectificationcase")
            else None
        ),
        "diary": (
            diary_work(user=request.user, root=root, today=today)
            if request.user.has_perm("activities.add_diarycheck")
            else None
        ),
        "stations": (
            station_work(user=request.user, root=root, today=today)
            if request.user.has_perm("activities.add_stationcheck")
            else None
        ),
        "terms": (
            term_work(user=request.user, root=root, today=today)
            if request.user.has_perm("branches.view_election")
            else None
        ),
    }
    return render(request, "activities/worklist.html", context)


def _form_context(*, org, kind, held_on, form, marks=None, activity=None, error=None):
    members = list(_roster(org, kind, held_on))
    rows = checklist(members, marks)
    duplicate = error is not None and getattr(error, "code", None) == services.DUPLICATE
    return {
        "org": org,
        "kind": kind,
        "kind_label": ActivityKind(kind).label,
        "held_on": held_on,
        "form": form,
        "rows": [r for r in rows if r["expected"]],
        "excused_rows": [r for r in rows if not r["expected"]],
        "activity": activity,
        "kinds": [(k.value, k.label) for k in KINDS_FOR_ORG.get(org.kind, [])],
        "duplicate": duplicate,
        "duplicate_message": error.messages[0] if duplicate else "",
        "errors": error.message_dict if error is not None and hasattr(error, "error_dict") else {},
    }


@write_permission("activities.add_activity")
@login_required
@permission_required("activities.add_activity", raise_exception=True)
@require_http_methods(["GET", "POST"])
def activity_log(request: HttpRequest) -> HttpResponse:
    """Log a meeting: pick organisation, kind and date, then mark everyone expected."""
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).live(),
        pk=params.object_id(request.GET, "org") or 0,
        kind__in=MEETING_ORG_KINDS,
    )
    kinds = KINDS_FOR_ORG[org.kind]
    kind = params.choice_value(request.GET, "kind", kinds, default=kinds[0])
    if request.method == "GET":
        held_on = params.date_value(request.GET, "held_on", default=timezone.localdate())
        form = ActivityForm(
            initial={"held_on": held_on}, kind=kind, roster=_roster(org, kind, held_on)
        )
        return render(
            request,
            "activities/activity_form.html",
            _form_context(org=org, kind=kind, held_on=held_on, form=form),
        )
    return _save(request, org=org, kind=kind, activity=None)


def _roster(org, kind, held_on):
    return meeting_roster(org=org, kind=kind, on=held_on).order_by("name")


def _save(request, *, org, kind, activity):
    held_on = params.date_value(request.POST, "held_on", default=timezone.localdate())
    roster = _roster(org, kind, held_on)
    form = ActivityForm(request.POST, request.FILES, instance=activity, kind=kind, roster=roster)
    members = list(roster)
    marks = marks_from(request.POST, members)
    if form.is_valid():
        fields = form.meeting_fields()
        try:
            saved = services.activity_log(
                org=org,
                kind=kind,
                held_on=form.cleaned_data["held_on"],
                marks=marks,
                recorded_by=request.user,
                guests=form.guest_names(),
                attachments=form.cleaned_data["attachments"],
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                activity=activity,
                **fields,
            )
        except ValidationError as error:
            context = _form_context(
                org=org,
                kind=kind,
                held_on=held_on,
                form=form,
                marks={m.member_id: m for m in marks},
                activity=activity,
                error=error,
            )
            return render(request, "activities/activity_form.html", context, status=400)
        messages.success(request, f"已保存：{saved}")
        return redirect("activities:worklist")
    context = _form_context(
        org=org,
        kind=kind,
        held_on=held_on,
        form=form,
        marks={m.member_id: m for m in marks},
        activity=activity,
    )
    return render(request, "activities/activity_form.html", context, status=400)


@scoped_view(Activity)
@write_permission("activities.change_activity")
@login_required
@permission_required("activities.change_activity", raise_exception=True)
@require_http_methods(["GET", "POST"])
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(Activity.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        return _save(request, org=activity.org, kind=activity.kind, activity=activity)
    marks = {a.member_id: a for a in activity.attendance.filter(is_guest=False)}
    guests = "\n".join(
        activity.attendance.filter(is_guest=True).values_list("guest_name", flat=True)
    )
    form = ActivityForm(
        instance=activity,
        initial={"guests": guests},
        kind=activity.kind,
        roster=_roster(activity.org, activity.kind, activity.held_on),
    )
    context = _form_context(
        org=activity.org,
        kind=activity.kind,
        held_on=activity.held_on,
        form=form,
        marks=marks,
        activity=activity,
    )
    return render(request, "activities/activity_form.html", context)


@scoped_view(Activity)
@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = get_object_or_404(
        Activity.objects.visible_to(request.user).select_related("org", "logged_by"), pk=pk
    )
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "rows": activity_attendance_rows(activity=activity),
            "attachments": activity.attachments.all(),
            "can_edit": request.user.has_perm("activities.change_activity"),
        },
    )


@scoped_view(Attachment)
@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.original_name,
    )


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def ledger_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """The 台账: every meeting of a branch and its groups in a year, printable and as xlsx."""
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user), pk=org_id, kind=OrgKind.BRANCH
    )
    year = params.report_year(request)
    activities = list(ledger(branch=branch, year=year))
    if request.GET.get("format") == "xlsx":
        return exports.ledger_xlsx(branch=branch, year=year, activities=activities)
    return render(
        request,
        "activities/ledger.html",
        {"branch": branch, "year": year, "activities": activities},
    )


@scoped_view(Member)
@require_GET
@login_required
@permission_required("activities.view_activity", raise_exception=True)
def member_attendance_view(request: HttpRequest, member_id: int) -> HttpResponse:
    member = get_object_or_404(
        Member.objects.visible_to(request.user).select_related("branch"), pk=member_id
    )
    year = params.report_year(request)
    rows, rates = member_attendance(member=member, year=year)
    return render(
        request,
        "activities/member_attendance.html",
        {"member": member, "year": year, "rows": rows, "rates": rates},
    )


# --- Points and star ratings ---------------------------------------------------------

RATING_PAGE_SIZE = 100
RANKING_PAGE_SIZE = 300


@scoped_view(Member)
@require_GET
@login_required
@permission_required("activities.view_pointentry", raise_exception=True)
def points_statement_view(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's points statement (积分明细) for a year, printable and as xlsx."""
    member = get_object_or_404(
        Member.objects.visible_to(request.user).select_related("branch", "group"), pk=member_id
    )
    year = params.report_year(request)
    data = statement(member=member, year=year)
    if request.GET.get("format") == "xlsx":
        return exports.statement_xlsx(member=member, year=year, data=data)
    context = {"member": member, "year": year, "stars_label": stars_label(data["stars"]), **data}
    return render(request, "activities/points_statement.html", context)


@require_GET
@login_required
@permission_required("activities.view_rating", raise_exception=True)
def ratings_home(request: HttpRequest) -> HttpResponse:
    """The nav's entry: the draft of the user's own node."""
    if request.user.org_id is None:
        return render(request, "activities/rating_none.html", status=404)
    return redirect("activities:rating_draft", org_id=request.user.org_id)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_grouprank", raise_exception=True)
def group_ranking_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """The party groups under a node ranked for the year (draft), for staff only."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    rows = group_ranking(node=node, year=year)
    if request.GET.get("format") == "xlsx":
        return exports.ranking_xlsx(node=node, year=year, rows=rows.iterator(chunk_size=2000))
    # A county ranks thousands of groups: a page at a time, the export holds them all.
    page = Paginator(rows, RANKING_PAGE_SIZE).get_page(params.page_number(request.GET))
    attach_labels(r.group for r in page)
    context = {"node": node, "year": year, "page": page, "rule": rating_rule_of(year)}
    return render(request, "activities/group_ranking.html", context)


def _rating_context(request, *, node, year, publication) -> dict:
    summary = rating_summary(node=node, year=year, publication=publication)
    page = Paginator(
        rating_rows(node=node, year=year, publication=publication), RATING_PAGE_SIZE
    ).get_page(params.page_number(request.GET))
    return {"node": node, "year": year, "page": page, **summary}


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_rating", raise_exception=True)
def rating_draft_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """The year's draft ratings under a node, with the caps and flags explained."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    if request.GET.get("format") == "xlsx":
        rows = rating_rows(node=node, year=year)
        return exports.ratings_xlsx(node=node, year=year, rows=rows, title="评星定级草稿")
    context = _rating_context(request, node=node, year=year, publication=None)
    context["can_compute"] = request.user.has_perm("activities.compute_rating") and (
        is_draft_node(node)
    )
    context["publication"] = publication_covering(node=node, year=year)
    return render(request, "activities/rating_draft.html", context)


@scoped_view(Organization)
@write_permission("activities.compute_rating")
@require_POST
@login_required
def rating_compute(request: HttpRequest, org_id: int) -> HttpResponse:
    # Scope first: another township's node is a 404 whatever the permissions.
    node, year = visible_node(request.user, org_id), params.report_year(request)
    if not request.user.has_perm("activities.compute_rating"):
        raise PermissionDenied
    try:
        check_draft_node(node)
        if is_county_unit(node):
            draft = rating_draft_compute(node=node, year=year)
            messages.success(request, f"已重新计算 {len(draft.ratings)} 名党员的评星草稿。")
        else:
            # A county's draft takes seconds to a minute: the worker computes it.
            compute_rating_draft.enqueue(node.pk, year)
            messages.success(
                request, "已在后台重新计算全县的评星草稿，约需一分钟，请稍后刷新本页查看计算时间。"
            )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(f"{reverse('activities:rating_draft', args=[node.pk])}?year={year}")


def _rating_page(node: Organization, year: int, name: str = "rating_published") -> str:
    return f"{reverse(f'activities:{name}', args=[node.pk])}?year={year}"


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_rating", raise_exception=True)
def rating_published_view(request: HttpRequest, org_id: int) -> HttpResponse:
    """The published (frozen) ratings covering a node, and how today's draft differs."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    publication = publication_covering(node=node, year=year)
    can_publish = request.user.has_perm("activities.publish_rating")
    if publication is None:
        context = {
            "node": node,
            "year": year,
            "can_publish": can_publish and is_draft_node(node),
            "withdrawn": withdrawn_publications(node=node, year=year),
        }
        return render(request, "activities/rating_unpublished.html", context)
    if request.GET.get("format") == "xlsx":
        rows = rating_rows(node=node, year=year, publication=publication)
        return exports.ratings_xlsx(node=node, year=year, rows=rows, title="评星定级结果")
    context = _rating_context(request, node=node, year=year, publication=publication)
    context["publication"] = publication
    context["differences"] = rating_differences(node=node, year=year, publication=publication)
    context["can_withdraw"] = can_publish and publication.org_id == node.pk
    context["withdraw_open"] = timezone.now() <= publication.withdrawable_until
    context["withdraw_days"] = settings.RATING_WITHDRAW_DAYS
    return render(request, "activities/rating_published.html", context)


def _publish_context(*, node: Organization, year: int) -> dict:
    """The confirmation page: the stored draft that would be frozen, or why it cannot be."""
    summary = rating_summary(node=node, year=year)
    refusals = publish_refusals(node=node, year=year, today=timezone.localdate())
    if not summary["total"]:
        refusals.append("本年度尚未计算评星定级草稿：请先在草稿页重新计算，核对后再发布。")
    if summary["undecided_count"]:
        refusals.append(publishing.undecided_message(summary["undecided_count"]))
    return {
        "node": node,
        "year": year,
        **summary,
        "refusals": refusals,
        "fingerprint": "" if refusals else draft_fingerprint(node=node, year=year),
        "withdraw_days": settings.RATING_WITHDRAW_DAYS,
    }


@scoped_view(Organization)
@write_permission("activities.publish_rating")
@require_http_methods(["GET", "POST"])
@login_required
def rating_publish(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: what publishing would freeze, or why it cannot; POST: publish what was shown."""
    # Scope first: another township's node is a 404 whatever the permissions.
    node, year = visible_node(request.user, org_id), params.report_year(request)
    if not request.user.has_perm("activities.publish_rating"):
        raise PermissionDenied
    if request.method == "GET":
        context = _publish_context(node=node, year=year)
        return render(request, "activities/rating_publish.html", context)
    confirmed = params.text_value(request.POST, "confirmed", max_length=64)
    if not confirmed:
        messages.error(request, "请先在本页核对将要冻结的结果，再确认发布。")
        return redirect(_rating_page(node, year, "rating_publish"))
    try:
        publication = publishing.rating_publish(
            node=node, year=year, by=request.user, confirmed=confirmed
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_rating_page(node, year, "rating_publish"))
    messages.success(request, f"已发布{year}年度评星定级，共 {publication.member_count} 名党员。")
    return redirect(_rating_page(node, year))


@scoped_view(Organization)
@write_permission("activities.publish_rating")
@require_POST
@login_required
def rating_withdraw(request: HttpRequest, org_id: int) -> HttpResponse:
    """Withdraw the year's publication made at this node, with a reason (within the period)."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    if not request.user.has_perm("activities.publish_rating"):
        raise PermissionDenied
    reason = params.text_value(request.POST, "reason")
    try:
        publishing.rating_withdraw(node=node, year=year, by=request.user, reason=reason)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_rating_page(node, year))
    messages.success(
        request, f"已撤回{year}年度评星定级的发布，本年度重新显示为草稿；核对修改后可重新发布。"
    )
    return redirect(_rating_page(node, year, "rating_draft"))


@scoped_view(Organization)
@require_GET
@login_required
@permission_required("activities.view_grouprank", raise_exception=True)
def rating_ties(request: HttpRequest, org_id: int) -> HttpResponse:
    """Groups tied at the bottom of the draft rankings under a node, for a person to decide."""
    node, year = visible_node(request.user, org_id), params.report_year(request)
    publication = publication_covering(node=node, year=year)
    context = {
        "node": node,
        "year": year,
        "ties": ties_of(node=node, year=year),
        "rule": rating_rule_of(year),
        "publication": publication,
        "can_decide": publication is None and request.user.has_perm("activities.compute_rating"),
    }
    return render(request, "activities/rating_ties.html", context)


@scoped_view(Organization)
@write_permission("activities.compute_rating")
@require_POST
@login_required
def rating_tie_decide(request: HttpRequest, org_id: int) -> HttpResponse:
    """Record which groups tied at the bottom of this node's ranking are last, and why."""
    unit, year = visible_node(request.user, org_id), params.report_year(request)
    if not request.user.has_perm("activities.compute_rating"):
        raise PermissionDenied
    chosen = params.object_ids(request.POST, "last")
    reason = params.text_value(request.POST, "reason")
    try:
        decision = publishing.last_rank_decide(
            unit=unit, year=year, last_group_ids=chosen, reason=reason, by=request.user
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if decision_applied(decision):
            messages.success(request, "已记录决定，草稿已按决定重新计算。")
        else:
            messages.warning(
                request,
                "已记录决定，但重新计算后并列末位的党小组已有变化，决定没有适用：请重新决定。",
            )
    # Back to the township's list of ties, where the others (if any) wait too.
    return redirect(_rating_page(draft_node_of(unit) or unit, year, "rating_ties"))
