from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from branches import params, tree_sheets, uploads
from branches.models import Organization, OrgKind, Upload
from branches.roles import role_of
from branches.selectors import member_counts_of, orgs_undecided, orgs_without_founding
from branches.sizing import BREACHES_SHOWN, sizing_breaches
from branches.spreadsheets.forms import SpreadsheetUploadForm
from branches.spreadsheets.reading import SpreadsheetError
from branches.writes import write_permission


@require_GET
@login_required
def home(request: HttpRequest, marks_of=None) -> HttpResponse:
    """The landing page: the user's part of the tree, one level down, with counts.

    Later features send each role to its daily work from here (the clerk's
    worklist, the county's reports). *marks_of* (org ids → the marks shown beside
    each name: 软弱涣散, 示范点) is handed in by the URLconf, which may import the
    apps above the tree; branches may not (tests/test_layers.py).
    """
    user = request.user
    # Those who log meetings start on their worklist.
    if user.has_perm("activities.add_activity") and not user.is_superuser:
        return redirect("activities:worklist")
    visible = Organization.objects.visible_to(user)
    top = [user.org] if user.org_id else list(visible.filter(parent__isnull=True))
    children = list(visible.filter(parent__in=top).live().order_by("path"))
    # Only the nodes shown are counted (two queries), not every node of the tree.
    counts = member_counts_of([*top, *children])
    marks = marks_of([org.pk for org in [*top, *children]]) if marks_of else {}
    kinds = visible.live().aggregate(
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in OrgKind.values}
    )
    return render(
        request,
        "branches/home.html",
        {
            "role": role_of(user),
            "top": [(org, counts.get(org.pk, 0)) for org in top],
            "children": [(org, counts.get(org.pk, 0), marks.get(org.pk, [])) for org in children],
            "top_marks": [mark for org in top for mark in marks.get(org.pk, [])],
            "kind_counts": [(OrgKind(k).label, n) for k, n in kinds.items() if n],
        },
    )


@require_GET
@login_required
@permission_required("branches.view_organization", raise_exception=True)
def tree_export(request: HttpRequest) -> HttpResponse:
    return tree_sheets.tree_xlsx(user=request.user)


@write_permission("branches.change_organization")
@login_required
@permission_required("branches.change_organization", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tree_import(request: HttpRequest) -> HttpResponse:
    """Upload the tree sheet, see what it would do, confirm: one transaction."""
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None, label="组织树表格")
    if request.method == "POST" and "upload" in request.POST:
        return _tree_confirm(request)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        data = sent.read()
        try:
            plan = tree_sheets.plan_tree_import(data=data, filename=sent.name, user=request.user)
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            upload = uploads.upload_keep(
                user=request.user, purpose=Upload.Purpose.TREE, data=data, file_name=sent.name
            )
            context = {
                "plan": plan,
                "counts": plan.counts,
                "lines": plan.lines,
                "upload": upload,
            }
            return render(request, "branches/tree_preview.html", context)
    unfounded, unfounded_total = orgs_without_founding(user=request.user)
    undecided, undecided_total = orgs_undecided(user=request.user)
    breaches = sizing_breaches(orgs=Organization.objects.visible_to(request.user))
    return render(
        request,
        "branches/tree_import.html",
        {
            "form": form,
            "unfounded": unfounded,
            "unfounded_total": unfounded_total,
            "undecided": undecided,
            "undecided_total": undecided_total,
            "breaches": breaches[:BREACHES_SHOWN],
            "breaches_total": len(breaches),
        },
    )


def _tree_confirm(request):
    upload = uploads.own_upload(
        request.user, params.object_id(request.POST, "upload"), purpose=Upload.Purpose.TREE
    )
    if upload is None:
        messages.error(request, "上传的文件已超过一天未确认，已被删除，请重新上传。")
        return redirect("tree_import")
    try:
        data = uploads.upload_read(upload)
        plan = tree_sheets.plan_tree_import(data=data, filename=upload.file_name, user=request.user)
        counts = tree_sheets.commit_tree_import(plan=plan, user=request.user)
    except (uploads.UploadGone, SpreadsheetError, ValueError) as exc:
        messages.error(request, f"未写入：{exc}")
    else:
        uploads.upload_discard(upload)
        messages.success(
            request, "组织树已更新：新增 {new} 个，修改 {changed} 个。".format(**counts)
        )
    return redirect("tree_import")
