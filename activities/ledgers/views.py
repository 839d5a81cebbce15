"""The working ledgers' pages. 公开承诺: the list (filters, Excel, the A4 paper ledger
when printed), recording a pledge, one pledge with its comment, assessment and
fulfilment, and the yearly summary of a node by child. 设岗定责: the same list,
setting up a post, one post with its holders and their 履职记录, and the summary."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers import exports, forms, selectors, services
from activities.models import DutyAssignment, DutyLog, DutyPost, Pledge, PledgeCategory
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.paths import path_prefixes, subtree_q
from branches.scoping import NOTHING, scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD, CHANGE = "activities.view_pledge", "activities.add_pledge", "activities.change_pledge"
LIST_PAGE = 100
# Each step of a pledge: its label, form, service, and the date that says it is recorded.
STEPS = {
    "comment": ("领导点评", forms.CommentForm, services.pledge_comment, "comment_on"),
    "assess": ("群众评议", forms.AssessForm, services.pledge_assess, "assessed_on"),
    "fulfil": ("兑现情况", forms.FulfilForm, services.pledge_fulfil, "fulfilled_on"),
}


def _years(today) -> list[int]:
    return list(range(today.year, today.year - 6, -1))


def _node(request: HttpRequest) -> Organization | None:
    """The ``org`` the list is narrowed to: any node in the user's scope, or 404."""
    org_id = params.object_id(request.GET, "org")
    return visible_node(request.user, org_id) if org_id else None


