from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import params
from branches.missing import nodes_choose, planned, who_may_create
from branches.models import PICKABLE_CATEGORIES
from branches.scoping import scoped_view
from branches.spreadsheets.forms import SpreadsheetUploadForm
from branches.spreadsheets.writing import attachment, table_xlsx, xlsx_response
from branches.uploads import UploadGone, upload_read
from branches.writes import errors_to_form, write_permission
from members import forms, import_runs, selectors, services, standing
from members.development.import_views import pipeline_preview
from members.dues.selectors import ARREARS_RULE, arrears_months
from members.models import ImportRun, Inflow, Member, PiiAccess, Transfer
from members.retention import PURGED_MESSAGE
from members.roster_export import rejected_workbook, roster_csv, roster_xlsx, template_xlsx
from members.roster_parse import PipelineRosterFile, RosterFileError
from members.roster_plan import StalePreview, plan_import

IMPORT_PERMISSION = "members.import_member"
CREATE_ORG_PERMISSION = "branches.add_organization"


@write_permission(IMPORT_PERMISSION)
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a roster; it is checked and shown for confirmation, nothing is written yet."""
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None, label="花名册文件")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            run = import_runs.import_run_upload(user=request.user, data=data, file_name=upload.name)
        except PipelineRosterFile as exc:
            # A 积极分子花名册: its people are checked as the 发展党员 procedure's.
            return pipeline_preview(request, cells=exc.cells, data=data, file_name=upload.name)
        except RosterFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("members:import_preview", pk=run.pk)
    return render(request, "members/import_upload.html", {"form": form})


def _own_run(request, pk) -> ImportRun:
    # A run holds a file of personal data: only the person who uploaded it sees it.
    runs = (
        ImportRun.objects.visible_to(request.user)
        .filter(user=request.user)
        .select_related("upload")
    )
    return get_object_or_404(runs, pk=pk)


def _purged(request, run: ImportRun) -> bool:
    """True, with a message for the user, when the run's file was deleted by the purge."""
    if run.file:
        return False
    messages.error(request, PURGED_MESSAGE)
    return True


@scoped_view(ImportRun)
@require_GET
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    # The page refreshes while a run is active: it also notices a worker that died.
    import_runs.import_runs_sweep()
    run = _own_run(request, pk)
    context = {"run": run, "retention_days": settings.IMPORT_RETENTION_DAYS}
    if run.missing and run.status == ImportRun.Status.PREVIEWED:
        context.update(_missing_context(request, run))
    return render(request, "members/import_preview.html", context)


def _missing_context(request, run: ImportRun) -> dict:
    """The organisations the file names that the tree lacks, and who may create them."""
    may_create = request.user.has_perm(CREATE_ORG_PERMISSION)
    return {
        "nodes": planned(run.missing, request.user),
        "missing_rows": sum(entry["rows"] for entry in run.missing),
        "may_create": may_create,
        "ask": [] if may_create else who_may_create(request.user),
    }


@scoped_view(ImportRun)
@write_permission(IMPORT_PERMISSION, CREATE_ORG_PERMISSION)
@require_http_methods(["GET", "POST"])
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_missing(request: HttpRequest, pk: int) -> HttpResponse:
    """Create, after one confirmation, the organisations a roster names that the tree lacks.

    Lists each new node (kind, category, parent); where the file gives no
    parent the user picks it. Then the roster is checked again.
    """
    run = _own_run(request, pk)
    if request.method == "POST" and not request.user.has_perm(CREATE_ORG_PERMISSION):
        raise PermissionDenied
    if not run.missing or run.status != ImportRun.Status.PREVIEWED or _purged(request, run):
        return redirect("members:import_preview", pk=run.pk)
    context = {
        "run": run,
        **_missing_context(request, run),
        "errors": [],
        "categories": PICKABLE_CATEGORIES,
    }
    if request.method == "POST":
        nodes = context["nodes"]
        errors = nodes_choose(nodes, request.POST)
        if not errors:
            try:
                created = import_runs.import_run_create_missing(
                    run=run, user=request.user, nodes=nodes
                )
            except (ValidationError, UploadGone) as exc:
                errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            else:
                messages.success(
                    request,
                    f"已新建 {len(created)} 个组织："
                    + "、".join(o.name for o in created)
                    + "。花名册已按新的组织树重新检查。",
                )
                return redirect("members:import_preview", pk=run.pk)
        context.update(_missing_context(request, run), errors=errors)  # the list read afresh
    return render(request, "members/import_missing.html", context)


