"""导入党费收缴表 (being built)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from branches.writes import write_permission


@write_permission("members.add_duesentry")
@login_required
@permission_required("members.add_duesentry", raise_exception=True)
@require_http_methods(["GET", "POST"])
def dues_import(request):
    return HttpResponse("")
