"""The 公开承诺 ledger's pages: the list (filters, Excel, the A4 paper ledger when
printed), recording a pledge, one pledge with its comment, assessment and
fulfilment, and the yearly summary of a node by child."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.pledges import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from activities.models import Pledge, PledgeCategory
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD, CHANGE = "activities.view_pledge", "activities.add_pledge", "activities.change_pledge"
# Each step of a pledge: its label, form, service, and the date that says it is recorded.
STEPS = {
    "comment": ("领导点评", forms.CommentForm, services.pledge_comment, "comment_on"),
    "assess": ("群众评议", forms.AssessForm, services.pledge_assess, "assessed_on"),
    "fulfil": ("兑现情况", forms.FulfilForm, services.pledge_fulfil, "fulfilled_on"),
}


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
    node = node_param(request)
    rows = selectors.pledge_rows(
        user=request.user, year=year, node=node, state=state, category=category, today=today
    )
    title = list_title(request, node, f"{year}年党员公开承诺践诺台账")
    if wants_xlsx(request):
        return exports.pledges_xlsx(rows=rows, title=title)
    context = list_context(
        request,
        rows,
        title=title,
        year=year,
        node=node,
        today=today,
        filters={"state": state, "category": category},
        state=state,
        states=list(selectors.STATES.items()),
        category=category,
        categories=PledgeCategory.choices,
    )
    return render(request, "activities/ledgers/pledge_list.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pledge_add(request: HttpRequest) -> HttpResponse:
    """登记公开承诺: one pledge of a branch's member, or of the branch."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="登记公开承诺", action="登记承诺")
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
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    )
    return render(request, "activities/ledgers/pledge_summary.html", context)
