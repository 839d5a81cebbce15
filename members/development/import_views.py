"""The 积极分子花名册 import's page: upload, every row checked and shown, confirm.

One page, as the organisation tree's import: a file without problems is kept
(``Upload``) and the preview offers to confirm it; the confirmation reads and
checks the kept file again and writes every row or none. The roster's upload
page hands a file in this layout here (``pipeline_preview``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from branches import params, uploads
from branches.models import Upload
from branches.spreadsheets.forms import SpreadsheetUploadForm
from branches.spreadsheets.reading import SpreadsheetError
from branches.writes import write_permission
from members.development import imports
from members.import_runs import own_kept_upload
from members.models import Stage

ADD = "members.add_recruit"
ROWS_SHOWN = 200
UPLOAD, PREVIEW = (
    "members/development/import_upload.html",
    "members/development/import_preview.html",
)
LABEL = "积极分子花名册文件"


@write_permission(ADD)
@login_required
@permission_required(ADD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def recruit_import(request: HttpRequest) -> HttpResponse:
    """Upload a 积极分子花名册 and see what it would write; confirm: all rows or none."""
    if request.method == "POST" and "upload" in request.POST:
        return _confirm(request)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None, label=LABEL)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        data = sent.read()
        try:
            cells = imports.read_cells(data, sent.name)
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return pipeline_preview(request, cells=cells, data=data, file_name=sent.name)
    return render(request, UPLOAD, {"form": form})


def pipeline_preview(request: HttpRequest, *, cells, data: bytes, file_name: str) -> HttpResponse:
    """The check of a 积极分子花名册's cells; the file is kept only when it can be confirmed.

    Called by this page and by the roster's upload page (``members.views.import_upload``).
    """
    if not request.user.has_perm(ADD):
        raise PermissionDenied("没有登记发展党员的权限，不能导入入党积极分子花名册。")
    try:
        plan = imports.plan_pipeline_import(cells=cells, user=request.user)
    except imports.PipelineFileError as exc:
        form = SpreadsheetUploadForm(label=LABEL)
        return render(request, UPLOAD, {"form": form, "file_error": f"「{file_name}」：{exc}"})
    upload = None
    if plan.importable:
        upload = uploads.upload_keep(
            user=request.user, purpose=Upload.Purpose.ROSTER, data=data, file_name=file_name
        )
    return render(request, PREVIEW, _preview_context(plan, file_name, upload))


def _preview_context(plan: imports.Plan, file_name: str, upload) -> dict:
    return {
        "plan": plan,
        "file_name": file_name,
        "upload": upload,
        "rows": plan.rows[:ROWS_SHOWN],
        "more": max(len(plan.rows) - ROWS_SHOWN, 0),
    }


def _own_upload(request) -> Upload | None:
    """The user's own kept file of this import (a roster run's file is not one)."""
    return own_kept_upload(request.user, params.object_id(request.POST, "upload"))


def _confirm(request: HttpRequest) -> HttpResponse:
    upload = _own_upload(request)
    if upload is None:
        messages.error(request, "上传的文件已导入或已被删除，请重新上传。")
        return redirect("members:recruit_import")
    try:
        cells = imports.read_cells(uploads.upload_read(upload), upload.file_name)
        plan = imports.plan_pipeline_import(cells=cells, user=request.user)
        if not plan.importable:  # the registry changed since the preview
            return render(request, PREVIEW, _preview_context(plan, upload.file_name, None))
        imports.recruits_import(
            rows=plan.rows, user=request.user, reason=f"积极分子花名册导入：{upload.file_name}"
        )
    except (uploads.UploadGone, SpreadsheetError) as exc:
        messages.error(request, f"未写入：{exc}")
        return redirect("members:recruit_import")
    except ValidationError as exc:
        messages.error(request, "未写入任何数据：" + "；".join(exc.messages))
        return redirect("members:recruit_import")
    uploads.upload_discard(upload)
    counts = "，".join(f"{label} {n} 人" for label, n in plan.counts.items() if n)
    messages.success(request, f"已导入 {len(plan.rows)} 人：{counts}。")
    stage = Stage.ACTIVIST if plan.counts[Stage.ACTIVIST.label] else plan.rows[0].values["stage"]
    return redirect(f"{reverse('members:recruit_list')}?stage={stage}")
