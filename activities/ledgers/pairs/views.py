"""The 结对帮扶 pages: the list (filters, Excel, the paper 结对帮扶登记表 when printed),
recording a pairing, one pairing with its visits and the forms for a visit and its
end, and the yearly summary of a node by child."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from activities.ledgers.pairs import exports, forms, selectors, services
from activities.ledgers.views import (
    branch_param,
    branch_picker,
    list_context,
    list_title,
    node_param,
    summary_context,
    wants_xlsx,
)
from activities.models import Pairing, PairingVisit
from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.scoping import scoped_view
from branches.selectors import visible_node
from branches.writes import errors_to_form, write_permission
from members.models import Member

VIEW, ADD = "activities.view_pairing", "activities.add_pairing"
END, VISIT = "activities.change_pairing", "activities.add_pairingvisit"
DETAIL_VISITS = 100
# step → its label, form, service, the permission it needs.
STEPS = {
    "visit": ("走访记录", forms.VisitForm, services.visit_record, VISIT),
    "end": ("结束结对", forms.EndForm, services.pairing_end, END),
}


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def pair_list(request: HttpRequest) -> HttpResponse:
    """结对帮扶登记表: the year's pairings in the user's part of the tree, with visits."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    node = node_param(request)
    rows = selectors.pair_rows(user=request.user, year=year, node=node)
    title = list_title(request, node, f"{year}年结对帮扶登记表")
    if wants_xlsx(request):
        return exports.pairs_xlsx(rows=rows, title=title)
    context = list_context(request, rows, title=title, year=year, node=node, today=today)
    return render(request, "activities/ledgers/pair_list.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pair_add(request: HttpRequest) -> HttpResponse:
    """登记结对: a branch's member (or a unit) paired with a household or village."""
    branch = branch_param(request)
    if branch is None:
        return branch_picker(request, title="结对帮扶 · 登记结对", action="登记结对")
    members = Member.objects.visible_to(request.user).active().filter(branch=branch)
    form = forms.PairingForm(
        request.POST or None, members=members, initial={"started_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.pairing_create(org=branch, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{pairing.helper}与{pairing.partner_name}结对。")
            return redirect("activities:pair_detail", pk=pairing.pk)
    context = {"form": form, "branch": branch}
    status = 400 if form.errors else 200
    return render(request, "activities/ledgers/pair_add.html", context, status=status)


def _pairing(request: HttpRequest, pk: int) -> Pairing:
    return get_object_or_404(
        Pairing.objects.visible_to(request.user).select_related("org", "member"), pk=pk
    )


def _step(request: HttpRequest, pairing: Pairing) -> tuple[str, object] | None:
    """Run the posted step; None once it is saved, else the step and its refused form."""
    step = params.choice_value(request.POST, "step", list(STEPS), default="")
    if not step:
        raise BadRequest("没有这一步。")
    label, form_class, service, perm = STEPS[step]
    if not request.user.has_perm(perm):
        raise PermissionDenied
    form = form_class(request.POST, auto_id=f"id_{step}_%s")
    if form.is_valid():
        try:
            service(pairing=pairing, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{label}。")
            return None
    return step, form


@scoped_view(Pairing)
@write_permission(VISIT, END)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One pairing: its partner, its visits, and the forms for a visit and its end."""
    pairing = _pairing(request, pk)
    failed = None
    if request.method == "POST":
        failed = _step(request, pairing)
        if failed is None:
            return redirect("activities:pair_detail", pk=pairing.pk)
        pairing = _pairing(request, pk)  # the refused step changed nothing
    steps = []
    for step, (label, form_class, _service, perm) in STEPS.items():
        if failed and failed[0] == step:
            steps.append((step, label, failed[1]))
        elif request.user.has_perm(perm) and (step == "visit" or pairing.ended_on is None):
            steps.append((step, label, form_class(auto_id=f"id_{step}_%s")))
    attach_labels([pairing.org])
    context = {
        "pairing": pairing,
        "visits": PairingVisit.objects.filter(pairing=pairing)
        .select_related("recorded_by")
        .order_by("-visited_on", "-pk")[:DETAIL_VISITS],
        "steps": steps,
        "open_step": failed[0] if failed else "",
    }
    status = 400 if failed else 200
    return render(request, "activities/ledgers/pair_detail.html", context, status=status)


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def pair_summary(request: HttpRequest, org_id: int) -> HttpResponse:
    """结对帮扶 of a node's year by child: pairings, households, villages, visits."""
    node = visible_node(request.user, org_id)
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    summary = selectors.pair_summary(node=node, year=year)
    context = summary_context(
        request,
        node,
        summary,
        year=year,
        today=today,
        drill=node.kind not in (OrgKind.BRANCH, OrgKind.GROUP),
    )
    return render(request, "activities/ledgers/pair_summary.html", context)
