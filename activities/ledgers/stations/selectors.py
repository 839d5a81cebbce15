"""Reads of the 远程教育站点 ledger: the scoped list of a year's stations with their
months, the clerk's unchecked station-months for the worklist, and the yearly
summary of a node by child, summed in the database.

The list page, its export and its print read ``station_rows`` and ``year_marks``;
the summary page reads ``station_summary``: the same numbers everywhere. A month
is *due* when the station stood at some day of it and the month has ended.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth, Greatest

from activities.ledgers.selectors import (
    LedgerSummary,
    rolled_up,
    running_in_year,
    summed_by_child,
)
from activities.models import Station, StationCheck, StationState
from activities.points.scheme import year_start
from branches.dated import months_later
from branches.models import Organization
from branches.paths import subtree_q

# The worklist names at most this many stations with unchecked months; the rest are counted.
WORK_SHOWN = 60


def ended_months(year: int, today: datetime.date) -> int:
    """How many months of *year* have ended by *today*: 12 for a past year."""
    if year < today.year:
        return 12
    return today.month - 1 if year == today.year else 0


def _first(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, 1)


def stood_in(month: datetime.date, prefix: str = "") -> Q:
    """Stations standing at some day of *month* (its first day)."""
    return Q(**{f"{prefix}opened_on__lt": months_later(month, 1)}) & (
        Q(**{f"{prefix}closed_on__isnull": True}) | Q(**{f"{prefix}closed_on__gte": month})
    )


def station_rows(
    *, user, year: int, node: Organization | None, state: str = ""
) -> QuerySet[Station]:
    """The stations standing in *year* in the user's scope (under *node*, if given), each
    with the year's checks prefetched (``year_checks``); *state* keeps those with a
    month of that state in the year."""
    rows = Station.objects.visible_to(user).filter(running_in_year(year, "opened_on", "closed_on"))
    if node is not None:
        rows = rows.filter(subtree_q(node.path, prefix="org__"))
    if state:
        rows = rows.filter(
            Exists(
                StationCheck.objects.filter(station=OuterRef("pk"), month__year=year, state=state)
            )
        )
    checks = StationCheck.objects.filter(month__year=year).order_by("month")
    return (
        rows.select_related("org", "manager")
        .prefetch_related(Prefetch("checks", queryset=checks, to_attr="year_checks"))
        .order_by("org__path", "name", "pk")
    )


@dataclass
class MonthMark:
    """One month of a station's year as the paper sheet marks it."""

    month: datetime.date
    check: StationCheck | None
    stood: bool  # the station stood at some day of the month
    due: bool  # … and the month has ended
    begun: bool = True  # the month has begun: it can be checked

    @property
    def mark(self) -> str:
        if self.check is not None:
            if self.check.state == StationState.NORMAL:
                return f"√{self.check.playbacks}"
            return "故障" if self.check.state == StationState.FAULT else "未开展"
        if not self.stood:
            return "/"
        return "未检" if self.due else ""

    @property
    def word(self) -> str:
        """The month in the spreadsheet: the state's name, 未检查, or — where it did not stand."""
        if self.check is not None:
            return self.check.get_state_display()
        if not self.stood:
            return "—"
        return "未检查" if self.due else ""


def year_marks(station: Station, year: int, today: datetime.date) -> list[MonthMark]:
    """The twelve months of *station*'s *year* from its prefetched ``year_checks``."""
    checks = {c.month: c for c in getattr(station, "year_checks", None) or []}
    ended = ended_months(year, today)
    marks = []
    for number in range(1, 13):
        month = _first(year, number)
        stood = station.opened_on < months_later(month, 1) and (
            station.closed_on is None or station.closed_on >= month
        )
        due = stood and number <= ended
        marks.append(MonthMark(month, checks.get(month), stood, due, month <= today))
    return marks


# --- The worklist --------------------------------------------------------------------


