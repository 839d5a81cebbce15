"""The points scheme of a year and the scoring of a member's year: the one rule the
statement, the ratings and the ranking share. A year follows the rules in force on
its 1 January."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from activities.models import (
    PointRule,
    PointSource,
    RatingRule,
    StarBand,
    in_force_q,
)

ZERO = Decimal("0")


def year_start(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


# --- The scheme in force for a year -------------------------------------------------


@dataclass
class Scheme:
    """The rules that govern one year: those in force on its 1 January."""

    year: int
    rules: dict[tuple[str, str], PointRule]
    bands: list[tuple[Decimal, int]]  # (min points, stars), highest first
    rating: RatingRule | None

    @property
    def base(self) -> Decimal:
        rule = self.rules.get((PointSource.BASE, ""))
        return rule.points if rule else ZERO

    def cap(self, source: str, kind: str) -> Decimal | None:
        rule = self.rules.get((source, kind))
        return rule.yearly_cap if rule else None

    def stars_for(self, total: Decimal) -> int:
        return next((stars for low, stars in self.bands if total >= low), 0)


def scheme_for(year: int) -> Scheme:
    """Three queries: point rules, star bands and the rating rule of *year*."""
    on = year_start(year)
    rules = {(r.source, r.activity_kind): r for r in PointRule.objects.filter(in_force_q(on))}
    bands = sorted(
        ((b.min_points, b.stars) for b in StarBand.objects.filter(in_force_q(on))), reverse=True
    )
    return Scheme(year, rules, bands, RatingRule.objects.filter(in_force_q(on)).first())


@dataclass
class Score:
    """A member's year from the ledger: base, additions and deductions after caps."""

    base: Decimal
    additions: Decimal = ZERO
    deductions: Decimal = ZERO
    capped: Decimal = ZERO
    lines: list[dict] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.base + self.additions + self.deductions


def score(sums: dict[tuple[str, str], Decimal], scheme: Scheme) -> Score:
    """Apply the yearly caps to a member's sums per (source, kind) of counted entries."""
    result = Score(base=scheme.base)
    for (source, kind), raw in sorted(sums.items()):
        cap = scheme.cap(source, kind)
        counted = raw
        if cap is not None:
            counted = max(min(raw, cap), -cap)
        result.capped += abs(raw - counted)
        if counted < 0:
            result.deductions += counted
        else:
            result.additions += counted
        result.lines.append(
            {"source": source, "kind": kind, "raw": raw, "cap": cap, "counted": counted}
        )
    return result
