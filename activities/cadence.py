"""Which meetings each organisation owes, period by period: the one rule behind the
clerk's worklist, the compliance report and the party-group ranking.

An organisation owes, for every cadence rule of its kind, the rule's number of
records in each period (month, quarter, year) the rule governs: a period
follows the rule valid on its first day. It owes nothing for a period it did
not exist in (founded after its end, dissolved before its start) – without a
成立日期 it counts as founded on the day it was entered here (``created_at``),
so a node entered today owes nothing for the months before – and a
branch owes 支委会 meetings only while it has a committee (at least three
committee posts held on the period's last day, or today for an open period).
A record counts for the period of its meeting date; it was on time when
logged before that period ended.

A period counts only once it is due, that is once it has ended
(``period_state``): only then does it enter a rate (compliance report, group
ranking) or become missing. Until then it is in progress (进行中) and pages
show what is done so far, never a rate as if the period were over – a month
met on its first day is not a 100 % month yet, and a later one is not shown at all.

Counts come from the year tallies (``ActivityYearTally``): the monthly
tallies packed four bits a month into one integer per organisation and kind,
kept with them, so that a county's year is one row per organisation and kind
and the loop over obligations works on plain integers. At county level there
are some 140,000 obligations: the compliance report counts them in groups of
organisations that owe and meet the same (``obligation_groups``) instead of one
by one.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.utils import timezone

from activities.models import (
    SPEAKER_KINDS,
    ActivityKind,
    ActivityTally,
    ActivityYearTally,
    CadenceRule,
    Period,
)
from activities.periods import period_bounds
from branches.models import Organization, Post, PostTitle
from branches.paths import subtree_q

COMMITTEE_TITLES = (
    PostTitle.SECRETARY,
    PostTitle.DEPUTY_SECRETARY,
    PostTitle.ORGANIZATION,
    PostTitle.PUBLICITY,
    PostTitle.DISCIPLINE,
)
# A branch "has a committee" (支委会) when at least this many committee posts are held.
COMMITTEE_MIN_POSTS = 3

# Four bits a month: a month's count reads as (packed >> 4 * (month - 1)) & 15.
# Cadence rules ask for at most 15 a month (validated on CadenceRule.times).
MONTH_BITS = 4
MONTH_MAX = 2**MONTH_BITS - 1
# Which packed on-time count judges a period: logged before the month, quarter
# or year ended (index into Tallies.counts values).
ON_TIME = {Period.MONTH: 1, Period.QUARTER: 2, Period.YEAR: 3}
# The packed count of lessons given by the organisation's secretary.
BY_SECRETARY = 4
NOTHING = (0, 0, 0, 0, 0)
# What a rule asks for, as reports key it: its kind, or this for the secretary's lessons.
SECRETARY_LESSON = "secretary_lesson"

# Where a period stands on a day: ended (counts), under way, or not begun.
CLOSED, OPEN, FUTURE = "closed", "open", "future"


def period_state(start: datetime.date, end: datetime.date, today: datetime.date) -> str:
    """Whether the period [start, end] has ended by *today* (it counts: rates, missing),
    holds today (in progress: done so far only) or lies ahead (not shown)."""
    if end < today:
        return CLOSED
    return OPEN if start <= today else FUTURE


@dataclass(frozen=True)
class Span:
    """One period a rule governs: its bounds, its months' bit shifts, whether it closed
    (``period_state`` is CLOSED: the only periods that count in a rate)."""

    period: str
    start: datetime.date
    end: datetime.date
    shifts: tuple[int, ...]
    closed: bool


def governed_spans(
    rules: Iterable[CadenceRule],
    *,
    start: datetime.date,
    until: datetime.date,
    today: datetime.date,
) -> list[tuple[CadenceRule, list[Span]]]:
    """Each rule with the periods of one year, from the one holding *start* to the one
    holding *until*, that it governs (valid on their first day)."""
    rules = list(rules)
    found: dict[int, tuple[CadenceRule, list[Span]]] = {}
    for period in Period.values:
        p_start = period_bounds(start, period)[0]
        while p_start <= until and p_start.year == start.year:
            p_start, p_end = period_bounds(p_start, period)
            shifts = tuple(MONTH_BITS * (m - 1) for m in range(p_start.month, p_end.month + 1))
            closed = period_state(p_start, p_end, today) == CLOSED
            span = Span(period, p_start, p_end, shifts, closed)
            for rule in rules:
                if rule.period == period and _valid_on(rule, p_start):
                    found.setdefault(rule.pk, (rule, []))[1].append(span)
            p_start = p_end + datetime.timedelta(days=1)
    return list(found.values())


def _valid_on(rule: CadenceRule, day: datetime.date) -> bool:
    return rule.valid_from <= day and (rule.valid_to is None or rule.valid_to >= day)


def requirement(rule: CadenceRule) -> str:
    """The key of what *rule* asks for: its kind, or SECRETARY_LESSON."""
    return SECRETARY_LESSON if rule.by_secretary else rule.kind


def by_secretary_q() -> Q:
    """On ``Activity``: a lesson whose speaker held the 书记 post of the meeting's own
    organisation on the day it was held – what a ``by_secretary`` rule counts."""
    posts = Post.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=OuterRef("held_on")),
        org=OuterRef("org"),
        member=OuterRef("speaker_member"),
        title=PostTitle.SECRETARY,
        started_on__lte=OuterRef("held_on"),
    )
    return Q(Exists(posts), kind__in=SPEAKER_KINDS)


@dataclass
class Tallies:
    """Per (organisation id, kind): packed (count, on time by month end, by quarter
    end, by year end, given by the secretary); per organisation id: [expected,
    present] attendance."""

    counts: dict[tuple[int, str], tuple[int, int, int, int, int]]
    attendance: dict[int, list[int]]


def tallies(where: Q, *, year: int, until: datetime.date, on_time: bool = True) -> Tallies:
    """The packed tallies of *year* up to *until* of the organisations *where* selects (a
    Q on ``ActivityTally`` or ``ActivityYearTally``): one query of the year rows, one row
    per organisation and kind. Without *on_time* the on-time counts read 0."""
    result = Tallies({}, {})
    if until < datetime.date(year, 1, 1):
        return result
    months = until.month if until.year == year else 12
    keep = (1 << MONTH_BITS * months) - 1  # the months up to *until*
    columns = ["count_packed", "by_secretary_packed"]
    if on_time:
        columns[1:1] = ["on_time_month_packed", "on_time_quarter_packed", "on_time_year_packed"]
    rows = ActivityYearTally.objects.filter(where, year=year).values_list(
        "org_id", "kind", "expected", "present", *columns
    )
    rows = list(rows)
    later = []  # (org, kind) with meetings after *until*: their attendance is summed again
    counts, attendance = result.counts, result.attendance
    # Two loops, one per shape of row: the compliance report's county-wide read (16,000
    # rows at city scale) packs no on-time counts and is kept lean.
    if on_time:
        for org_id, kind, _expected, _present, count, month, quarter, year_, secretary in rows:
            if count > keep:  # a month after *until* (packed counts are never negative)
                later.append((org_id, kind))
                count, month, quarter = count & keep, month & keep, quarter & keep
                year_, secretary = year_ & keep, secretary & keep
            counts[(org_id, kind)] = (count, month, quarter, year_, secretary)
    else:
        for org_id, kind, _expected, _present, count, secretary in rows:
            if count > keep:
                later.append((org_id, kind))
                count, secretary = count & keep, secretary & keep
            counts[(org_id, kind)] = (count, 0, 0, 0, secretary)
    get_sums = attendance.get
    for org_id, _kind, expected, present, *_packed in rows:
        sums = get_sums(org_id)
        if sums is None:
            attendance[org_id] = [expected, present]
        else:
            sums[0] += expected
            sums[1] += present
    if later:
        # Rare: only a report or worklist dated before a meeting it holds (meetings are
        # never dated ahead of the day they are logged), so the year's sums are too much.
        after = Q()
        for org_id, kind in later:
            after |= Q(org_id=org_id, kind=kind)
        extra = ActivityTally.objects.filter(
            after, month__gt=until, month__lte=datetime.date(year, 12, 1)
        ).values_list("org_id", "expected", "present")
        for org_id, expected, present in extra:
            sums = result.attendance[org_id]
            sums[0] -= expected
            sums[1] -= present
    return result


class CommitteeTerms:
    """The committee posts of some organisations held at some time in a date range.

    Called as ``terms(org_id, on)`` it tells whether a branch had a committee
    (支委会) on a date, so each period is judged by the committee it had then;
    ``mask(org_id, days)`` answers for several days at once as bits.
    """

    def __init__(self, terms: dict[int, list[tuple[int, datetime.date, datetime.date | None]]]):
        self.terms = terms

    def __call__(self, org_id: int, on: datetime.date) -> bool:
        held = {m for m, s, e in self.terms.get(org_id, ()) if s <= on and (e is None or e > on)}
        return len(held) >= COMMITTEE_MIN_POSTS

    def mask(self, org_id: int, days: list[datetime.date]) -> int:
        """Bit i set when the organisation had a committee on days[i] (days in order)."""
        terms = self.terms.get(org_id, ())
        if len({m for m, _s, _e in terms}) < COMMITTEE_MIN_POSTS:
            return 0  # too few people ever held a post: never a committee
        first, last = days[0], days[-1]
        throughout = {m for m, s, e in terms if s <= first and (e is None or e > last)}
        if len(throughout) >= COMMITTEE_MIN_POSTS:
            return (1 << len(days)) - 1  # the usual case: the same committee all year
        return sum(1 << i for i, day in enumerate(days) if self(org_id, day))


def committee_terms(
    *, start: datetime.date, end: datetime.date, org_ids=None, where: Q | None = None
) -> CommitteeTerms:
    """Committee posts of *org_ids* (or of the organisations *where*, a Q on ``Post``,
    selects: a county's thousands of ids make a slow IN list) held at some time in
    [start, end], one query."""
    terms: dict[int, list[tuple[int, datetime.date, datetime.date | None]]] = {}
    rows = Post.objects.filter(
        Q(org_id__in=org_ids) if where is None else where,
        Q(ended_on__isnull=True) | Q(ended_on__gt=start),
        title__in=COMMITTEE_TITLES,
        started_on__lte=end,
    ).values_list("org_id", "member_id", "started_on", "ended_on")
    # No ordering: the posts' default (by organisation path) would join the tree for nothing.
    for org_id, member_id, started_on, ended_on in rows.order_by():
        terms.setdefault(org_id, []).append((member_id, started_on, ended_on))
    return CommitteeTerms(terms)


def unpack(packed: int, shifts: tuple[int, ...]) -> int:
    """The records of a span's months in one packed integer."""
    if len(shifts) == 1:
        return (packed >> shifts[0]) & MONTH_MAX
    return sum((packed >> shift) & MONTH_MAX for shift in shifts)


def owes_from(org) -> datetime.date:
    """The first day *org* owes meetings: its 成立日期, else the local day it was entered.
    Rows that carry it already (``owes_from_expression``, computed by the database)
    are taken at their word: converting thousands of timestamps here is not free."""
    known = getattr(org, "owes_from", None)
    if known is not None:
        return known
    return org.founded_on or timezone.localdate(org.created_at)


def owes_from_expression():
    """``owes_from`` as an annotation on ``Organization`` (in the current time zone)."""
    return Coalesce("founded_on", TruncDate("created_at"))


def each_obligation(
    orgs,
    *,
    spans: list[tuple[CadenceRule, list[Span]]],
    counts: dict[tuple[int, str], tuple[int, int, int, int, int]],
    has_committee,
    today: datetime.date,
    on_time: bool = True,
) -> Iterator[tuple]:
    """Every (organisation, rule, span, done, on time) the organisations owe.

    *orgs* are objects with ``pk``, ``kind``, ``founded_on``, ``created_at``
    and ``dissolved_on`` (model instances or lighter named rows). Without
    *on_time* the last item is None (the report does not need it, and at
    county level the loop is the page's cost).
    """
    by_kind: dict[str, list] = {}
    for org in orgs:
        # Once per organisation, not once per rule: the time zone lookup is not free.
        by_kind.setdefault(org.kind, []).append((org, owes_from(org)))
    for rule, rule_spans in spans:
        committee = rule.kind == ActivityKind.COMMITTEE
        on_time_at = ON_TIME[rule.period]
        single = all(len(span.shifts) == 1 for span in rule_spans)
        counted = BY_SECRETARY if rule.by_secretary else 0
        for org, founded in by_kind.get(rule.org_kind, ()):
            packed = counts.get((org.pk, rule.kind), NOTHING)
            count, dissolved = packed[counted], org.dissolved_on
            for span in rule_spans:
                if founded > span.end or (dissolved and dissolved < span.start):
                    continue
                if committee and not has_committee(org.pk, min(span.end, today)):
                    continue
                if single:  # monthly rules: the common case, kept free of calls
                    done = (count >> span.shifts[0]) & MONTH_MAX
                else:
                    done = unpack(count, span.shifts)
                timely = unpack(packed[on_time_at], span.shifts) if on_time else None
                if timely is not None and counted:
                    # Tallies keep no on-time count of the secretary's own lessons: they
                    # are on time as far as the period's lessons were. Close enough for
                    # a yearly rule; never more on time than done.
                    timely = min(timely, done)
                yield org, rule, span, done, timely


def obligation_groups(
    orgs,
    *,
    spans: list[tuple[CadenceRule, list[Span]]],
    counts: dict[tuple[int, str], tuple[int, int, int, int, int]],
    committees: CommitteeTerms,
    today: datetime.date,
    key,
) -> tuple[Counter, list[tuple]]:
    """The obligations ``each_obligation`` yields, counted in groups instead of one by one.

    For each rule, an organisation's spans are bits (bit i: the rule's i-th
    span): which it owes (founded, not dissolved, with a committee where the
    rule asks for one) and which it met (the rule's number of records done).
    Returns a Counter of ``(key(org), rule index, owed bits, met bits)`` →
    number of organisations, and ``(org, rule index, missing bits)`` for every
    organisation with a closed span owed and not met. Organisations of one kind
    mostly owe and meet alike, so the caller expands a few hundred groups
    instead of looping over every obligation: at county level 140,000 of them.
    """
    by_kind: dict[str, list] = {}
    for org in orgs:
        by_kind.setdefault(org.kind, []).append(
            (org, org.pk, owes_from(org), org.dissolved_on, key(org))
        )
    keys: list[tuple] = []  # one per organisation and rule, counted at the end (in C)
    add_key = keys.append
    misses: list[tuple] = []
    counts_get = counts.get
    for index, (rule, rule_spans) in enumerate(spans):
        every = (1 << len(rule_spans)) - 1
        closed = sum(1 << i for i, span in enumerate(rule_spans) if span.closed)
        first_end, last_start = rule_spans[0].end, rule_spans[-1].start
        days = [min(span.end, today) for span in rule_spans]
        committee = rule.kind == ActivityKind.COMMITTEE
        counted = BY_SECRETARY if rule.by_secretary else 0
        kind, times = rule.kind, rule.times
        met_of: dict[int, int] = {}  # packed count → spans met
        owed_of: dict[tuple, int] = {}  # (founded, dissolved) → spans owed
        for org, pk, founded, dissolved, org_key in by_kind.get(rule.org_kind, ()):
            if founded <= first_end and (dissolved is None or dissolved >= last_start):
                owed = every  # the usual case: it existed all through the spans
            else:
                owed = owed_of.get((founded, dissolved))
                if owed is None:
                    owed = sum(
                        1 << i
                        for i, span in enumerate(rule_spans)
                        if founded <= span.end and not (dissolved and dissolved < span.start)
                    )
                    owed_of[(founded, dissolved)] = owed
            if committee and owed:
                owed &= committees.mask(pk, days)
            count = counts_get((pk, kind), NOTHING)[counted]
            met = met_of.get(count)
            if met is None:
                met = met_of[count] = sum(
                    1 << i
                    for i, span in enumerate(rule_spans)
                    if unpack(count, span.shifts) >= times
                )
            met &= owed
            add_key((org_key, index, owed, met))
            if owed & ~met & closed:
                misses.append((org, index, owed & ~met & closed))
    groups = Counter(keys)
    return groups, misses


def obligations_of(orgs: list, *, start: datetime.date, until: datetime.date, today):
    """Every obligation of *orgs* for the periods of *start*'s year from the one holding
    *start* to the one holding *until*: three queries (rules, tallies, committees)."""
    year = start.year
    until = min(until, datetime.date(year, 12, 31))
    org_ids = [o.pk for o in orgs]
    packed = tallies(Q(org_id__in=org_ids), year=year, until=until)
    return each_obligation(
        orgs,
        spans=governed_spans(CadenceRule.objects.all(), start=start, until=until, today=today),
        counts=packed.counts,
        has_committee=committee_terms(org_ids=org_ids, start=datetime.date(year, 1, 1), end=until),
        today=today,
    )


# Counting in the database -------------------------------------------------------------
#
# At county level most organisations are plain: they existed all through the year so
# far, so they owe every period of every rule of their kind, and what they met follows
# from their packed count alone. The database counts them per (path prefix, kind,
# packed count): a third of the 16,000 tally rows, and none of the 9,000 organisations,
# to loop over here. The committee rule (which depends on posts held) and organisations
# founded or dissolved during the year go through ``obligation_groups`` one by one.


@dataclass
class GroupedObligations:
    """Obligations counted by path prefix: ``groups`` as ``obligation_groups`` returns
    them (keyed by prefix), the number of closed spans missed per prefix, and the
    [expected, present] attendance per prefix."""

    groups: Counter
    missed: Counter
    attendance: dict[str, list[int]]


def existed_throughout_q(spans, *, prefix: str = "") -> Q:
    """Organisations that owe every span of every rule in *spans* by their dates:
    founded (or entered, without a 成立日期) by the end of every rule's first span and
    not dissolved before the start of its last."""
    first_end = min(rule_spans[0].end for _rule, rule_spans in spans)
    last_start = max(rule_spans[-1].start for _rule, rule_spans in spans)
    entered_before = timezone.make_aware(
        datetime.datetime.combine(first_end + datetime.timedelta(days=1), datetime.time())
    )
    return (
        Q(**{f"{prefix}founded_on__lte": first_end})
        | Q(**{f"{prefix}founded_on__isnull": True, f"{prefix}created_at__lt": entered_before})
    ) & (
        Q(**{f"{prefix}dissolved_on__isnull": True})
        | Q(**{f"{prefix}dissolved_on__gte": last_start})
    )


def _plain_rows(queryset) -> list[tuple]:
    """The rows of *queryset* as the database driver returns them: for thousands of rows
    of integers and strings, Django's per-row conversion of aggregates (None to 0, which
    cannot occur here) costs more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _met_of(rule: CadenceRule, rule_spans: list[Span], count: int) -> int:
    return sum(
        1 << i for i, span in enumerate(rule_spans) if unpack(count, span.shifts) >= rule.times
    )


def obligations_grouped_in_db(
    *,
    path: str,
    width: int,
    kinds: Iterable[str],
    year: int,
    until: datetime.date,
    spans: list[tuple[CadenceRule, list[Span]]],
    today: datetime.date,
) -> GroupedObligations | None:
    """The obligations of the organisations of *kinds* under *path*, counted per path
    prefix of *width* characters, as ``obligation_groups`` with ``key`` the prefix
    counts them, without the list of who missed what. None when a tally holds
    meetings after *until* (a report dated before meetings it holds: then the year's
    attendance sums are too much, and ``tallies`` must correct them one by one)."""
    keep = (1 << MONTH_BITS * (until.month if until.year == year else 12)) - 1
    plain = existed_throughout_q(spans)
    subtree = subtree_q(path)
    kinds = list(kinds)
    by_db = [i for i, (rule, _s) in enumerate(spans) if rule.kind != ActivityKind.COMMITTEE]
    rules_of: dict[tuple[str, str], list[int]] = {}  # (org kind, tally kind) → rule indexes
    for index in by_db:
        rule = spans[index][0]
        rules_of.setdefault((rule.org_kind, rule.kind), []).append(index)
    # Grouped by the packed counts themselves: organisations of a kind meet in a few
    # hundred patterns. (Bits computed by the database, one CASE per span, made the
    # query slower than this loop over its rows.)
    rows = (
        ActivityYearTally.objects.filter(
            subtree_q(path, prefix="org__"),
            existed_throughout_q(spans, prefix="org__"),
            year=year,
            org__kind__in=kinds,
        )
        .annotate(prefix=Substr("org__path", 1, width))
        .values_list("prefix", "org__kind", "kind", "count_packed", "by_secretary_packed")
        .annotate(n=Count("*"), expected=Sum("expected"), present=Sum("present"))
        .order_by()
    )
    groups: Counter = Counter()
    attendance: dict[str, list[int]] = {}
    closed_of = [sum(1 << i for i, s in enumerate(rs) if s.closed) for _r, rs in spans]
    every_of = [(1 << len(rs)) - 1 for _r, rs in spans]
    met_memo: dict[tuple[int, int], int] = {}

    def met_of(index: int, count: int) -> int:
        met = met_memo.get((index, count))
        if met is None:
            met = met_memo[(index, count)] = _met_of(*spans[index], count)
        return met

    rows = _plain_rows(rows)
    for prefix, org_kind, kind, count, secretary, n, expected, present in rows:
        if count > keep:
            return None
        sums = attendance.get(prefix)
        if sums is None:
            sums = attendance[prefix] = [0, 0]
        sums[0] += expected
        sums[1] += present
        for index in rules_of.get((org_kind, kind), ()):
            met = met_of(index, secretary if spans[index][0].by_secretary else count)
            groups[(prefix, index, every_of[index], met)] += n
    # Plain organisations with no tally of a rule's kind met nothing (or what 0 meets).
    with_tally: Counter = Counter()  # (prefix, rule index) → organisations with a tally
    for (prefix, index, _owed, _met), n in groups.items():
        with_tally[(prefix, index)] += n
    plain_orgs = (
        Organization.objects.filter(subtree, plain, kind__in=kinds)
        .annotate(prefix=Substr("path", 1, width))
        .values_list("prefix", "kind")
        .annotate(n=Count("*"))
        .order_by()
    )
    for prefix, org_kind, n in _plain_rows(plain_orgs):
        for index in by_db:
            if spans[index][0].org_kind == org_kind:
                none = n - with_tally[(prefix, index)]
                if none:
                    groups[(prefix, index, every_of[index], met_of(index, 0))] += none
    # The committee rule, plain organisations one by one: whether a branch owes 支委会
    # meetings depends on the posts it held.
    committee_rules = [i for i in range(len(spans)) if i not in by_db]
    if committee_rules:
        asked = {spans[i][0].org_kind for i in committee_rules}
        days_of = {i: [min(span.end, today) for span in spans[i][1]] for i in committee_rules}
        first = min(days[0] for days in days_of.values())
        last = max(days[-1] for days in days_of.values())
        # Per branch, how many people held a committee post at some time this year and
        # all through it: mostly a committee all year, or never one. Only the rest (a
        # committee formed or dissolved during the year) is read post by post.
        held = Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=datetime.date(year, 1, 1)),
            subtree_q(path, prefix="org__"),
            title__in=COMMITTEE_TITLES,
            started_on__lte=until,
            org__kind__in=asked,
        )
        throughout = Q(started_on__lte=first) & (Q(ended_on__isnull=True) | Q(ended_on__gt=last))
        classes = {
            org_id: (ever, always)
            for org_id, ever, always in _plain_rows(
                held.values_list("org_id")
                .annotate(
                    ever=Count("member_id", distinct=True),
                    always=Count("member_id", distinct=True, filter=throughout),
                )
                .order_by()
            )
        }
        mixed = [
            org_id
            for org_id, (ever, always) in classes.items()
            if ever >= COMMITTEE_MIN_POSTS > always
        ]
        terms = committee_terms(org_ids=mixed, start=datetime.date(year, 1, 1), end=until)
        orgs = (
            Organization.objects.filter(subtree, plain, kind__in=asked)
            .annotate(
                tally=FilteredRelation(
                    "activity_year_tallies",
                    condition=Q(
                        activity_year_tallies__year=year,
                        activity_year_tallies__kind=ActivityKind.COMMITTEE,
                    ),
                )
            )
            .values_list(
                "pk",
                "kind",
                Substr("path", 1, width),
                Coalesce("tally__count_packed", 0),
                Coalesce("tally__by_secretary_packed", 0),
            )
            .order_by()
        )
        for pk, org_kind, prefix, *packs in _plain_rows(orgs):
            ever, always = classes.get(pk, (0, 0))
            for index in committee_rules:
                rule, rule_spans = spans[index]
                if rule.org_kind != org_kind:
                    continue
                if always >= COMMITTEE_MIN_POSTS:
                    owed = every_of[index]
                elif ever < COMMITTEE_MIN_POSTS:
                    owed = 0
                else:
                    owed = every_of[index] & terms.mask(pk, days_of[index])
                count = packs[1 if rule.by_secretary else 0]
                groups[(prefix, index, owed, met_of(index, count) & owed)] += 1
    missed: Counter = Counter()
    for (prefix, index, owed, met), n in groups.items():
        missed[prefix] += n * (owed & ~met & closed_of[index]).bit_count()
    return GroupedObligations(groups, missed, attendance)
