"""Materialized paths of the organisation tree.

Each level of a path is a fixed-width run of digits, so paths sort and
compare the same way under any database collation, and a subtree is one
indexed range.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q

# Each level of the materialized path is a fixed-width run of digits, so paths
# sort and compare the same way under any database collation.
PATH_STEP = 4
PATH_MAX_CHILDREN = 10**PATH_STEP - 1


def path_successor(path: str) -> str | None:
    """The smallest path that sorts after every path of the subtree under *path*.

    Paths are digits only, so the whole path read as a number plus one is the
    next sibling (with carry). ``None`` means the subtree runs to the end.
    """
    nxt = str(int(path) + 1)
    return None if len(nxt) > len(path) else nxt.zfill(len(path))


def path_prefixes(path: str, *, include_self: bool = False) -> list[str]:
    """The paths of the ancestors of the node at *path*, root first (and its own, if asked)."""
    end = len(path) + 1 if include_self else len(path)
    return [path[:i] for i in range(PATH_STEP, end, PATH_STEP)]


def path_segment(index: int) -> str:
    if not 1 <= index <= PATH_MAX_CHILDREN:
        raise ValidationError(f"同一上级组织下最多可设 {PATH_MAX_CHILDREN} 个下级组织。")
    return str(index).zfill(PATH_STEP)


def subtree_q(path: str, *, prefix: str = "", include_self: bool = True) -> Q:
    """A ``Q`` selecting the subtree under *path* as an indexed range.

    *prefix* leads to the path field from another model, e.g. ``"branch__"``.
    A range, not ``startswith``: SQLite cannot use an index for Django's
    escaped ``LIKE``, but uses it for ``>=`` / ``<`` on both databases.
    """
    q = Q(**{f"{prefix}path__gte" if include_self else f"{prefix}path__gt": path})
    upper = path_successor(path)
    if upper is not None:
        q &= Q(**{f"{prefix}path__lt": upper})
    return q
