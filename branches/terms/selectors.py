"""换届: each committee's term – its length, due date and state – and the lists built on it.

A term runs ``TermLength.years`` from ``Organization.term_started_on`` (the row
for the organisation's kind and category wins over the kind's row without a
category); the latest approved postponement of the current term replaces the
due date. Every list here reads the organisations, their term length and
their postponement in one query, whatever their number: the years and the
postponement are correlated subqueries, the date arithmetic is done in Python
(29 February plus whole years is 28 February, the same on every database). The
county's report counts a whole county's terms from plain values and reads the
postponements apart (``term_report``).
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from branches.dated import months_later
from branches.models import (
    COMMITTEE_TITLES,
    TERM_KINDS,
    VILLAGE_CATEGORIES,
    Election,
    Organization,
    Post,
    PostTitle,
    TermLength,
    TermPostponement,
    open_posts_q,
    village_top_q,
)
from branches.paths import PATH_STEP, subtree_q

OVERDUE, DUE_SOON, FINE, UNKNOWN = "overdue", "due_soon", "fine", "unknown"
STATES = {
    OVERDUE: "已到期未换届",
    DUE_SOON: "六个月内到期",
    FINE: "任期内",
    UNKNOWN: "任期开始日期未登记",
}
# Reminders start this many months before a term is due: the 条例 asks the committee
# to ask its superior for approval of the election in time.
DUE_SOON_MONTHS = 6


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same month and day *years* later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_state(due: datetime.date | None, today: datetime.date) -> str:
    """The one rule of the term's state: overdue, due within six months, fine, unknown."""
    if due is None:
        return UNKNOWN
    if due < today:
        return OVERDUE
    if due <= months_later(today, DUE_SOON_MONTHS):
        return DUE_SOON
    return FINE


@dataclass
class Term:
    """One organisation's current term, as the pages and the report show it."""

    org: Organization
    started_on: datetime.date | None
    years: int | None
    regular_due: datetime.date | None  # start + years
    postponed_until: datetime.date | None
    postponement_document: str
    postponement_approved_on: datetime.date | None
    due: datetime.date | None  # the postponement's date when there is one
    state: str

    @property
    def state_label(self) -> str:
        return STATES[self.state]


TERM_ORG_FIELDS = ("name", "path", "kind", "category", "parent", "term_started_on", "dissolved_on")


def _term_holders(orgs: QuerySet[Organization]) -> QuerySet[Organization]:
    """*orgs* that elect a committee for a term and are live, with ``term_years``."""
    years = (
        TermLength.objects.filter(kind=OuterRef("kind"))
        .filter(Q(category=OuterRef("category")) | Q(category=""))
        # The row naming the category sorts before the kind's row without one.
        .order_by("-category")
        .values("years")[:1]
    )
    return orgs.filter(kind__in=TERM_KINDS, dissolved_on__isnull=True).annotate(
        term_years=Subquery(years)
    )


def with_terms(orgs: QuerySet[Organization]) -> QuerySet[Organization]:
    """*orgs* that elect a committee for a term and are live, each with its term's length
    (``term_years``) and its current term's latest postponement (``postponement``: until,
    document and approved_on, as JSON; ``term_of`` reads it) and its parent's name
    (``parent_name``)."""
    latest = TermPostponement.objects.filter(
        org=OuterRef("pk"), term_started_on=OuterRef("term_started_on")
    ).order_by("-approved_on", "-pk")
    return _term_holders(orgs).annotate(
        # The three fields in one subquery, not three: at city scale each subquery
        # was a third of the report's time.
        postponement=Subquery(
            latest.values(
                json=JSONObject(until="until", document="document", approved_on="approved_on")
            )[:1]
        ),
        # The parent's name, not the parent: a county's ~1,750 organisations built
        # as two model instances each were half of the 换届 report's time.
        parent_name=F("parent__name"),
    )


def _due(start, years, until):
    """The regular due date and the one in force (*until*, when a postponement says so)."""
    regular = add_years(start, years) if start and years else None
    return regular, (until or regular) if start else None


def term_of(org: Organization, today: datetime.date) -> Term:
    """The term of an organisation annotated by ``with_terms``."""
    start, years = org.term_started_on, org.term_years
    postponement = _json(org.postponement) or {}
    until = _day(postponement.get("until"))
    regular, due = _due(start, years, until)
    return Term(
        org=org,
        started_on=start,
        years=years,
        regular_due=regular,
        postponed_until=until,
        postponement_document=postponement.get("document") or "",
        postponement_approved_on=_day(postponement.get("approved_on")),
        due=due,
        state=term_state(due, today),
    )


def _json(value) -> dict | None:
    # PostgreSQL's driver hands jsonb over decoded; SQLite's json_object() is text.
    return json.loads(value) if isinstance(value, str) else value


def _day(value: str | None) -> datetime.date | None:
    # Dates inside JSON are ISO text on both databases.
    return datetime.date.fromisoformat(value[:10]) if value else None


def terms(orgs: QuerySet[Organization], today: datetime.date) -> list[Term]:
    """The terms of the term-holding organisations among *orgs*, in tree order: one query.

    Each term's organisation holds what the lists show of it (name, parent's name,
    kind, category, path); a county's 1,750 full rows were a tenth of the report.
    """
    found = with_terms(orgs).only(*TERM_ORG_FIELDS).order_by("path")
    return [term_of(org, today) for org in found]


