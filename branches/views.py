from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from branches.models import Organization, OrgKind
from branches.roles import role_of
from branches.selectors import member_counts_by_path


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: the user's part of the tree, one level down, with counts.

    Later features send each role to its daily work from here (the clerk's
    worklist, the county's reports).
    """
    user = request.user
    # Those who log meetings start on their worklist.
    if user.has_perm("activities.add_activity") and not user.is_superuser:
        return redirect("activities:worklist")
    visible = Organization.objects.visible_to(user)
    top = [user.org] if user.org_id else list(visible.filter(parent__isnull=True))
    children = list(visible.filter(parent__in=top).live().order_by("path"))
    counts = member_counts_by_path(user=user)
    kinds = visible.live().aggregate(
        **{kind: Count("pk", filter=Q(kind=kind)) for kind in OrgKind.values}
    )
    return render(
        request,
        "branches/home.html",
        {
            "role": role_of(user),
            "top": [(org, counts.get(org.path, 0)) for org in top],
            "children": [(org, counts.get(org.path, 0)) for org in children],
            "kind_counts": [(OrgKind(k).label, n) for k, n in kinds.items() if n],
        },
    )