@scoped_view(ImportRun)
@require_GET
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_missing_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The organisations to create, as a sheet to hand to whoever keeps the tree."""
    run = _own_run(request, pk)
    nodes = planned(run.missing, request.user)
    return table_xlsx(
        title=f"组织树中没有的组织（{run.file_name}）",
        note="花名册中写到、但组织树中还没有的组织；请维护组织树的人员核实后新建。",
        headers=["组织名称", "组织类型", "支部类型", "上级组织", "涉及行数"],
        rows=([n.name, n.kind_label, n.category_label, n.parent_label, n.rows] for n in nodes),
        widths=[28, 10, 10, 36, 10],
        filename=f"待新建的组织-{run.file_name.rsplit('.', 1)[0]}.xlsx",
    )


@scoped_view(ImportRun)
@write_permission(IMPORT_PERMISSION)
@require_POST
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    run = _own_run(request, pk)
    if _purged(request, run):
        return redirect("members:import_preview", pk=run.pk)
    skip_invalid = request.POST.get("skip_invalid") == "1"
    try:
        if run.in_background:
            import_runs.import_run_request_commit(run=run, skip_invalid=skip_invalid)
            return redirect("members:import_preview", pk=run.pk)
        import_runs.import_run_confirm(run=run, skip_invalid=skip_invalid)
    except (StalePreview, ValidationError, ValueError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, message)
        return redirect("members:import_preview", pk=run.pk)
    messages.success(
        request,
        f"已导入：新增 {run.rows_new} 人，变更 {run.rows_changed} 人"
        + (f"，跳过被拒绝的 {run.rows_rejected} 行" if run.skipped_invalid else "")
        + "。",
    )
    return redirect("members:import_preview", pk=run.pk)


@scoped_view(ImportRun)
@write_permission(IMPORT_PERMISSION)
@require_POST
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a failed or interrupted background import again from its stored file."""
    run = _own_run(request, pk)
    if _purged(request, run):
        return redirect("members:import_preview", pk=run.pk)
    try:
        import_runs.import_run_retry(run=run)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("members:import_preview", pk=run.pk)


@scoped_view(ImportRun)
@require_GET
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_rejected(request: HttpRequest, pk: int) -> HttpResponse:
    """The rejected rows with an error column, ready to fix and import again."""
    run = _own_run(request, pk)
    if _purged(request, run):
        return redirect("members:import_preview", pk=run.pk)
    try:
        data = upload_read(run.upload)
    except UploadGone as exc:
        messages.error(request, str(exc))
        return redirect("members:import_preview", pk=run.pk)
    plan = plan_import(data=data, filename=run.file_name, user=request.user)
    return xlsx_response(
        rejected_workbook(plan), f"被拒绝的行-{run.file_name.rsplit('.', 1)[0]}.xlsx"
    )