@dataclass
class UncheckedStation:
    """A station's ended months of this year without a check, oldest first."""

    pk: int
    name: str
    org_name: str
    months: list[datetime.date] = field(default_factory=list)


def station_work(*, user, root: Organization, today: datetime.date) -> dict:
    """The worklist's 远程教育站点待检查: months of this year before the current one in
    which a station under *root* stood and nobody checked it, by station. One query:
    a test per month (at most eleven) on the station's row, the first ``WORK_SHOWN``
    stations and whether there are more."""
    year, ended = today.year, ended_months(today.year, today)
    if not ended:
        return {"stations": [], "more": False}
    months = [_first(year, n) for n in range(1, ended + 1)]
    checked = {
        f"checked_{m.month}": Exists(StationCheck.objects.filter(station=OuterRef("pk"), month=m))
        for m in months
    }
    unchecked = Q()
    for m in months:
        unchecked |= stood_in(m) & Q(**{f"checked_{m.month}": False})
    rows = list(
        Station.objects.visible_to(user)
        .filter(subtree_q(root.path, prefix="org__"))
        .annotate(**checked)
        .filter(unchecked)
        .select_related("org")
        .order_by("org__path", "name", "pk")[: WORK_SHOWN + 1]
    )
    stations = []
    for row in rows[:WORK_SHOWN]:
        item = UncheckedStation(pk=row.pk, name=row.name, org_name=row.org.name)
        for m in months:
            stood = row.opened_on < months_later(m, 1) and (
                row.closed_on is None or row.closed_on >= m
            )
            if stood and not getattr(row, f"checked_{m.month}"):
                item.months.append(m)
        stations.append(item)
    return {"stations": stations, "more": len(rows) > WORK_SHOWN}


# --- The yearly summary by child -------------------------------------------------------

STATION_KEYS = ("stations", "standing", "due", "checked", "faults", "idle", "playbacks")


def station_summary(*, node: Organization, year: int, today: datetime.date) -> LedgerSummary:
    """远程教育站点 of *node*'s year by child: stations that stood in the year, still
    standing at its end (or today), station-months due and checked (the ended months
    only), months of 设备故障 and 未开展, and the playbacks of the checked months:
    three queries (stations, checks, children).

    A station's due months run from its opening month (January if opened before)
    to its closing month or the last ended month, counted in the database.
    """
    ended = ended_months(year, today)
    cutoff = _first(year, ended + 1) if ended < 12 else year_start(year + 1)
    start = Case(
        When(opened_on__lt=year_start(year), then=Value(1)),
        default=ExtractMonth("opened_on"),
        output_field=IntegerField(),
    )
    end = Case(
        When(Q(closed_on__isnull=True) | Q(closed_on__gte=cutoff), then=Value(ended)),
        default=ExtractMonth("closed_on"),
        output_field=IntegerField(),
    )
    due = Greatest(end - start + Value(1), Value(0), output_field=IntegerField())
    stations = summed_by_child(
        Station.objects.filter(running_in_year(year, "opened_on", "closed_on")),
        node=node,
        path="org__path",
        stations=Count("pk"),
        standing=Count(
            "pk", filter=Q(closed_on__isnull=True) | Q(closed_on__gte=year_start(year + 1))
        ),
        due=Coalesce(Sum(due), Value(0)),
    )
    checks = summed_by_child(
        StationCheck.objects.filter(month__gte=year_start(year), month__lt=cutoff),
        node=node,
        path="station__org__path",
        checked=Count("pk"),
        faults=Count("pk", filter=Q(state=StationState.FAULT)),
        idle=Count("pk", filter=Q(state=StationState.IDLE)),
        playbacks=Coalesce(Sum("playbacks"), Value(0)),
    )
    sums = {
        path: {**stations.get(path, {}), **checks.get(path, {})}
        for path in stations.keys() | checks.keys()
    }
    return rolled_up(node, year, sums, STATION_KEYS)