def _below(user) -> list[Organization]:
    """The nodes just under the user's own: what the list's 党组织 picker offers."""
    if user.org_id is None:
        return list(Organization.objects.filter(parent__isnull=True).order_by("path"))
    return list(Organization.objects.filter(parent_id=user.org_id).order_by("path"))


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def pledge_list(request: HttpRequest) -> HttpResponse:
    """公开承诺台账: the year's pledges in the user's part of the tree, by organisation."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    state = params.choice_value(request.GET, "state", list(selectors.STATES), default="all")
    category = params.choice_value(
        request.GET, "category", ["", *PledgeCategory.values], default=""
    )
    node = _node(request)
    rows = selectors.pledge_rows(
        user=request.user, year=year, node=node, state=state, category=category, today=today
    )
    where = node.name if node else (request.user.org.name if request.user.org else "")
    title = f"{where}{year}年党员公开承诺践诺台账"
    if request.GET.get("format") == "xlsx":
        return exports.pledges_xlsx(rows=rows, title=title)
    page = Paginator(rows, LIST_PAGE).get_page(params.page_number(request.GET))
    attach_labels(p.org for p in page)
    context = {
        "title": title,
        "year": year,
        "years": _years(today),
        "state": state,
        "states": list(selectors.STATES.items()),
        "category": category,
        "categories": PledgeCategory.choices,
        "node": node,
        "picker": _below(request.user),
        "page": page,
        "today": today,
        # The filters as validated, for the pager and the Excel link: never the raw query.
        "query": urlencode(
            {"year": year, "state": state, "category": category, "org": node.pk if node else ""}
        ),
    }
    return render(request, "activities/ledgers/pledge_list.html", context)


def _branch_for_form(request: HttpRequest) -> Organization | None:
    org_id = params.object_id(request.GET, "branch")
    if not org_id:
        return None
    return get_object_or_404(
        Organization.objects.visible_to(request.user).filter(
            kind=OrgKind.BRANCH, dissolved_on__isnull=True
        ),
        pk=org_id,
    )


def _branch_picker(request: HttpRequest, *, title: str, action: str) -> HttpResponse:
    """Which branch the record is for: a township's branches, the township picked first.
    *title* heads the page, *action* is each branch's link ("登记承诺")."""
    user = request.user
    township = None
    township_id = params.object_id(request.GET, "township")
    if township_id:
        township = visible_node(user, township_id)
    units = list(
        Organization.objects.visible_to(user).filter(parent__kind=OrgKind.COUNTY).order_by("path")
    )
    branches = []
    if township or len(units) <= 1:
        root = township or (units[0] if units else user.org)
        branches = attach_labels(
            Organization.objects.visible_to(user)
            .filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True)
            .filter(subtree_q(root.path) if root else NOTHING)
            .order_by("path")
        )
    context = {
        "units": units if not branches else [],
        "branches": branches,
        "township": township,
        "title": title,
        "action": action,
    }
    return render(request, "activities/ledgers/branch_pick.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pledge_add(request: HttpRequest) -> HttpResponse:
    """登记公开承诺: one pledge of a branch's member, or of the branch."""
    branch = _branch_for_form(request)
    if branch is None:
        return _branch_picker(request, title="登记公开承诺", action="登记承诺")
    members = Member.objects.visible_to(request.user).active().filter(branch=branch)
    today = timezone.localdate()
    initial = {"made_on": today, "due_on": today.replace(month=12, day=31)}
    form = forms.PledgeForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            pledge = services.pledge_create(org=branch, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            who = pledge.member.name if pledge.member else branch.name
            messages.success(request, f"已登记{who}的公开承诺。")
            if "another" in request.POST:
                return redirect(f"{request.path}?branch={branch.pk}")
            return redirect("activities:pledge_detail", pk=pledge.pk)
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/pledge_add.html", context, status=status)


def _pledge(request: HttpRequest, pk: int) -> Pledge:
    return get_object_or_404(
        Pledge.objects.visible_to(request.user).select_related("org", "member", "recorded_by"),
        pk=pk,
    )


@scoped_view(Pledge)
@write_permission(CHANGE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pledge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pledge, and the forms for its comment, assessment and fulfilment."""
    pledge = _pledge(request, pk)
    can_change = request.user.has_perm(CHANGE)
    failed = None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        step = params.choice_value(request.POST, "step", list(STEPS), default="")
        if not step:
            return HttpResponse("没有这一步。", status=400)
        label, form_class, service, _dated = STEPS[step]
        form = form_class(request.POST, auto_id=f"id_{step}_%s")
        if form.is_valid():
            try:
                service(pledge=pledge, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已登记{label}。")
                return redirect("activities:pledge_detail", pk=pledge.pk)
        pledge = _pledge(request, pk)  # the refused step changed nothing
        failed = (step, form)
    steps = []
    if can_change:
        for step, (label, form_class, _service, dated) in STEPS.items():
            done = getattr(pledge, dated) is not None
            if failed and failed[0] == step:
                form = failed[1]
            else:
                # What is recorded fills the form, so a correction starts from it.
                initial = {name: getattr(pledge, name) for name in form_class.base_fields}
                form = form_class(initial=initial if done else None, auto_id=f"id_{step}_%s")
            steps.append((step, label, form, done))
    attach_labels([pledge.org])
    context = {"pledge": pledge, "steps": steps, "open_step": failed[0] if failed else ""}
    status = 400 if failed else 200
    return render(request, "activities/ledgers/pledge_detail.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def pledge_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """公开承诺 of a node's year by child: made, fulfilled (on time), satisfaction."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.pledge_summary(node=node, year=year, today=today)
    crumbs = Organization.objects.visible_to(request.user).filter(path__in=path_prefixes(node.path))
    context = {
        "summary": summary,
        "year": year,
        "years": _years(today),
        "crumbs": list(crumbs.order_by("path")),
        "drill": node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    }
    return render(request, "activities/ledgers/pledge_summary.html", context)


# --- 设岗定责 ------------------------------------------------------------------------------

DUTY_VIEW, DUTY_ADD = "activities.view_dutypost", "activities.add_dutypost"
ASSIGN, UNASSIGN, LOG = (
    "activities.add_dutyassignment",
    "activities.change_dutyassignment",
    "activities.add_dutylog",
)
# step → its label, form, service, the permission it needs, whether the service takes the post
# (the others take the assignment the form picked, which belongs to the post).
DUTY_STEPS = {
    "assign": ("认岗", forms.AssignForm, services.duty_assign, ASSIGN, True),
    "unassign": ("离岗", forms.UnassignForm, services.duty_unassign, UNASSIGN, False),
    "log": ("履职记录", forms.LogForm, services.duty_log_record, LOG, False),
}
DETAIL_LOGS = 100


@require_GET
@login_required
@permission_required(DUTY_VIEW, raise_exception=True)
def duty_list(request: HttpRequest) -> HttpResponse:
    """设岗定责登记表: the year's duty posts in the user's part of the tree, with holders."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    node = _node(request)
    rows = selectors.duty_rows(user=request.user, year=year, node=node)
    where = node.name if node else (request.user.org.name if request.user.org else "")
    title = f"{where}{year}年设岗定责登记表"
    if request.GET.get("format") == "xlsx":
        return exports.duty_posts_xlsx(rows=rows, title=title)
    page = Paginator(rows, LIST_PAGE).get_page(params.page_number(request.GET))
    attach_labels(p.org for p in page)
    context = {
        "title": title,
        "year": year,
        "years": _years(today),
        "node": node,
        "picker": _below(request.user),
        "page": page,
        "today": today,
        # The filters as validated, for the pager and the Excel link: never the raw query.
        "query": urlencode({"year": year, "org": node.pk if node else ""}),
    }
    return render(request, "activities/ledgers/duty_list.html", context)


@write_permission(DUTY_ADD)
@login_required
@permission_required(DUTY_ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def duty_post_add(request: HttpRequest) -> HttpResponse:
    """设岗: a duty post of a branch, the branch picked first."""
    branch = _branch_for_form(request)
    if branch is None:
        return _branch_picker(request, title="设岗定责 · 设置岗位", action="设置岗位")
    form = forms.DutyPostForm(request.POST or None, initial={"set_up_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            post = services.duty_post_create(org=branch, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已设置{branch.name}的{post.name}。")
            return redirect("activities:duty_post_detail", pk=post.pk)
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/duty_post_add.html", context, status=status)


def _duty_post(request: HttpRequest, pk: int) -> DutyPost:
    return get_object_or_404(DutyPost.objects.visible_to(request.user).select_related("org"), pk=pk)


def _duty_step(request: HttpRequest, post: DutyPost, members) -> tuple[str, object] | None:
    """Run the posted step; None once it is saved, else the step and its refused form."""
    step = params.choice_value(request.POST, "step", list(DUTY_STEPS), default="")
    if not step:
        raise BadRequest("没有这一步。")
    label, form_class, service, perm, on_post = DUTY_STEPS[step]
    if not request.user.has_perm(perm):
        raise PermissionDenied
    form = form_class(request.POST, post=post, members=members, auto_id=f"id_{step}_%s")
    if form.is_valid():
        where = {"post": post} if on_post else {}
        try:
            service(by=request.user, **where, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{label}。")
            return None
    return step, form


@scoped_view(DutyPost)
@write_permission(ASSIGN, UNASSIGN, LOG)
@login_required
@permission_required(DUTY_VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def duty_post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One duty post: who held it in which span, their 履职记录, and the forms for each."""
    post = _duty_post(request, pk)
    members = Member.objects.visible_to(request.user).active()
    failed = None
    if request.method == "POST":
        failed = _duty_step(request, post, members)
        if failed is None:
            return redirect("activities:duty_post_detail", pk=post.pk)
        post = _duty_post(request, pk)  # the refused step changed nothing
    steps = []
    for step, (label, form_class, _service, perm, _on_post) in DUTY_STEPS.items():
        if failed and failed[0] == step:
            steps.append((step, label, failed[1]))
        elif request.user.has_perm(perm):
            form = form_class(post=post, members=members, auto_id=f"id_{step}_%s")
            steps.append((step, label, form))
    attach_labels([post.org])
    context = {
        "post": post,
        "holders": DutyAssignment.objects.filter(post=post)
        .select_related("member")
        .order_by("started_on", "pk"),
        "logs": DutyLog.objects.filter(assignment__post=post)
        .select_related("assignment__member")
        .order_by("-done_on", "-pk")[:DETAIL_LOGS],
        "steps": steps,
        "open_step": failed[0] if failed else "",
    }
    status = 400 if failed else 200
    return render(request, "activities/ledgers/duty_post_detail.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(DUTY_VIEW, raise_exception=True)
def duty_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """设岗定责 of a node's year by child: posts, members on a post, 无职党员 and their share."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.duty_summary(node=node, year=year, today=today)
    crumbs = Organization.objects.visible_to(request.user).filter(path__in=path_prefixes(node.path))
    context = {
        "summary": summary,
        "year": year,
        "years": _years(today),
        "on": selectors.duty_counted_on(year=year, today=today),
        "crumbs": list(crumbs.order_by("path")),
        "drill": node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    }
    return render(request, "activities/ledgers/duty_summary.html", context)
