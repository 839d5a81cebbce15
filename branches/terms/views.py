"""The 换届 pages: an organisation's term, committee and elections; the election form;
the printable election record; a postponement; the county's filing of a village
secretary. Scope → form → service → redirect, or scope → selector → render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from branches.models import TERM_KINDS, Candidate, Election, Organization, Post
from branches.paths import subtree_q
from branches.scoping import scoped_view
from branches.terms import forms, selectors, services
from branches.writes import errors_to_form, write_permission

VIEW, RECORD, POSTPONE, FILE = (
    "branches.view_election",
    "branches.add_election",
    "branches.add_termpostponement",
    "branches.change_post",
)


def _org(request: HttpRequest, org_id: int) -> Organization:
    visible = Organization.objects.visible_to(request.user).select_related("parent")
    return get_object_or_404(visible, pk=org_id)


def _members(request: HttpRequest, org: Organization):
    """The organisation's members on the roster the user may see: the candidate list."""
    # The roster sits above the tree (tests/test_layers.py): reached through the relation.
    member = Candidate._meta.get_field("member").related_model
    return (
        member.objects.visible_to(request.user)
        .active()
        .filter(subtree_q(org.path, prefix="branch__"))
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )


@scoped_view(Organization)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def term_org(request: HttpRequest, org_id: int) -> HttpResponse:
    """换届: the current term and its due date, the committee, the elections, postponements."""
    org, today = _org(request, org_id), timezone.localdate()
    user = request.user
    context = {
        "org": org,
        "term": selectors.org_term(org, today),
        "committee": selectors.committee(org, today),
        "elections": selectors.elections_of(org),
        "postponements": selectors.postponements_of(org),
        "village_top": selectors.is_village_top(org),
        "can_record": user.has_perm(RECORD) and org.kind in TERM_KINDS and org.is_live,
        "can_postpone": user.has_perm(POSTPONE) and org.kind in TERM_KINDS and org.is_live,
        "can_file": user.has_perm(FILE),
        "postpone_form": forms.PostponeForm(),
    }
    return render(request, "branches/terms/term_org.html", context)


@scoped_view(Organization)
@write_permission(RECORD)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def election_record(request: HttpRequest, org_id: int) -> HttpResponse:
    """登记选举结果: the meeting's figures and every candidate's votes, on one form."""
    # Scope first: another township's organisation does not exist (404), even to
    # someone who may not record (403).
    org = _org(request, org_id)
    if not request.user.has_perm(RECORD):
        raise PermissionDenied
    members = _members(request, org)
    form = forms.ElectionForm(request.POST or None, members=members)
    # The list to pick from, unless the organisation is too big for one (a township).
    listed = list(members[: forms.MEMBER_LIST_MAX + 1])
    listed = listed if len(listed) <= forms.MEMBER_LIST_MAX else None
    if request.method == "POST" and form.is_valid():
        try:
            election = services.election_record(org=org, by=request.user, **form.election_fields())
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            kind = "补选" if election.by_election else "换届选举"
            messages.success(request, f"已登记{org.name}{election.held_on:%Y年%-m月%-d日}{kind}。")
            return redirect("terms:election_detail", pk=election.pk)
    context = {
        "org": org,
        "form": form,
        "rows": form.candidate_fields(),
        "members": [forms.member_label(m) for m in listed or []],
        "members_listed": listed is not None,
        "term_kind": org.kind in TERM_KINDS,
    }
    status = 400 if form.errors else 200
    return render(request, "branches/terms/election_form.html", context, status=status)


@scoped_view(Election)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """选举结果报告单, printed on A4."""
    election = get_object_or_404(
        Election.objects.visible_to(request.user).select_related("org", "recorded_by"), pk=pk
    )
    candidates = election.candidates.select_related("member", "post").order_by(
        "elected", "title", "-votes", "pk"
    )
    context = {
        "election": election,
        "elected": [c for c in candidates if c.elected],
        "others": [c for c in candidates if not c.elected],
        "needed": election.present // 2 + 1,
        "quorum": election.electors * 4 // 5 + 1,
    }
    return render(request, "branches/terms/election_detail.html", context)


@scoped_view(Organization)
@write_permission(POSTPONE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def term_postpone(request: HttpRequest, org_id: int) -> HttpResponse:
    """延期换届: the superior committee's approval, its document and the new date."""
    org = _org(request, org_id)  # out of scope is 404 before the permission's 403
    if not request.user.has_perm(POSTPONE):
        raise PermissionDenied
    form = forms.PostponeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.term_postpone(org=org, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            until = form.cleaned_data["until"]
            messages.success(request, f"已登记{org.name}延期换届至{until:%Y年%-m月%-d日}。")
            return redirect("terms:term_org", org_id=org.pk)
    context = {"org": org, "form": form, "term": selectors.org_term(org, timezone.localdate())}
    return render(request, "branches/terms/postpone.html", context)


@scoped_view(Post)
@write_permission(FILE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def post_filing(request: HttpRequest, pk: int) -> HttpResponse:
    """县级备案 of a village or community secretary, and whether they chair the 村委会."""
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("org__parent", "member"), pk=pk
    )
    initial = {
        "filed_on": post.filed_on,
        "filed_document": post.filed_document,
        "chairs_village_committee": post.chairs_village_committee,
    }
    form = forms.FilingForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.user.has_perm(FILE):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.post_file(post=post, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(
                    request, f"已登记{post.org.name}书记{post.member.name}的备案情况。"
                )
                return redirect("terms:term_org", org_id=post.org_id)
    context = {
        "post": post,
        "form": form,
        "can_file": request.user.has_perm(FILE),
        "village_top": selectors.is_village_top(post.org),
    }
    return render(request, "branches/terms/filing.html", context)