@require_GET
@login_required
@permission_required(IMPORT_PERMISSION, raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    return template_xlsx()


@require_GET
@login_required
@permission_required("members.view_member", raise_exception=True)
def roster_export(request: HttpRequest) -> HttpResponse:
    """The roster of the user's part of the tree, xlsx or csv, masked without view_pii."""
    members = (
        Member.objects.visible_to(request.user)
        .active()
        .select_related("branch", "group")
        .order_by("branch__path", "name", "pk")
    )
    mask = not request.user.has_perm("members.view_pii")
    if not mask:
        services.pii_access_record(
            user=request.user,
            action=PiiAccess.Action.EXPORT,
            detail=f"导出花名册 {members.count()} 人",
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    if request.GET.get("format") == "csv":
        response = HttpResponse(
            roster_csv(members=members, user=request.user, mask=mask),
            content_type="text/csv; charset=utf-8",
        )
        return attachment(response, f"roster-{stamp}.csv")
    return roster_xlsx(
        members=members, user=request.user, mask=mask, filename=f"党员花名册-{stamp}.xlsx"
    )


# --- 组织关系转接 ------------------------------------------------------------------

VIEW_TRANSFER, ADD_TRANSFER, CHANGE_TRANSFER = (
    "members.view_transfer",
    "members.add_transfer",
    "members.change_transfer",
)


@require_GET
@login_required
@permission_required(VIEW_TRANSFER, raise_exception=True)
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Open letters on both sides, then this year's finished ones (the 转接台账)."""
    today = timezone.localdate()
    year = params.year_value(request.GET, default=today.year)
    work = selectors.transfer_work(user=request.user, root=None, today=today)
    done = (
        selectors.transfers_for(request.user)
        .exclude(state=Transfer.State.ISSUED)
        .filter(letter_date__year=year)
        .order_by("-letter_date", "-pk")
    )
    context = {"work": work, "done": done, "year": year, "today": today}
    return render(request, "members/transfer_list.html", context)


@scoped_view(Member)
@write_permission(ADD_TRANSFER)
@login_required
@permission_required(ADD_TRANSFER, raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer_issue(request: HttpRequest, member_id: int) -> HttpResponse:
    """Issue a 介绍信 for a member of the user's part of the tree."""
    member = get_object_or_404(
        Member.objects.visible_to(request.user).active().select_related("branch"), pk=member_id
    )
    today = timezone.localdate()
    form = forms.TransferIssueForm(
        request.POST or None,
        user=request.user,
        initial={
            "letter_number": forms.suggested_letter_number(user=request.user, today=today),
            # The letter says how far dues are paid: the ledger's answer, to confirm.
            "dues_paid_until": member.dues_paid_until,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_issue(
                member=member, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已开具{member.name}的组织关系介绍信，请打印后交本人。")
            return redirect("members:transfer_detail", pk=transfer.pk)
    return render(request, "members/transfer_issue.html", {"form": form, "member": member})


def _visible_transfer(request, pk: int) -> Transfer:
    return get_object_or_404(selectors.transfers_for(request.user), pk=pk)


@scoped_view(Transfer)
@require_GET
@login_required
@permission_required(VIEW_TRANSFER, raise_exception=True)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = _visible_transfer(request, pk)
    sides = selectors.transfer_sides(request.user, transfer)
    may_change = request.user.has_perm(CHANGE_TRANSFER) and transfer.state == Transfer.State.ISSUED
    context = {
        "transfer": transfer,
        "today": timezone.localdate(),
        "receive_form": (
            forms.TransferReceiveForm(transfer=transfer, user=request.user)
            if may_change and transfer.kind == Transfer.Kind.WITHIN and selectors.RECEIVING in sides
            else None
        ),
        "return_form": (
            forms.TransferReturnForm()
            if may_change and transfer.kind == Transfer.Kind.OUT and selectors.SENDING in sides
            else None
        ),
        "close_form": forms.TransferCloseForm() if may_change else None,
        "sending": selectors.SENDING in sides,
    }
    return render(request, "members/transfer_detail.html", context)


def _act(request, transfer: Transfer, form, action, success: str) -> HttpResponse:
    """Run *action* with the valid *form*'s data; refusals go back to the detail page."""
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return redirect("members:transfer_detail", pk=transfer.pk)
    try:
        action(**form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect("members:transfer_detail", pk=transfer.pk)


@scoped_view(Transfer)
@write_permission(CHANGE_TRANSFER)
@require_POST
@login_required
@permission_required(CHANGE_TRANSFER, raise_exception=True)
def transfer_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving side takes the member in (县内); the sender records the 回执 (县外)."""
    transfer = _visible_transfer(request, pk)
    sides = selectors.transfer_sides(request.user, transfer)
    if transfer.kind == Transfer.Kind.WITHIN and selectors.RECEIVING in sides:
        form = forms.TransferReceiveForm(request.POST, transfer=transfer, user=request.user)
        success = f"{transfer.member.name}的组织关系已转入。"
    elif transfer.kind == Transfer.Kind.OUT and selectors.SENDING in sides:
        form = forms.TransferReturnForm(request.POST)
        success = f"已登记回执，{transfer.member.name}转出离册。"
    else:
        raise PermissionDenied("只有接收方可以办理接收。")

    def receive(**data):
        services.transfer_receive(transfer=transfer, user=request.user, **data)

    return _act(request, transfer, form, receive, success)


@scoped_view(Transfer)
@write_permission(CHANGE_TRANSFER)
@require_POST
@login_required
@permission_required(CHANGE_TRANSFER, raise_exception=True)
def transfer_close(request: HttpRequest, pk: int) -> HttpResponse:
    """退回 or 过期: the letter ends and the member stays where they were."""
    transfer = _visible_transfer(request, pk)
    form = forms.TransferCloseForm(request.POST)

    def close(**data):
        services.transfer_close(transfer=transfer, user=request.user, **data)

    return _act(request, transfer, form, close, "介绍信已办结，党员仍在原党支部。")


@write_permission(ADD_TRANSFER, "members.add_member")
@login_required
@permission_required((ADD_TRANSFER, "members.add_member"), raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer_arrive(request: HttpRequest) -> HttpResponse:
    """A member arriving from outside the county with a 介绍信: on the roster from the receipt."""
    form = forms.TransferArriveForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_arrive(
                user=request.user,
                **{k: v for k, v in data.items() if k not in form.MEMBER_FIELDS},
                **form.member_fields(),
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"{transfer.member.name}已转入{transfer.to_branch.name}。")
            return redirect("members:transfer_detail", pk=transfer.pk)
    return render(request, "members/transfer_arrive.html", {"form": form})


@scoped_view(Transfer)
@require_GET
@login_required
@permission_required(VIEW_TRANSFER, raise_exception=True)
def transfer_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The 介绍信 with its 存根 and 回执 on one A4 sheet, as the paper form is laid out."""
    transfer = _visible_transfer(request, pk)
    if transfer.kind == Transfer.Kind.IN:
        raise Http404("县外转入的介绍信由对方开具。")
    member = transfer.member
    whole = request.user.has_perm("members.view_pii")
    if whole:
        services.pii_access_record(
            user=request.user,
            action=PiiAccess.Action.VIEW,
            member=member,
            detail=f"打印组织关系介绍信 {transfer.letter_number}",
        )
    context = {
        "transfer": transfer,
        "member": member,
        "id_number": member.id_number if whole else member.id_number_masked,
        "phone": member.mobile_phone if whole else member.mobile_phone_masked,
        "age": _age(member.birth_date, transfer.letter_date),
    }
    return render(request, "members/transfer_letter.html", context)


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- 流动、失联与党籍 -----------------------------------------------------------------

STANDING_STEPS = {
    "away": standing.member_away,
    "return": standing.member_return,
    "lost": standing.member_lost,
    "found": standing.member_found,
    "suspend": standing.member_suspend,
    "restore": standing.member_restore,
    "strike_off": standing.member_strike_off,
    "lapse_dues": standing.member_lapse_dues,
}


def _steps_open_to(member: Member, open_kinds: set[str]) -> list[str]:
    """The steps that apply to *member* as their spells stand."""
    if member.roster_status != "active":
        return []
    steps = ["return" if "away" in open_kinds else "away"]
    if "suspended" in open_kinds:
        steps += ["restore", "strike_off"]
    elif "lost" in open_kinds:
        steps += ["found", "suspend"]
    else:
        steps.append("lost")
    # 党章第九条: six months without paying dues (members.dues) → 自行脱党.
    if arrears_months(member.dues_paid_until, timezone.localdate()) >= ARREARS_RULE:
        steps.append("lapse_dues")
    return steps


@scoped_view(Member)
@write_permission("members.change_member")
@login_required
@permission_required("members.view_member", raise_exception=True)
@require_http_methods(["GET", "POST"])
def member_standing(request: HttpRequest, member_id: int) -> HttpResponse:
    """A member's 外出 / 失联 / 党籍 record and the next steps the rules allow."""
    member = get_object_or_404(
        Member.objects.visible_to(request.user).select_related("branch"), pk=member_id
    )
    spells = list(member.spells.order_by("-started_on", "-pk"))
    steps = _steps_open_to(member, {s.kind for s in spells if s.ended_on is None})
    if request.method == "POST":
        if not request.user.has_perm("members.change_member"):
            raise PermissionDenied
        step = params.choice_value(request.POST, "step", list(STANDING_STEPS), default="")
        form = forms.StandingForm(request.POST)
        if step not in steps:
            messages.error(request, "这一步不适用于该党员目前的状态。")
        elif not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        else:
            try:
                STANDING_STEPS[step](member=member, **form.data_for(step))
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(
                    request, f"已登记{member.name}：{forms.StandingForm.STEPS[step][0]}。"
                )
        return redirect("members:member_standing", member_id=member.pk)
    context = {
        "member": member,
        "spells": spells,
        # One form per step; ids told apart, names as the step's service takes them.
        "steps": [
            (s, *forms.StandingForm.STEPS[s], forms.StandingForm(auto_id=f"id_{s}_%s"))
            for s in steps
        ],
        "can_change": request.user.has_perm("members.change_member"),
    }
    return render(request, "members/member_standing.html", context)


REGISTER_KINDS = {
    "away": "流动党员（外出）",
    "lost": "失联党员",
    "suspended": "停止党籍党员",
    "inflow": "流入党员",
}
REGISTER_PAGE = 100


@require_GET
@login_required
@permission_required("members.view_member", raise_exception=True)
def standing_register(request: HttpRequest) -> HttpResponse:
    """The register of members away, lost or suspended now, in the user's part of the tree."""
    kind = params.choice_value(request.GET, "kind", list(REGISTER_KINDS), default="away")
    if kind == "inflow":
        return _inflow_register(request)
    spells = (
        selectors.spells_for(request.user)
        .open()
        .filter(kind=kind, member__roster_status="active")
        .select_related("member__branch")
        .order_by("member__branch__path", "member__name", "pk")
    )
    title = REGISTER_KINDS[kind]
    if request.GET.get("format") == "xlsx":
        return table_xlsx(
            title=f"{title}登记表",
            headers=[
                "姓名",
                "所在党支部",
                "起始日期",
                "外出地点",
                "工作单位",
                "联系方式",
                "流动党员党组织",
                "查找情况",
                "决定文号",
            ],
            rows=(
                [
                    s.member.name,
                    s.member.branch.name,
                    s.started_on,
                    s.destination,
                    s.employer,
                    s.contact,
                    s.mobile_org,
                    s.efforts,
                    s.decision_number,
                ]
                for s in spells.iterator(chunk_size=2000)
            ),
            widths=[10, 24, 12, 20, 20, 14, 20, 30, 16],
            filename=f"{title}登记表-{timezone.localdate():%Y%m%d}.xlsx",
        )
    page = Paginator(spells, REGISTER_PAGE).get_page(params.page_number(request.GET))
    context = {"kind": kind, "kinds": REGISTER_KINDS, "title": title, "page": page}
    return render(request, "members/standing_register.html", context)


def _inflow_register(request: HttpRequest) -> HttpResponse:
    """Members of other places registered here, present today."""
    inflows = (
        Inflow.objects.visible_to(request.user)
        .present_on(timezone.localdate())
        .select_related("branch")
        .order_by("branch__path", "name", "pk")
    )
    title = REGISTER_KINDS["inflow"]
    if request.GET.get("format") == "xlsx":
        return table_xlsx(
            title=f"{title}登记表",
            headers=[
                "姓名",
                "原党组织",
                "所在地",
                "在本地的工作单位或住址",
                "联系的党支部",
                "流入日期",
            ],
            rows=(
                [i.name, i.origin_org, i.origin_place, i.employer, i.branch.name, i.arrived_on]
                for i in inflows.iterator(chunk_size=2000)
            ),
            widths=[10, 30, 16, 24, 24, 12],
            filename=f"{title}登记表-{timezone.localdate():%Y%m%d}.xlsx",
        )
    page = Paginator(inflows, REGISTER_PAGE).get_page(params.page_number(request.GET))
    context = {"kind": "inflow", "kinds": REGISTER_KINDS, "title": title, "page": page}
    return render(request, "members/inflow_register.html", context)


@write_permission("members.change_member")
@login_required
@permission_required("members.change_member", raise_exception=True)
@require_http_methods(["GET", "POST"])
def inflow_add(request: HttpRequest) -> HttpResponse:
    """Register a member of another place who lives or works here (流入)."""
    form = forms.InflowForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            inflow = standing.inflow_register(**form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, f"已登记流入党员{inflow.name}。")
            return redirect(f"{reverse('members:standing_register')}?kind=inflow")
    return render(request, "members/inflow_add.html", {"form": form})


@scoped_view(Inflow)
@write_permission("members.change_member")
@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def inflow_leave(request: HttpRequest, pk: int) -> HttpResponse:
    inflow = get_object_or_404(Inflow.objects.visible_to(request.user), pk=pk)
    try:
        standing.inflow_leave(
            inflow=inflow, on=params.date_value(request.POST, "on", default=timezone.localdate())
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已登记{inflow.name}离开。")
    return redirect(f"{reverse('members:standing_register')}?kind=inflow")
