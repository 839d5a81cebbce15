"""The working ledgers' kept yearly tallies: what each ledger's summary sums by child,
counted per organisation (``LedgerTally``) or per member (``LedgerMemberTally``).

Each ledger has one function counting its figures for given organisations (or
members) and years with the aggregates its summary used to run over the rows,
grouped by the organisation instead of the child: summed by child, the tallies
give the summary's figures by construction. ``ledger_tally_refresh`` recounts
and stores them; every service that writes a ledger's rows calls it in its
transaction for the organisations and years it touched, as
``activities.services.tally_refresh`` does for the meetings.
``ledger_tally_rebuild`` recounts everything (the seed, the data migration's
twin, ``manage.py ledger_tally_rebuild``).

What depends on the day or on other data stays with the summaries: 逾期 and
the 小组月报 of the month under way, the roster, 班子职务, posts and targets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from activities.ledgers.diary.selectors import month_checked
from activities.models import (
    DiaryEntry,
    DiaryOutcome,
    DutyLog,
    Fulfilment,
    GroupReport,
    LedgerMemberTally,
    LedgerTally,
    PairingVisit,
    Pledge,
    StudyAttendance,
    StudySession,
    Talk,
    TallyLedger,
)
from activities.points.scheme import year_start
from branches.models import Organization
from members.models import Member

# (key id, year, metric) -> value; the key is an organisation, or a member.
Counts = dict[tuple[int, int, str], int]


def tenths(hours: Decimal | None) -> int:
    """学时 as kept in a tally: tenths of an hour (a session's hours have one decimal)."""
    return int((hours or 0) * 10)


def hours_of(value: int | None) -> Decimal:
    """A tally's tenths back to 学时, with the one decimal place the sessions carry."""
    return (Decimal(value or 0) / 10).quantize(Decimal("0.1"))


def _years_q(field: str, years: Iterable[int] | None) -> Q:
    """Rows dated in one of *years* (all rows for ``None``), as index-friendly ranges."""
    if years is None:
        return Q()
    q = Q(pk__in=[])
    for year in sorted(set(years)):
        q |= Q(**{f"{field}__gte": year_start(year), f"{field}__lt": year_start(year + 1)})
    return q


def _counted(rows, key: str, metrics: Iterable[str]) -> Counts:
    counts: Counts = {}
    for row in rows:
        for metric in metrics:
            counts[(row[key], row["y"], metric)] = row[metric] or 0
    return counts


# --- Per organisation ---------------------------------------------------------------------


def pledge_counts(*, org_ids, years) -> Counts:
    """公开承诺 by the organisation that keeps the pledges: made, fulfilled (on time),
    partly, the villagers' votes and the members who pledged there. 逾期 depends on
    the day: not here."""
    rows = Pledge.objects.all()
    if years is not None:
        rows = rows.filter(year__in=list(years))
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    metrics = {
        "made": Count("pk"),
        "members": Count("member", distinct=True),
        "done": Count("pk", filter=Q(fulfilment=Fulfilment.DONE)),
        "on_time": Count("pk", filter=Q(fulfilment=Fulfilment.DONE, fulfilled_on__lte=F("due_on"))),
        "partly": Count("pk", filter=Q(fulfilment=Fulfilment.PARTLY)),
        "satisfied": Sum("satisfied"),
        "fairly_satisfied": Sum("fairly_satisfied"),
        "dissatisfied": Sum("dissatisfied"),
    }
    grouped = rows.values("org_id", y=F("year")).annotate(**metrics).order_by()
    return _counted(grouped, "org_id", metrics)


def duty_counts(*, org_ids, years) -> Counts:
    """设岗定责's 履职记录 of the year by the post's branch. The posts (a few thousand)
    and the members on the roster are counted by the summary itself."""
    rows = DutyLog.objects.filter(_years_q("done_on", years))
    if org_ids is not None:
        rows = rows.filter(assignment__post__org_id__in=list(org_ids))
    grouped = (
        rows.values(org=F("assignment__post__org_id"), y=ExtractYear("done_on"))
        .annotate(logs=Count("pk"))
        .order_by()
    )
    return _counted(grouped, "org", ["logs"])


def pair_counts(*, org_ids, years) -> Counts:
    """结对帮扶's visits of the year by the pairing's branch, and the pairings running
    that year with a visit in it (the summary's 未走访 is the running pairings less
    these). The pairings themselves are few: the summary counts them."""
    rows = PairingVisit.objects.filter(_years_q("visited_on", years))
    if org_ids is not None:
        rows = rows.filter(pairing__org_id__in=list(org_ids))
    year = ExtractYear("visited_on")
    running = Q(pairing__started_on__year__lte=year) & (
        Q(pairing__ended_on__isnull=True) | Q(pairing__ended_on__year__gte=year)
    )
    grouped = (
        rows.values(org=F("pairing__org_id"), y=year)
        .annotate(visits=Count("pk"), visited=Count("pairing", distinct=True, filter=running))
        .order_by()
    )
    return _counted(grouped, "org", ["visits", "visited"])


def diary_counts(*, org_ids, years) -> Counts:
    """民情日志 by branch: entries by outcome, the months with entries and how many of
    them were checked (distinct months within one branch and year)."""
    rows = DiaryEntry.objects.filter(_years_q("date", years))
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    metrics = {
        "entries": Count("pk"),
        "resolved": Count("pk", filter=Q(outcome=DiaryOutcome.RESOLVED)),
        "reported": Count("pk", filter=Q(outcome=DiaryOutcome.REPORTED)),
        "following": Count("pk", filter=Q(outcome=DiaryOutcome.FOLLOWING)),
        "months": Count(ExtractMonth("date"), distinct=True),
        "checked": Count(ExtractMonth("date"), distinct=True, filter=Q(month_checked())),
    }
    grouped = rows.values("org_id", y=ExtractYear("date")).annotate(**metrics).order_by()
    return _counted(grouped, "org_id", metrics)


def talk_counts(*, org_ids, years) -> Counts:
    """谈心谈话 by branch: talks of the year, and the branch itself once if it had any."""
    rows = Talk.objects.filter(_years_q("talked_on", years))
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    grouped = rows.values("org_id", y=ExtractYear("talked_on")).annotate(talks=Count("pk"))
    counts: Counts = {}
    for row in grouped.order_by():
        counts[(row["org_id"], row["y"], "talks")] = row["talks"]
        counts[(row["org_id"], row["y"], "branches")] = 1
    return counts


def study_counts(*, org_ids, years) -> Counts:
    """党员学习 by the organisation that held the sessions: sessions and their 学时 (tenths)."""
    rows = StudySession.objects.filter(_years_q("date", years))
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    grouped = (
        rows.values("org_id", y=ExtractYear("date"))
        .annotate(sessions=Count("pk"), hours=Sum("hours"))
        .order_by()
    )
    counts: Counts = {}
    for row in grouped:
        counts[(row["org_id"], row["y"], "sessions")] = row["sessions"]
        counts[(row["org_id"], row["y"], "hours")] = tenths(row["hours"])
    return counts


def grouprep_counts(*, org_ids, years) -> Counts:
    """小组月报 by group: the months of the year reported, and reported on time. The
    summary counts closed months only: it takes the month under way off, live."""
    rows = GroupReport.objects.filter(_years_q("month", years))
    if org_ids is not None:
        rows = rows.filter(org_id__in=list(org_ids))
    metrics = {"submitted": Count("pk"), "on_time": Count("pk", filter=Q(on_time=True))}
    grouped = rows.values("org_id", y=ExtractYear("month")).annotate(**metrics).order_by()
    return _counted(grouped, "org_id", metrics)


ORG_COUNTS = {
    TallyLedger.PLEDGES: pledge_counts,
    TallyLedger.DUTY: duty_counts,
    TallyLedger.PAIRS: pair_counts,
    TallyLedger.DIARY: diary_counts,
    TallyLedger.TALKS: talk_counts,
    TallyLedger.STUDY: study_counts,
    TallyLedger.GROUPREP: grouprep_counts,
}


# --- Per member ---------------------------------------------------------------------------


def pledge_member_counts(*, member_ids, years) -> Counts:
    """The members who pledged in more than one organisation in the year (moved group or
    branch): how many organisations beyond the first. A handful of rows; the summary
    reads their pledges to count them once per child (``pledges.selectors``)."""
    rows = Pledge.objects.filter(member__isnull=False)
    if years is not None:
        rows = rows.filter(year__in=list(years))
    if member_ids is not None:
        rows = rows.filter(member_id__in=list(member_ids))
    grouped = (
        rows.values(who=F("member_id"), y=F("year"))
        .annotate(places=Count("org", distinct=True))
        .filter(places__gt=1)
        .order_by()
    )
    return {(row["who"], row["y"], ""): row["places"] - 1 for row in grouped}


def talk_member_counts(*, member_ids, years) -> Counts:
    """The talks of the year each member took part in, on either side."""
    counts: Counts = defaultdict(int)
    for side in ("initiator", "partner"):
        rows = Talk.objects.filter(_years_q("talked_on", years))
        if member_ids is not None:
            rows = rows.filter(**{f"{side}_id__in": list(member_ids)})
        grouped = (
            rows.values(who=F(f"{side}_id"), y=ExtractYear("talked_on"))
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in grouped:
            counts[(row["who"], row["y"], "")] += row["n"]
    return dict(counts)


def study_member_counts(*, member_ids, years) -> Counts:
    """Each member's 学时 of the year (tenths): the hours of the sessions they attended."""
    rows = StudyAttendance.objects.filter(_years_q("session__date", years))
    if member_ids is not None:
        rows = rows.filter(member_id__in=list(member_ids))
    grouped = (
        rows.values(who=F("member_id"), y=ExtractYear("session__date"))
        .annotate(hours=Sum("session__hours"))
        .order_by()
    )
    return {(row["who"], row["y"], ""): tenths(row["hours"]) for row in grouped}


MEMBER_COUNTS = {
    TallyLedger.PLEDGES: pledge_member_counts,
    TallyLedger.TALKS: talk_member_counts,
    TallyLedger.STUDY: study_member_counts,
}


# --- Storing ------------------------------------------------------------------------------


def _store(model, key: str, ledger: str, counts: Counts, key_ids, years) -> int:
    """Make *model*'s rows of *ledger* for *key_ids* × *years* (all, for ``None``) equal
    *counts*: changed values updated in place (an upsert on the unique key, so two
    refreshes of one key cannot collide), zeros and vanished counts deleted."""
    stored = model.objects.filter(ledger=ledger)
    if years is not None:
        stored = stored.filter(year__in=list(years))
    if key_ids is not None:
        stored = stored.filter(**{f"{key}_id__in": list(key_ids)})
    kept = {k: v for k, v in counts.items() if v}
    per_member = model is LedgerMemberTally
    old = {
        (row[f"{key}_id"], row["year"], "" if per_member else row["metric"]): (
            row["pk"],
            row["value"],
        )
        for row in stored.values(
            "pk", f"{key}_id", "year", *(() if per_member else ("metric",)), "value"
        )
    }
    gone = [pk for k, (pk, _) in old.items() if k not in kept]
    if gone:
        model.objects.filter(pk__in=gone).delete()
    changed = [
        model(
            **{f"{key}_id": key_id, "year": year, "ledger": ledger, "value": value},
            **({} if per_member else {"metric": metric}),
        )
        for (key_id, year, metric), value in kept.items()
        if old.get((key_id, year, metric), (None, None))[1] != value
    ]
    unique = [key, "year", "ledger"] + ([] if per_member else ["metric"])
    model.objects.bulk_create(
        changed,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=unique,
        update_fields=["value"],
    )
    return len(changed) + len(gone)


def _lock(*, org_ids, member_ids) -> None:
    """Hold the rows of the members, then the organisations, whose tallies are recounted.

    Two writes to one organisation at once would each count what they see and
    the later upsert would keep a count without the other's row; held, the
    second counts after the first commits (PostgreSQL's read committed sees it).
    Members before organisations, each in id order: the services that lock
    before this lock a member (pledges, duty, pairs) or the organisation
    itself (民情日志), so the order stays one way. A full rebuild (``None``)
    locks nothing: it runs alone (seed, command).

    ``FOR NO KEY UPDATE``: it holds off the other refreshes and every ``FOR
    UPDATE`` as well, but not the key checks of rows written elsewhere that
    point at these (a meeting's attendance at commit, under its organisation's
    lock): with ``FOR UPDATE`` those two writes could each wait for the other.
    """
    if member_ids:
        rows = Member.objects.select_for_update(no_key=True).filter(pk__in=sorted(set(member_ids)))
        list(rows.order_by("pk").values_list("pk"))
    if org_ids:
        rows = Organization.objects.select_for_update(no_key=True).filter(
            pk__in=sorted(set(org_ids))
        )
        list(rows.order_by("pk").values_list("pk"))


@transaction.atomic
def ledger_tally_refresh(*, ledger: str, org_ids=(), years, member_ids=()) -> int:
    """Recount *ledger*'s tallies of *org_ids* (and, for the ledgers kept per member, of
    *member_ids*) in *years*; ``None`` means every one. Returns the rows written."""
    years = None if years is None else sorted(set(years))
    _lock(org_ids=org_ids, member_ids=member_ids if ledger in MEMBER_COUNTS else ())
    written = 0
    if org_ids is None or org_ids:
        org_ids = None if org_ids is None else sorted(set(org_ids))
        counts = ORG_COUNTS[ledger](org_ids=org_ids, years=years)
        written += _store(LedgerTally, "org", ledger, counts, org_ids, years)
    if ledger in MEMBER_COUNTS and (member_ids is None or member_ids):
        member_ids = None if member_ids is None else sorted(set(member_ids))
        counts = MEMBER_COUNTS[ledger](member_ids=member_ids, years=years)
        written += _store(LedgerMemberTally, "member", ledger, counts, member_ids, years)
    return written


@transaction.atomic
def ledger_tally_rebuild(*, year: int | None = None) -> int:
    """Recount every ledger's tallies of *year* (of every year, for ``None``) from the
    rows: the seed, the command and the tests' check. Returns the rows written."""
    years = None if year is None else [year]
    return sum(
        ledger_tally_refresh(ledger=ledger, org_ids=None, member_ids=None, years=years)
        for ledger in ORG_COUNTS
    )
