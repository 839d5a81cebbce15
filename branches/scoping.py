"""The one place that decides which part of the tree a user may see.

``scope_q`` maps a user to the subtree under the node their account is
attached to; every queryset that reaches a user goes through a model's
``visible_to(user)``, which is built on it. Admin pages, form choices,
autocomplete, views, exports and imports all call ``visible_to``.

Out of scope is "does not exist" (404, or the admin's not-found redirect),
so a page never confirms that another township's record exists; in scope
without the permission is 403.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from branches.paths import subtree_q

NOTHING = Q(pk__in=[])


def scope_q(user, *, prefix: str = "") -> Q:
    """A ``Q`` for the rows *user* may see; *prefix* leads to an ``Organization``.

    ``prefix=""`` filters organisations themselves, ``"branch"`` members,
    ``"org"`` posts and accounts (the relation's name, without ``__``). Superusers see everything; an account
    with no node, or an inactive or anonymous one, sees nothing.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    if user.org_id is None:
        return NOTHING
    return subtree_q(user.org.path, prefix=f"{prefix}__" if prefix else "")


def holds(user, org) -> bool:
    """Whether *org* is in *user*'s part of the tree: ``scope_q``'s rule for one
    organisation already loaded (which side of a transfer a user is on)."""
    if org is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.org_id is not None and org.path.startswith(user.org.path)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows how to reach the tree from its model.

    ``scope_through`` names the relation from the model to ``Organization``
    ("" for organisations themselves).
    """

    scope_through = ""

    def visible_to(self, user):
        return self.filter(scope_q(user, prefix=self.scope_through))


def scoped_view(model):
    """Declare the model whose scoped queryset a view looks its object up in.

    The resolver-walking access test reads this to know which objects to
    try on the view's URL; a view taking an object id without it (or
    ``scope_exempt``) fails that test.
    """

    def mark(view):
        view.scope_model = model
        return view

    return mark


def scope_exempt(reason: str):
    """Declare that a view taking an id needs no tree scoping, and why."""

    def mark(view):
        view.scope_exempt = reason
        return view

    return mark
