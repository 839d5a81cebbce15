"""The 发展党员 pages: the people in the procedure, one person's record and next steps,
their 纪实表, and the county's yearly plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import params
from branches.models import Organization, county_unit_q
from branches.scoping import scoped_view
from branches.writes import errors_to_form, write_permission
from members.development import documents, forms, selectors, services
from members.models import DevelopmentPlan, Recruit, Stage, Vote
from members.roster_export import branch_labels
from members.services import pii_access_record

VIEW, ADD, CHANGE, WAIVE = (
    "members.view_recruit",
    "members.add_recruit",
    "members.change_recruit",
    "members.waive_rule",
)
PLAN_EDIT = ("members.add_developmentplan", "members.change_developmentplan")
LIST_PAGE = 100

# step → (what the form is called, its form, the service that records it)
STEPS = {
    "talk": ("谈话", forms.TalkForm, services.recruit_talk),
    "activist": ("确定为入党积极分子", forms.ActivistForm, services.recruit_designate_activist),
    "assess": ("培养考察", forms.AssessForm, services.recruit_assess),
    "candidate": ("确定为发展对象", forms.CandidateForm, services.recruit_designate_candidate),
    "review": ("政治审查", forms.ReviewForm, services.recruit_review),
    "train": ("集中培训", forms.TrainForm, services.recruit_train),
    "prepare": ("支委会审查、预审和公示", forms.PrepareForm, services.recruit_prepare),
    "admit": ("支部大会讨论接收", forms.VoteForm, services.recruit_admission_vote),
    "approve": ("上级党委审批", forms.ApproveForm, services.recruit_approve_admission),
    "oath": ("入党宣誓", forms.OathForm, services.recruit_oath),
    "confirm_apply": ("转正申请", forms.ConfirmApplyForm, services.recruit_confirm_apply),
    "confirm": ("支部大会讨论转正", forms.ConfirmVoteForm, services.recruit_confirmation_vote),
    "approve_confirm": (
        "上级党委审批转正决议",
        forms.ApproveForm,
        services.recruit_approve_confirmation,
    ),
    "leave": ("退出发展程序", forms.LeaveForm, services.recruit_leave),
}
NEEDS_RECRUIT = {forms.ActivistForm, forms.CandidateForm, forms.LeaveForm}
# Steps recorded once that may be recorded again to correct them: folded away once done.
DONE_WHEN = {
    "talk": "talk_on",
    "review": "review_on",
    "train": "training_from",
    "prepare": "committee_review_on",
    "oath": "oath_on",
    "confirm_apply": "confirm_applied_on",
}
FOLDED = {"leave"}


def steps_open_to(recruit: Recruit) -> list[str]:
    """The steps that apply to *recruit* as their record stands, in the order a clerk
    takes them."""
    admit_pending = any(
        v.purpose == Vote.Purpose.ADMIT
        and v.approved_on is None
        and v.decision == Vote.Decision.ADMIT
        for v in recruit.votes.all()
    )
    confirm_pending = any(
        v.purpose == Vote.Purpose.CONFIRM and v.approved_on is None for v in recruit.votes.all()
    )
    match recruit.stage:
        case Stage.APPLICANT:
            return ["activist" if recruit.talk_on else "talk", "leave"]
        case Stage.ACTIVIST:
            return ["assess", "candidate", "leave"]
        case Stage.CANDIDATE:
            if admit_pending:
                return ["approve"]
            return ["review", "train", "prepare", "admit", "leave"]
        case Stage.PROBATIONARY:
            steps = [] if recruit.oath_on else ["oath"]
            if confirm_pending:
                return [*steps, "approve_confirm"]
            if recruit.confirm_applied_on is None:
                steps.append("confirm_apply")
            return [*steps, "confirm"]
    return []


def _form(step: str, recruit: Recruit, data=None):
    _label, form_class, _service = STEPS[step]
    kwargs = {"recruit": recruit} if form_class in NEEDS_RECRUIT else {}
    return form_class(data, auto_id=f"id_{step}_%s", **kwargs)


def _visible(request, pk: int) -> Recruit:
    return get_object_or_404(
        selectors.recruits_for(request.user)
        .select_related(
            "branch", "group", "contact_1", "contact_2", "introducer_1", "introducer_2", "member"
        )
        .prefetch_related("votes", "waivers", "assessments"),
        pk=pk,
    )


@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def recruit_list(request: HttpRequest) -> HttpResponse:
    """The people in the procedure in the user's part of the tree, by stage."""
    stages = [*selectors.OPEN_STAGES, Stage.FULL, Stage.LEFT]
    stage = params.choice_value(request.GET, "stage", stages, default=Stage.ACTIVIST)
    recruits = (
        selectors.recruits_for(request.user)
        .filter(stage=stage)
        .select_related("branch", "contact_1", "contact_2", "introducer_1", "introducer_2")
        .order_by("branch__path", "applied_on", "pk")
    )
    if request.GET.get("format") == "xlsx":
        mask = not request.user.has_perm("members.view_pii")
        if not mask:
            pii_access_record(
                user=request.user, action="export", detail=f"{Stage(stage).label}名册"
            )
        return documents.activist_roster_xlsx(
            recruits=recruits, stage=stage, mask=mask, branch_labels=branch_labels(request.user)
        )
    counts = selectors.stage_counts(request.user)
    page = Paginator(recruits, LIST_PAGE).get_page(params.page_number(request.GET))
    context = {
        "stage": stage,
        "stage_label": Stage(stage).label,
        "tabs": [(s, Stage(s).label, counts.get(s, 0)) for s in stages],
        "page": page,
    }
    return render(request, "members/development/recruit_list.html", context)


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def recruit_add(request: HttpRequest) -> HttpResponse:
    """登记入党申请人: the application received."""
    form = forms.RecruitAddForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            recruit = services.recruit_apply(**form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记入党申请人{recruit.name}。请在一个月内安排谈话。")
            return redirect("members:recruit_detail", pk=recruit.pk)
    return render(request, "members/development/recruit_add.html", {"form": form})


@scoped_view(Recruit)
@write_permission(CHANGE)
@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def recruit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's record, stage by stage, and the forms for the steps open to them."""
    recruit = _visible(request, pk)
    steps = steps_open_to(recruit)
    can_change = request.user.has_perm(CHANGE)
    failed = None
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        step = params.choice_value(request.POST, "step", list(STEPS), default="")
        if step not in steps:
            messages.error(request, "这一步不适用于此人目前的阶段。")
            return redirect("members:recruit_detail", pk=recruit.pk)
        form = _form(step, recruit, request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    STEPS[step][2](recruit=recruit, **form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(form, exc)
            else:
                messages.success(request, f"已登记{recruit.name}：{STEPS[step][0]}。")
                return redirect("members:recruit_detail", pk=recruit.pk)
        recruit = _visible(request, pk)  # the refused step changed nothing
        failed = (step, form)
    forms_shown = [
        (
            s,
            STEPS[s][0],
            failed[1] if failed and failed[0] == s else _form(s, recruit),
            # Open unless done or rarely wanted; a refused step stays open with its errors.
            (failed and failed[0] == s)
            or not (s in FOLDED or (s in DONE_WHEN and getattr(recruit, DONE_WHEN[s]))),
        )
        for s in steps
    ]
    context = {
        "recruit": recruit,
        "record": documents.record_sections(recruit),
        "steps": forms_shown if can_change else [],
        "failed": failed[0] if failed else "",
        "waiver_form": forms.WaiverForm() if request.user.has_perm(WAIVE) else None,
        "waivers": recruit.waivers.all(),
        "today": timezone.localdate(),
    }
    return render(request, "members/development/recruit_detail.html", context)


@scoped_view(Recruit)
@write_permission(WAIVE)
@require_POST
@login_required
def recruit_waive(request: HttpRequest, pk: int) -> HttpResponse:
    """The county records a documented exception to one time limit for this person."""
    recruit = _visible(request, pk)  # out of scope is 404 before any permission says 403
    if not request.user.has_perm(WAIVE):
        raise PermissionDenied
    form = forms.WaiverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            waiver = services.waiver_record(recruit=recruit, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(
                request, f"已记录例外：{waiver.get_rule_display()}（{waiver.document_number}）。"
            )
    return redirect("members:recruit_detail", pk=recruit.pk)


@scoped_view(Recruit)
@require_GET
@login_required
@permission_required(VIEW, raise_exception=True)
def recruit_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """发展党员纪实表: one A4 page per stage, for the paper file."""
    recruit = _visible(request, pk)
    whole = request.user.has_perm("members.view_pii")
    if whole:
        pii_access_record(user=request.user, action="view", detail=f"发展党员纪实表 {recruit.name}")
    context = {
        "recruit": recruit,
        "record": documents.record_sections(recruit),
        "id_number": recruit.id_number if whole else recruit.id_number_masked,
        "today": timezone.localdate(),
    }
    return render(request, "members/development/recruit_sheet.html", context)


@require_GET
@login_required
@permission_required("members.view_developmentplan", raise_exception=True)
def development_plan(request: HttpRequest) -> HttpResponse:
    """The year's 发展党员计划 against what each township admitted and has in the pipeline."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    data = selectors.plan(user=request.user, year=year, today=today)
    if request.GET.get("format") == "xlsx":
        return documents.plan_xlsx(data)
    context = {
        "plan": data,
        "year": year,
        "years": list(range(today.year + 1, today.year - 5, -1)),
        "can_edit": all(request.user.has_perm(p) for p in PLAN_EDIT),
    }
    return render(request, "members/development/plan.html", context)


@write_permission(*PLAN_EDIT)
@login_required
@permission_required(PLAN_EDIT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def development_plan_edit(request: HttpRequest) -> HttpResponse:
    """Set each township's plan for a year on one form; all rows are saved or none."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    units = list(
        Organization.objects.visible_to(request.user)
        .filter(county_unit_q())
        .live()
        .order_by("path")
    )
    plans = {
        p.township_id: p
        for p in DevelopmentPlan.objects.visible_to(request.user).filter(
            year=year, township__in=units
        )
    }
    rows = [
        (
            unit,
            forms.PlanForm(
                request.POST or None,
                prefix=f"u{unit.pk}",
                initial={
                    name: getattr(plans.get(unit.pk), name, None)
                    for name in forms.PlanForm.base_fields
                },
            ),
        )
        for unit in units
    ]
    if request.method == "POST" and all(form.is_valid() for _unit, form in rows):
        services.plans_save(
            year=year, rows=[(unit, form.cleaned_data) for unit, form in rows], existing=plans
        )
        messages.success(request, f"已保存{year}年发展党员计划。")
        return redirect(f"{reverse('members:development_plan')}?year={year}")
    return render(request, "members/development/plan_edit.html", {"rows": rows, "year": year})
