"""What every working ledger's pages share: the years offered, the ``org`` a list is
narrowed to, the nodes its picker offers, a list's page and title, and choosing the
branch a record is for.

Each ledger's own pages are in its package (``pledges``, ``duty``, …).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from branches import params
from branches.labels import attach_labels
from branches.models import Organization, OrgKind
from branches.paths import path_prefixes, subtree_q
from branches.scoping import NOTHING
from branches.selectors import visible_node

LIST_PAGE = 100


def years_offered(today) -> list[int]:
    return list(range(today.year, today.year - 6, -1))


def summary_context(
    request: HttpRequest, node: Organization, summary, *, year: int, today, drill: bool, **extra
) -> dict:
    """What every ledger's yearly summary page shows beside its figures: the year and the
    years offered, the nodes above *node* the user may see (the breadcrumb), and whether
    its rows link down to the children's summaries (*drill*) or to the ledger itself."""
    crumbs = Organization.objects.visible_to(request.user).filter(path__in=path_prefixes(node.path))
    return {
        "summary": summary,
        "year": year,
        "years": years_offered(today),
        "crumbs": list(crumbs.order_by("path")),
        "drill": drill,
        **extra,
    }


def wants_xlsx(request: HttpRequest) -> bool:
    """Whether the list is asked for as its Excel download (``format=xlsx``)."""
    return params.choice_value(request.GET, "format", ["", "xlsx"], default="") == "xlsx"


def list_title(request: HttpRequest, node: Organization | None, text: str) -> str:
    """The list's title: *text* after the node it is narrowed to, or the user's own."""
    where = node.name if node else (request.user.org.name if request.user.org else "")
    return f"{where}{text}"


def list_context(
    request: HttpRequest,
    rows,
    *,
    title: str,
    year: int,
    node: Organization | None,
    today,
    filters: dict | None = None,
    query: dict | None = None,
    labelled: Callable = lambda row: row.org,
    **extra,
) -> dict:
    """What every ledger's list page shows: its title, the year and the years offered, the
    day, the node and the picker's nodes, a page of *rows* (each row's organisation labelled) and
    the filters as validated for the pager and the Excel link, never the raw query:
    ``year``, then *filters*, then ``org`` (or *query* whole)."""
    page = Paginator(rows, LIST_PAGE).get_page(params.page_number(request.GET))
    attach_labels(labelled(row) for row in page)
    if query is None:
        query = {"year": year, **(filters or {}), "org": node.pk if node else ""}
    return {
        "title": title,
        "year": year,
        "years": years_offered(today),
        "node": node,
        "picker": nodes_below(request.user),
        "page": page,
        "today": today,
        "query": urlencode(query),
        **extra,
    }


def node_param(request: HttpRequest) -> Organization | None:
    """The ``org`` the list is narrowed to: any node in the user's scope, or 404."""
    org_id = params.object_id(request.GET, "org")
    return visible_node(request.user, org_id) if org_id else None


def nodes_below(user) -> list[Organization]:
    """The nodes just under the user's own: what the list's 党组织 picker offers."""
    if user.org_id is None:
        return list(Organization.objects.filter(parent__isnull=True).order_by("path"))
    return list(Organization.objects.filter(parent_id=user.org_id).order_by("path"))


def branch_param(request: HttpRequest) -> Organization | None:
    org_id = params.object_id(request.GET, "branch")
    if not org_id:
        return None
    return get_object_or_404(
        Organization.objects.visible_to(request.user).filter(
            kind=OrgKind.BRANCH, dissolved_on__isnull=True
        ),
        pk=org_id,
    )


def branch_picker(request: HttpRequest, *, title: str, action: str) -> HttpResponse:
    """Which branch the record is for: a township's branches, the township picked first.
    *title* heads the page, *action* is each branch's link ("登记承诺")."""
    user = request.user
    township = None
    township_id = params.object_id(request.GET, "township")
    if township_id:
        township = visible_node(user, township_id)
    units = list(
        Organization.objects.visible_to(user).filter(parent__kind=OrgKind.COUNTY).order_by("path")
    )
    branches = []
    if township or len(units) <= 1:
        root = township or (units[0] if units else user.org)
        branches = attach_labels(
            Organization.objects.visible_to(user)
            .filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True)
            .filter(subtree_q(root.path) if root else NOTHING)
            .order_by("path")
        )
    context = {
        "units": units if not branches else [],
        "branches": branches,
        "township": township,
        "title": title,
        "action": action,
    }
    return render(request, "activities/ledgers/branch_pick.html", context)
