"""The 党费收缴表 import's page: upload, every row checked and shown, confirm.

As the 积极分子花名册's import: a file without problems is kept (``Upload``) and
the preview offers to confirm it; the confirmation reads and checks the kept
file again and writes every row or none.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from branches import params, uploads
from branches.models import Upload
from branches.spreadsheets.forms import SpreadsheetUploadForm
from branches.spreadsheets.reading import SpreadsheetError
from branches.spreadsheets.writing import table_xlsx
from branches.writes import write_permission
from members.dues import imports, services
from members.import_runs import own_kept_upload

RECORD = "members.add_duesentry"
ROWS_SHOWN = 200
UPLOAD, PREVIEW = "members/dues/import_upload.html", "members/dues/import_preview.html"
LABEL = "党费收缴表文件"
CONFLICT = (
    "写入时有党员的月份刚刚被登记（可能重复提交了确认），未导入任何数据："
    "请查看党费台账后重新上传检查。"
)


@write_permission(RECORD)
@login_required
@permission_required(RECORD, raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_import(request: HttpRequest) -> HttpResponse:
    """Upload a 党费收缴表 and see what it would record; confirm: all rows or none."""
    if request.method == "POST" and "upload" in request.POST:
        return _confirm(request)
    if request.method == "GET" and request.GET.get("template"):
        return _template()
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None, label=LABEL)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        data = sent.read()
        try:
            cells = imports.read_cells(data, sent.name)
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return _preview(request, cells=cells, data=data, file_name=sent.name)
    return render(request, UPLOAD, {"form": form})


def _preview(request: HttpRequest, *, cells, data: bytes, file_name: str) -> HttpResponse:
    """The check of a 党费收缴表's cells; the file is kept only when it can be confirmed."""
    today = timezone.localdate()
    try:
        plan = imports.plan_dues_import(cells=cells, user=request.user, today=today)
    except imports.DuesFileError as exc:
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
        return redirect("members:dues_import")
    try:
        cells = imports.read_cells(uploads.upload_read(upload), upload.file_name)
        plan = imports.plan_dues_import(cells=cells, user=request.user, today=timezone.localdate())
        if not plan.importable:  # the ledger changed since the preview
            return render(request, PREVIEW, _preview_context(plan, upload.file_name, None))
        count = services.dues_payments_import(payments=plan.payments, by=request.user)
    except (uploads.UploadGone, SpreadsheetError) as exc:
        messages.error(request, f"未写入：{exc}")
        return redirect("members:dues_import")
    except ValidationError as exc:
        messages.error(request, "未写入任何数据：" + "；".join(exc.messages))
        return redirect("members:dues_import")
    except IntegrityError:  # the same month opened meanwhile: a confirmation sent twice
        messages.error(request, CONFLICT)
        return redirect("members:dues_import")
    uploads.upload_discard(upload)
    messages.success(
        request, f"已导入 {count} 笔党费，{plan.members} 名党员，合计 {plan.total} 元。"
    )
    first = plan.rows[0]
    return redirect(
        f"{reverse('members:dues_ledger')}?branch={first.member.branch_id}"
        f"&month={first.month:%Y-%m}"
    )


def _template() -> HttpResponse:
    """An empty sheet with the columns, to fill in and upload."""
    headers = [c.header for c in imports.COLUMNS]
    return table_xlsx(
        title="党费收缴表",
        note="所属月份写成 2026-11；交纳日期不填时为导入当天；身份证号列请设为文本格式。",
        headers=headers,
        rows=[],
        widths=[12, 22, 12, 12, 14, 30],
        filename="党费收缴表模板.xlsx",
    )
