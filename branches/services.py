"""Writes to the organisation tree. Paths are kept here and nowhere else."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Substr

from branches.models import (
    Organization,
    Post,
)
from branches.paths import PATH_STEP, path_segment


def next_child_path(parent: Organization | None) -> str:
    """The path for a new last child of *parent* (or a new root)."""
    siblings = Organization.objects.filter(parent=parent)
    last = siblings.order_by("-path").values_list("path", flat=True).first()
    index = int(last[-PATH_STEP:]) + 1 if last else 1
    return (parent.path if parent else "") + path_segment(index)


@transaction.atomic
def org_create(
    *,
    kind: str,
    name: str,
    code: str,
    parent: Organization | None,
    category: str = "",
    short_name: str = "",
    founded_on: datetime.date | None = None,
    phone: str = "",
    address: str = "",
    sort_order: int = 0,
    units_covered: int | None = None,
) -> Organization:
    if parent is not None:
        # Lock the parent so two children created at once get distinct paths.
        parent = Organization.objects.select_for_update().get(pk=parent.pk)
    org = Organization(
        kind=kind,
        name=name,
        code=code,
        parent=parent,
        category=category,
        short_name=short_name,
        founded_on=founded_on,
        phone=phone,
        address=address,
        sort_order=sort_order,
        units_covered=units_covered,
    )
    org.path = next_child_path(parent)
    org.depth = len(org.path) // PATH_STEP
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def org_move(*, org: Organization, new_parent: Organization | None) -> Organization:
    """Hang *org* under *new_parent*, rewriting the paths of its whole subtree."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    if new_parent is not None:
        new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
        if new_parent.path.startswith(org.path):
            raise ValidationError({"parent": "不能把组织移到它自己或它的下级组织之下。"})
    if (new_parent.pk if new_parent else None) == org.parent_id:
        return org
    org.parent = new_parent
    org.full_clean(exclude=["path", "depth"])
    old_path = org.path
    new_path = next_child_path(new_parent)
    depth_delta = (len(new_path) - len(old_path)) // PATH_STEP
    # The fresh segment is unused under the new parent, so no rewritten path
    # can collide with an existing one while the update runs.
    Organization.objects.subtree(org).update_derived(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    org.path, org.depth = new_path, len(new_path) // PATH_STEP
    org.save(update_fields=["parent"])  # the move itself is audited
    return org


@transaction.atomic
def org_update(*, org: Organization, **fields) -> Organization:
    """Change plain fields of *org*; the parent changes only through ``org_move``."""
    forbidden = {"parent", "path", "depth", "kind"} & fields.keys()
    if forbidden:
        raise ValueError(f"org_update cannot change {sorted(forbidden)}")
    for name, value in fields.items():
        setattr(org, name, value)
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def org_dissolve(*, org: Organization, on: datetime.date) -> int:
    """Dissolve *org* and every live node under it on date *on*; returns how many."""
    if org.founded_on and on < org.founded_on:
        raise ValidationError({"dissolved_on": "撤销日期不能早于成立日期。"})
    # Checked here: otherwise the database check constraint fails mid-update.
    younger = Organization.objects.subtree(org).live().filter(founded_on__gt=on).first()
    if younger is not None:
        raise ValidationError(
            {
                "dissolved_on": f"下级组织「{younger.name}」成立于 {younger.founded_on:%Y-%m-%d}，"
                "撤销日期不能早于该日期。"
            }
        )
    nodes = list(Organization.objects.subtree(org).live())
    for node in nodes:
        node.dissolved_on = on
    Organization.objects.bulk_update(nodes, ["dissolved_on"])
    return len(nodes)


@transaction.atomic
def post_assign(
    *,
    org: Organization,
    member,
    title: str,
    started_on: datetime.date,
) -> Post:
    post = Post(org=org, member=member, title=title, started_on=started_on)
    post.full_clean()
    post.save()
    return post


def orgs_backfill_created_at(*, organization_model, history_model) -> int:
    """Give every organisation the time of its first history record as 录入时间.

    Called by the migration that added ``created_at`` (with its own historical
    models, hence the arguments); rows without history keep the value they
    have, the migration's time. One ``UPDATE`` with a correlated subquery,
    the same on SQLite and PostgreSQL, whatever the number of rows.
    """
    first = (
        history_model.objects.filter(id=OuterRef("pk"))
        .order_by()
        .values("id")
        .annotate(first=Min("history_date"))
        .values("first")
    )
    # A plain queryset: the audited one refuses update(), and 录入时间 is read
    # from the history itself, so writing it leaves nothing to record.
    return models.QuerySet(organization_model).update(
        created_at=Coalesce(Subquery(first), F("created_at"))
    )