def org_term(org: Organization, today: datetime.date) -> Term | None:
    """*org*'s current term, or None when it does not elect a committee (a 党小组, a 工委)."""
    found = terms(Organization.objects.filter(pk=org.pk), today)
    return found[0] if found else None


def needing_election(found: list[Term]) -> list[Term]:
    """Terms overdue or due within six months, the most urgent first."""
    urgent = [t for t in found if t.state in (OVERDUE, DUE_SOON)]
    return sorted(urgent, key=lambda t: (t.due, t.org.path))


# --- an organisation's page -----------------------------------------------------------------


def committee(org: Organization, on: datetime.date) -> list[Post]:
    """The committee's posts held on *on*, the secretary first."""
    order = {title: i for i, title in enumerate(COMMITTEE_TITLES)}
    posts = Post.objects.filter(open_posts_q(on), org=org, title__in=COMMITTEE_TITLES)
    return sorted(
        posts.select_related("member", "candidate"),
        key=lambda p: (order[p.title], p.started_on, p.pk),
    )


def elections_of(org: Organization) -> list[Election]:
    """*org*'s elections, the latest first, each with its candidates (two queries)."""
    return list(
        Election.objects.filter(org=org)
        .order_by("-held_on", "-pk")
        .select_related("recorded_by")
        .prefetch_related("candidates__member")
    )


def postponements_of(org: Organization) -> QuerySet[TermPostponement]:
    return TermPostponement.objects.filter(org=org).order_by("-approved_on", "-pk")


def is_village_top(org: Organization) -> bool:
    """``village_top_q`` for one organisation already loaded with its parent."""
    return org.category in VILLAGE_CATEGORIES and not (
        org.parent_id is not None and org.parent.category in VILLAGE_CATEGORIES
    )


# --- the county's report --------------------------------------------------------------------


@dataclass
class StateRow:
    org: Organization | None
    label: str = ""
    counts: Counter = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return self.label or self.org.name

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class TermReport:
    node: Organization
    today: datetime.date
    rows: list[StateRow]
    total: StateRow
    urgent: list[Term]  # overdue or due within six months
    unknown: list[Term]
    unfiled: list[Post]  # village secretaries not filed with the county
    states: dict = field(default_factory=lambda: dict(STATES))


def village_secretaries(node: Organization, on: datetime.date) -> QuerySet[Post]:
    """The 村（社区）党组织书记 under *node* on *on*: open secretary posts of live
    village and community organisations (not of the branches inside them)."""
    return Post.objects.filter(
        open_posts_q(on),
        village_top_q("org__"),
        subtree_q(node.path, prefix="org__"),
        title=PostTitle.SECRETARY,
        org__dissolved_on__isnull=True,
    )


def term_report(*, node: Organization, today: datetime.date) -> TermReport:
    """换届情况 of *node*'s subtree: the states counted per child, the terms that need an
    election, those of unknown start, and the village secretaries not yet filed.

    Five queries whatever the number of children and organisations: the children,
    every term's length and start (as plain values: a county's 1,750 organisations
    built as models were a third of the report's time) and the postponements, the
    terms listed (overdue, due soon, unknown start, ``with_terms``), the unfiled
    secretaries.
    """
    children = list(
        Organization.objects.filter(parent=node, dissolved_on__isnull=True).order_by("path")
    )
    width = len(node.path) + PATH_STEP
    rows = {c.path: StateRow(org=c) for c in children}
    own = StateRow(org=node, label=f"{node.name}（本级）")
    total = StateRow(org=node, label="合计")
    states = _term_holders(Organization.objects.filter(subtree_q(node.path))).values_list(
        "pk", "path", "term_started_on", "term_years"
    )
    # The postponements, few, read apart: as a subquery for each organisation they were
    # a third of the states' query. Later rows win: the latest approval of each term.
    postponed = {
        (org_id, started): until
        for org_id, started, until in TermPostponement.objects.filter(
            subtree_q(node.path, prefix="org__")
        )
        .order_by("approved_on", "pk")
        .values_list("org_id", "term_started_on", "until")
    }
    shown = []
    for pk, path, start, years in states:
        state = term_state(_due(start, years, postponed.get((pk, start)))[1], today)
        row = rows.get(path[:width], own)
        row.counts[state] += 1
        total.counts[state] += 1
        if state != FINE:
            shown.append(pk)
    found = terms(Organization.objects.filter(pk__in=shown), today)
    listed = ([own] if own.total else []) + [rows[c.path] for c in children]
    unfiled = list(
        village_secretaries(node, today)
        .filter(filed_on__isnull=True)
        .select_related("org__parent", "member")
        .order_by("org__path", "pk")
    )
    return TermReport(
        node=node,
        today=today,
        rows=listed,
        total=total,
        urgent=needing_election(found),
        unknown=[t for t in found if t.state == UNKNOWN],
        unfiled=unfiled,
    )


# --- the worklist ---------------------------------------------------------------------------


@dataclass
class TermWork:
    items: list[Term]
    count: int


def term_work(*, user, root: Organization, today: datetime.date, limit: int = 50) -> TermWork:
    """The worklist's 换届 section: the organisations under *root* the user may see whose
    term is overdue or due within six months, the most urgent first. One query."""
    visible = Organization.objects.visible_to(user).filter(subtree_q(root.path))
    urgent = needing_election(terms(visible, today))
    return TermWork(urgent[:limit], len(urgent))
