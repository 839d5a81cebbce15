"""The 设岗定责 ledger's pages: the list (Excel, the paper 登记表 when printed), setting
up a post, one post with its holders and their 履职记录, and the yearly summary."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.duty import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from activities.models import DutyAssignment, DutyLog, DutyPost
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

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
    node = node_param(request)
    rows = selectors.duty_rows(user=request.user, year=year, node=node)
    title = list_title(request, node, f"{year}年设岗定责登记表")
    if wants_xlsx(request):
        return exports.duty_posts_xlsx(rows=rows, title=title)
    context = list_context(request, rows, title=title, year=year, node=node, today=today)
    return render(request, "activities/ledgers/duty_list.html", context)


@write_permission(DUTY_ADD)
@login_required
@permission_required(DUTY_ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def duty_post_add(request: HttpRequest) -> HttpResponse:
    """设岗: a duty post of a branch, the branch picked first."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="设岗定责 · 设置岗位", action="设置岗位")
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
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
        on=selectors.duty_counted_on(year=year, today=today),
    )
    return render(request, "activities/ledgers/duty_summary.html", context)
