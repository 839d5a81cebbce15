"""The 谈心谈话 pages: the list (filters, Excel, the paper 谈心谈话记录 when printed),
logging a talk, a branch's cycle with the pairs still missing, and the yearly summary
of a node by child."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.diary.forms import branch_members
from activities.ledgers.talks import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD = "activities.view_talk", "activities.add_talk"
# The branch page lists at most this many of the cycle's talks (the list has them all).
CYCLE_TALKS = 200


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def talk_list(request: HttpRequest) -> HttpResponse:
    """谈心谈话记录: the year's talks in the user's part of the tree, by branch and day."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    node = node_param(request)
    rows = selectors.talk_rows(user=request.user, year=year, node=node)
    title = list_title(request, node, f"{year}年谈心谈话记录")
    if wants_xlsx(request):
        return exports.talks_xlsx(rows=rows, title=title)
    context = list_context(request, rows, title=title, year=year, node=node, today=today)
    return render(request, "activities/ledgers/talk_list.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def talk_add(request: HttpRequest) -> HttpResponse:
    """登记谈心谈话: two members of the branch, the branch picked first; a missing pair's
    link names the two (``initiator``, ``partner``)."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="登记谈心谈话", action="登记谈话")
    today = timezone.localdate()
    members = branch_members(
        Member.objects.visible_to(request.user).active(), branch=branch, on=today
    )
    initial = {
        "talked_on": today,
        "initiator": params.object_id(request.GET, "initiator"),
        "partner": params.object_id(request.GET, "partner"),
    }
    form = forms.TalkForm(request.POST or None, members=members, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            talk = services.talk_record(org=branch, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request, f"已登记{talk.initiator.name}与{talk.partner.name}的谈心谈话。"
            )
            return redirect("activities:talk_branch", org_id=branch.pk)
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/talk_add.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def talk_branch(request: HttpRequest, org_id: int) -> HttpResponse:
    """A branch's 谈心谈话 cycle: its dates, the required pairs met, those still missing
    (each a link to the form for the two), and the cycle's talks."""
    branch = get_object_or_404(
        Organization.objects.visible_to(request.user).filter(kind=OrgKind.BRANCH), pk=org_id
    )
    today = timezone.localdate()
    cycle = selectors.branch_talks(branch_ids=[branch.pk], today=today)[branch.pk]
    attach_labels([branch])
    context = {
        "branch": branch,
        "cycle": cycle,
        "missing": cycle.missing,
        "talks": selectors.cycle_talks(branch=branch, cycle=cycle)[:CYCLE_TALKS],
        "can_add": request.user.has_perm(ADD) and branch.dissolved_on is None,
    }
    return render(request, "activities/ledgers/talk_branch.html", context)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def talk_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """谈心谈话 of a node's year by child: talks, members in talks, and (this year, a
    township or below) the current cycles' required and missing pairs."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.talk_summary(node=node, year=year, today=today)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
        pairs=selectors.pairs_counted(node, year, today),
    )
    return render(request, "activities/ledgers/talk_summary.html", context)
