"""How a node of the tree is named for people: 甲镇/甲村党支部/第一党小组.

Wherever a branch or group is listed among others (worklists, gaps, rankings,
the admin's member list, roster exports) it carries this label, so that
"第一党小组" never stands alone among the hundreds of groups that share the
name. The label runs from the level below the county down to the node; the
levels above the node use their short names where they have one. The county
(and a city above it) is left out: every account works inside one county.

``Organization.label`` reads ``_label`` when ``attach_labels`` prepared it
for a list (one query for all their ancestors), and otherwise looks the
ancestors up for that one node.
"""

from __future__ import annotations

from collections.abc import Iterable

from branches.paths import path_prefixes

# Levels that every account's work sits under: never part of a label.
ABOVE_LABELS = ("city", "county")


def _ancestor_names(paths: set[str]) -> dict[str, str]:
    from branches.models import Organization

    rows = Organization.objects.filter(path__in=paths).exclude(kind__in=ABOVE_LABELS)
    return {
        path: short or name for path, name, short in rows.values_list("path", "name", "short_name")
    }


def label_from(org, names: dict[str, str]) -> str:
    """*org*'s label, its ancestors' names read from *names* (path → name)."""
    parts = [names[p] for p in path_prefixes(org.path) if p in names]
    return "/".join([*parts, org.name])


def attach_labels(orgs: Iterable) -> list:
    """Give each organisation of *orgs* its label (``org.label``) in one query; returns them."""
    orgs = [o for o in orgs if o is not None]
    names = _ancestor_names({p for o in orgs for p in path_prefixes(o.path)})
    for org in orgs:
        org._label = label_from(org, names)
    return orgs


def labels_by_pk(orgs: Iterable) -> dict[int, str]:
    """pk → label for *orgs* (anything with ``pk``, ``path`` and ``name``): one query."""
    orgs = list(orgs)
    names = _ancestor_names({p for o in orgs for p in path_prefixes(o.path)})
    return {o.pk: label_from(o, names) for o in orgs}


def labelled(rows: Iterable, *, org_of, chunk: int = 2000):
    """*rows* again, each one's organisation (``org_of(row)``) labelled, a chunk at a time:
    a county's thousands of rows stream out with one query per chunk."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == chunk:
            attach_labels(org_of(r) for r in batch)
            yield from batch
            batch = []
    attach_labels(org_of(r) for r in batch)
    yield from batch
