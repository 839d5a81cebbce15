"""The 党费 pages: a branch's month (record many payments at once), a member's
statement with their base and corrections, a receipt, the yearly review of
bases, and 上缴."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from branches import params
from branches.models import Organization, OrgKind, is_county_unit
from branches.paths import path_prefixes
from branches.scoping import scoped_view
from branches.writes import errors_to_form, write_permission
from members.dues import forms, selectors, services
from members.dues.rules import FIRST_MONTH, add_months, month_label, month_start
from members.forms import live_branches
from members.models import DuesEntry, DuesReceipt, DuesRemittance, Member

VIEW, RECORD, BASE, REMIT = (
    "members.view_duesline",
    "members.add_duesentry",
    "members.add_duesbase",
    "members.add_duesremittance",
)


def _month(request: HttpRequest, today: datetime.date) -> datetime.date:
    """``?month=2026-11`` within 2000 and the current month, else the current month."""
    value = request.GET.get("month", "")
    try:
        month = datetime.date.fromisoformat(f"{value}-01")
    except ValueError:
        return month_start(today)
    return month if FIRST_MONTH <= month <= today else month_start(today)


@write_permission(RECORD)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_ledger(request: HttpRequest) -> HttpResponse:
    """党费收缴: a branch's month, every member who owes it, recorded on one form."""
    today = timezone.localdate()
    branches = live_branches(Organization.objects.visible_to(request.user))
    branch_id = params.object_id(request.GET, "branch")
    branch = get_object_or_404(branches, pk=branch_id) if branch_id else branches.first()
    month = _month(request, today)
    if branch is None:
        return render(request, "members/dues/ledger.html", {"branch": None, "month": month})
    rows = selectors.ledger_rows(branch=branch, month=month, today=today)
    form = forms.LedgerForm(request.POST or None, rows=rows)
    if request.method == "POST":
        if not request.user.has_perm(RECORD):
            raise PermissionDenied
        if form.is_valid():
            try:
                with transaction.atomic():
                    # Saving a month opens it for the whole branch: the report counts everyone.
                    services.dues_open(month=month, root=branch)
                    receipts = services.dues_record(
                        month=month,
                        rows=form.dues_rows(),
                        paid_on=form.cleaned_data["paid_on"],
                        by=request.user,
                    )
            except ValidationError as exc:
                _row_errors(form, exc)
            except IntegrityError:
                # The same month saved at the same moment (a form sent twice): nothing of
                # this one was written; the page shows what the other saved.
                messages.error(request, "本月党费刚刚已由他人（或重复提交）保存，请核对后再登记。")
                return redirect(
                    f"{reverse('members:dues_ledger')}?branch={branch.pk}&month={month:%Y-%m}"
                )
            else:
                messages.success(
                    request, f"已登记{branch.name}{month_label(month)}党费{len(receipts)}笔。"
                )
                request.session["dues_receipts"] = [r.pk for r in receipts][:200]
                return redirect(
                    f"{reverse('members:dues_ledger')}?branch={branch.pk}&month={month:%Y-%m}"
                )
    receipt_ids = request.session.pop("dues_receipts", []) if request.method == "GET" else []
    context = {
        "branch": branch,
        "branches": branches,
        "month": month,
        "months": [add_months(month_start(today), -n) for n in range(12)],
        "form": form,
        "rows": form.bound_rows(),
        "totals": selectors.ledger_totals(rows),
        "receipts": DuesReceipt.objects.filter(pk__in=receipt_ids).select_related("member"),
        "can_record": request.user.has_perm(RECORD),
    }
    return render(request, "members/dues/ledger.html", context)


def _row_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        field = f"action_{key}" if f"action_{key}" in form.fields else key
        form.add_error(field if field in form.fields else None, errors)


def _member(request: HttpRequest, member_id: int) -> Member:
    return get_object_or_404(
        Member.objects.visible_to(request.user).select_related("branch"), pk=member_id
    )


@scoped_view(Member)
@write_permission(BASE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_member(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's dues statement (the last two years), their base, and a new base."""
    member = _member(request, member_id)
    form = forms.BaseForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(BASE):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.dues_base_set(member=member, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已登记{member.name}的党费基数。")
                return redirect("members:dues_member", member_id=member.pk)
    context = {
        "member": member,
        "form": form,
        "can_base": request.user.has_perm(BASE),
        "can_correct": request.user.has_perm(RECORD),
        **selectors.member_statement(member=member, today=timezone.localdate()),
    }
    return render(request, "members/dues/member.html", context)


@scoped_view(DuesEntry)
@write_permission(RECORD)
@login_required
@permission_required(RECORD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """更正: a new entry for the difference; the entry corrected stays as it was."""
    entry = get_object_or_404(
        DuesEntry.objects.visible_to(request.user).select_related("member"), pk=pk
    )
    form = forms.CorrectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dues_correct(entry=entry, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request, f"已登记更正：{entry.member.name}{month_label(entry.month)}。"
            )
            return redirect("members:dues_member", member_id=entry.member_id)
    return render(request, "members/dues/correct.html", {"entry": entry, "form": form})


@scoped_view(DuesReceipt)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def dues_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """党费收据, printed on A4 or half a sheet (``?size=half``)."""
    receipt = get_object_or_404(
        DuesReceipt.objects.visible_to(request.user).select_related("member", "org", "entered_by"),
        pk=pk,
    )
    size = params.choice_value(request.GET, "size", ["a4", "half"], default="a4")
    context = {"receipt": receipt, "entries": selectors.receipt_entries(receipt), "size": size}
    return render(request, "members/dues/receipt.html", context)


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def dues_review(request: HttpRequest) -> HttpResponse:
    """The yearly review of the standard: members whose base is missing or a year old."""
    today = timezone.localdate()
    rows = list(
        selectors.bases_to_review(members=Member.objects.visible_to(request.user), today=today)
    )
    return render(
        request,
        "members/dues/review.html",
        {"rows": rows, "limit": selectors.REVIEW_SHOWN, "today": today},
    )


def remit_target(org: Organization) -> Organization | None:
    """Where *org* passes its dues: a branch to its township (the county unit above it),
    a township to the county."""
    if org.kind in (OrgKind.COUNTY, OrgKind.CITY):
        return None
    if is_county_unit(org):
        return org.parent
    above = Organization.objects.filter(path__in=path_prefixes(org.path)).select_related("parent")
    return next((o for o in above if is_county_unit(o)), None)


@write_permission(REMIT)
@login_required
@permission_required(REMIT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_remit(request: HttpRequest) -> HttpResponse:
    """上缴: what an organisation passed to the one above it."""
    org_id = params.object_id(request.GET, "org") or request.user.org_id
    if org_id is None:
        raise PermissionDenied("账号没有所属组织。")
    org = get_object_or_404(
        Organization.objects.visible_to(request.user).select_related("parent"), pk=org_id
    )
    target = remit_target(org)
    form = forms.RemitForm(request.POST or None)
    if target is None:
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            services.dues_remit(from_org=org, to_org=target, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记{org.name}向{target.name}上缴党费。")
            return redirect(f"{reverse('members:dues_remit')}?org={org.pk}")
    context = {
        "org": org,
        "target": target,
        "form": form,
        "recent": org_remittances(org),
    }
    return render(request, "members/dues/remit.html", context)


def org_remittances(org: Organization):
    return DuesRemittance.objects.filter(from_org=org).select_related("to_org")[:24]
