"""Demo 党费: a base for every member who owes dues, a year of the ledger from last
December (when the county began keeping it) to the build's month, the receipts, and
what the branches and the county units passed upward.

Bases follow the members' occupations: wages and pensions a county's clerks
would see, farmers 0.2–1 元 (each branch has its usual amount), a few members
unemployed or on 低保. Most bases were reviewed this January; a few still date
from the year before, so the yearly review lists them. Payment habits: most
pay each month at the branch's 主题党日, many a quarter or half a year in
advance, some at the quarter's 党员大会 for the quarter just ended, farmers
and pensioners often a year at once; some paid a different amount once with a
note, a few are exempted (reason and approval date), some caught up after
months of arrears in one payment, about 2–3 % owe three months or more now
and under 1 % six or more. Branches pass their dues to their township monthly
or quarterly, the county units to the county quarterly; a few late or short.

Six members of the first township's first branch go through the services
(``members.dues.services``) month by month, with two corrections: the path a
clerk takes. Everyone else is written in bulk, township by township, with the
values those services derive (lines' paid and exempt from the entries, each
member's 党费缴至年月 and 月应缴纳党费): at city scale (70,000 members, some
two million rows) per-member service calls would take many minutes. On
PostgreSQL the rows go straight into their tables through ``COPY``, and the
members' derived columns through one ``UPDATE … FROM`` a staged copy
(``branches.pg_copy.staged``); elsewhere through the bulk ORM calls.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from branches.models import Organization, OrgKind
from branches.paths import PATH_STEP
from branches.pg_copy import staged
from members.choices import Occupation, PartyStatus, RosterStatus
from members.dues.rules import add_months, month_start, months_apart, standard_on
from members.dues.services import (
    Action,
    DuesRow,
    dues_base_set,
    dues_correct,
    dues_open,
    dues_record,
    dues_remit,
    dues_tallies_refresh,
)
from members.models import DuesBase, DuesEntry, DuesLine, DuesReceipt, DuesRemittance, Member
from members.models.dues import DuesCategory, EntryKind
from reports.demo.bulk import insert_rows, keys_checked_once

ZERO = Decimal("0")
CENT = Decimal("0.01")
WAGE_OCCUPATIONS = {
    # Mean and spread of the monthly after-tax wage (元) in a county.
    Occupation.OFFICIAL: (5800, 1300),
    Occupation.PROFESSIONAL: (5400, 1500),
    Occupation.MANAGER: (6800, 2200),
    Occupation.WORKER: (4300, 1000),
    Occupation.OTHER: (3900, 900),
}
# Habits: how a member usually pays, weighted by the kind of base.
MONTHLY, QUARTER_AHEAD, HALF_AHEAD, YEAR_AHEAD, QUARTER_AFTER = (
    "monthly",
    "quarter_ahead",
    "half_ahead",
    "year_ahead",
    "quarter_after",
)
HABITS = {
    DuesCategory.WAGE: ((MONTHLY, 62), (QUARTER_AHEAD, 15), (HALF_AHEAD, 6), (QUARTER_AFTER, 17)),
    DuesCategory.PENSION: (
        (MONTHLY, 40),
        (QUARTER_AHEAD, 20),
        (HALF_AHEAD, 20),
        (YEAR_AHEAD, 10),
        (QUARTER_AFTER, 10),
    ),
    DuesCategory.FARMER: (
        (MONTHLY, 20),
        (QUARTER_AHEAD, 10),
        (HALF_AHEAD, 25),
        (YEAR_AHEAD, 25),
        (QUARTER_AFTER, 20),
    ),
    DuesCategory.STUDENT: ((MONTHLY, 20), (HALF_AHEAD, 50), (YEAR_AHEAD, 30)),
    DuesCategory.UNEMPLOYED: ((MONTHLY, 50), (QUARTER_AFTER, 50)),
    DuesCategory.RELIEF: ((MONTHLY, 50), (QUARTER_AFTER, 50)),
}
# Owing now, months closed without payment: three to five, six or more (mobile members
# three times as often), and members who paid months of arrears at once.
LATE, LONG, CAUGHT_UP, MOBILE_RISK = 0.017, 0.006, 0.03, 3
EXEMPT_ILL = 0.003  # of members over 65; half of those on 低保 are exempted
EXEMPT_REASONS = {
    DuesCategory.RELIEF: "享受农村最低生活保障，家庭生活困难，经支部党员大会讨论同意免交党费",
    "ill": "身患重病长期治疗，生活困难，经支部党员大会讨论同意免交党费",
}
OTHER_AMOUNT = 0.015
MORE_NOTES = ("自愿多交党费", "七一前自愿多交党费", "自愿多交党费，支持村里修路")
LESS_NOTES = ("本月工资调整，按实发工资交纳，基数待年度核定", "本月停薪，按实发工资交纳")
# Branches passing their dues to the township each month rather than each quarter.
MONTHLY_REMITTERS = 0.4
LATE_REMIT, SHORT_REMIT = 0.05, 0.03
SHORT_NOTES = ("部分党员党费尚未收齐，差额下次补缴", "外出党员党费尚未收齐，差额下次补缴")


# The columns of the rows written in bulk, in the order the builder makes them.
BASE_FIELDS = "member_id starts category income amount note entered_by_id entered_at".split()
RECEIPT_FIELDS = "id member_id org_id paid_on total entered_by_id entered_at".split()
ENTRY_FIELDS = (
    "member_id org_id month kind amount paid_on note approved_on receipt_id entered_by_id "
    "entered_at"
).split()
LINE_FIELDS = "member_id month org_id owed paid exempt".split()


@dataclass
class Month:
    """The months the demo's ledger spans, as indexes from last December."""

    first: datetime.date
    current: int  # the build's month
    today: datetime.date
    dates: list[datetime.date] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Up to a year past the build's month: payments in advance open those lines.
        self.dates = [add_months(self.first, i) for i in range(self.current + 13)]

    def day(self, i: int, day: int) -> datetime.date | None:
        """Day *day* of month *i*, or None when it is still to come."""
        on = self.dates[i].replace(day=min(max(day, 1), 28))
        return on if on <= self.today else None


@dataclass
class Plan:
    """One member's year: the bases, the payments (paid_on, [(month, amount)], note),
    the exempted months and the opening position."""

    member: Member
    start: int
    bases: list[tuple[datetime.date, str, Decimal | None, Decimal | None, str]]
    owed: dict[int, Decimal | None] = field(default_factory=dict)
    payments: list[tuple[datetime.date, list[tuple[int, Decimal]], str]] = field(
        default_factory=list
    )
    exempt: list[tuple[int, datetime.date]] = field(default_factory=list)
    exempt_note: str = ""
    approved_on: datetime.date | None = None
    opening: int = -1  # as an index: -1 is the November before the ledger


def build_dues(
    *, rng: random.Random, today: datetime.date, members: list[Member], clerks: dict, users: dict
) -> dict[str, int]:
    """The dues ledger of the demo's year; *clerks* maps each county unit's pk to the
    account that keeps its records. Returns the counts of what it wrote."""
    return _Builder(rng, today, clerks, users).build(members)


class _Builder:
    def __init__(self, rng, today, clerks, users) -> None:
        self.rng = rng
        self.today = today
        self.users = users
        first = add_months(datetime.date(today.year, 1, 1), -1)
        self.months = Month(first, months_apart(first, month_start(today)), today)
        # The standard of each month, months under the same rules sharing one.
        self.standards, self.standard_of = [], []
        rules = {}
        for month in self.months.dates:
            standard = standard_on(month)
            key = repr(sorted(r.pk for rows in standard.bands.values() for r in rows))
            key += repr(sorted(r.pk for r in standard.amounts.values()))
            if key not in rules:
                rules[key] = len(self.standards)
                self.standards.append(standard)
            self.standard_of.append(rules[key])
        orgs = list(Organization.objects.values_list("pk", "path", "kind", "parent_id"))
        self.path = {pk: path for pk, path, _k, _p in orgs}
        by_path = {path: pk for pk, path, _k, _p in orgs}
        county = next(pk for pk, _path, kind, parent in orgs if parent is None)
        self.county = county
        # Each organisation's county unit (township or committee under the county).
        self.unit = {
            pk: by_path.get(path[: 2 * PATH_STEP]) for pk, path, kind, _p in orgs if pk != county
        }
        self.clerk = {pk: clerks.get(unit) or users["admin"] for pk, unit in self.unit.items()}
        self.collection_day: dict[int, int] = {}
        self.farmer_amount: dict[int, Decimal] = {}
        self.counts = defaultdict(int)
        self.positions: list[tuple] = []  # (member, 月应缴纳党费, 党费缴至年月, opening)
        self.next_receipt = (DuesReceipt.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def build(self, members: list[Member]) -> dict[str, int]:
        owing = [
            m
            for m in members
            if m.roster_status == RosterStatus.ACTIVE
            and m.party_status == PartyStatus.NORMAL
            and month_start(m.joined_on) <= self.months.dates[self.months.current]
        ]
        owes = {m.pk for m in owing}
        # Members not owing now (停止党籍) keep a base for when they owe again.
        resting = [
            m for m in members if m.roster_status == RosterStatus.ACTIVE and m.pk not in owes
        ]
        with keys_checked_once([DuesBase, DuesLine, DuesReceipt, DuesEntry]):
            self._bulk(owing, resting)
        self._reset_sequences()
        # The report's monthly sums, counted once from the bulk-written lines; the
        # showcase below keeps its own through the services.
        dues_tallies_refresh(months=self.months.dates)
        self._showcase(self.showcase)
        self._remittances()
        return {f"dues_{name}": n for name, n in self.counts.items()}

    def _bulk(self, owing: list[Member], resting: list[Member]) -> None:
        self._write_bases(resting)
        showcase = self.showcase = self._showcase_members(owing)
        shown = {m.pk for m in showcase}
        by_unit: dict[int, list[Member]] = defaultdict(list)
        for member in owing:
            if member.pk not in shown:
                by_unit[self.unit[member.branch_id]].append(member)
        townships = set(
            Organization.objects.filter(kind=OrgKind.TOWNSHIP).values_list("pk", flat=True)
        )
        for unit in sorted(by_unit):
            # Every township's clerk has someone months behind to follow up, however small.
            settled = [
                m for m in by_unit[unit] if m.joined_on < self.months.first and not m.lost_contact
            ]
            late = self.rng.choice(settled).pk if unit in townships and settled else None
            self._write([self._plan(m, late=m.pk == late) for m in by_unit[unit]])
        # One statement: each fires the trigger that marks the members' figures stale.
        _update_members(self.positions)

    # -- bases -----------------------------------------------------------------
    def _base(self, member: Member, rural: bool):
        """(category, income, last year's income, amount) from the member's occupation."""
        rng = self.rng
        age = self.today.year - member.birth_date.year
        occupation = member.occupation
        if occupation == Occupation.RETIRED:
            low, high, mode = (2200, 5200, 3000) if rural else (3500, 7500, 5200)
            income = _yuan(rng.triangular(low, high, mode), rng)
            # Pensions rise each January by 2–3 %.
            return (
                DuesCategory.PENSION,
                income,
                _yuan(float(income) / rng.uniform(1.02, 1.03)),
                None,
            )
        if occupation == Occupation.STUDENT:
            return DuesCategory.STUDENT, None, None, None
        if occupation == Occupation.OTHER and rng.random() < 0.1:
            kind = DuesCategory.UNEMPLOYED if rng.random() < 0.6 else DuesCategory.RELIEF
            return kind, None, None, None
        if occupation in WAGE_OCCUPATIONS:
            mean, spread = WAGE_OCCUPATIONS[occupation]
            income = _yuan(min(max(rng.gauss(mean, spread), 2800), 12000), rng)
            raised = 1 if rng.random() < 0.4 else rng.uniform(1.02, 1.08)
            return (
                DuesCategory.WAGE,
                income,
                max(_yuan(float(income) / raised), Decimal(2800)),
                None,
            )
        if age >= 70 and rng.random() < 0.06:
            return DuesCategory.RELIEF, None, None, None
        # Farmers: the amount the branch usually sets, less for the old and the poor.
        usual = self.farmer_amount.setdefault(
            member.branch_id, Decimal("1") if rng.random() < 0.55 else Decimal("0.5")
        )
        r = rng.random()
        if r < (0.35 if age >= 70 else 0.12):
            return DuesCategory.FARMER, None, None, Decimal("0.2")
        if r > 0.92:
            return DuesCategory.FARMER, None, None, Decimal("0.5") if usual == 1 else Decimal("1")
        return DuesCategory.FARMER, None, None, usual

    def _bases(self, member: Member, start: int):
        """The member's bases, newest first: this January's and last January's, or one
        from the month they joined."""
        rural = member.group_id is not None
        category, income, older, amount = self._base(member, rural)
        joined = month_start(member.joined_on)
        this_year = self.months.dates[1]
        if start > 0 or joined >= this_year:
            return [(max(joined, self.months.dates[start]), category, income, amount, "")]
        last_year = max(datetime.date(this_year.year - 1, 1, 1), joined)
        old = (last_year, category, older, amount, "")
        if self.rng.random() < 0.03:  # not yet reviewed this year
            return [old]
        note = "年度核定：按1月工资条" if category == DuesCategory.WAGE else ""
        return [(this_year, category, income, amount, note), old]

    def _owed(self, plan: Plan, i: int) -> Decimal | None:
        owed = plan.owed.get(i, "")
        if owed == "":
            month = self.months.dates[i]
            base = next((b for b in plan.bases if b[0] <= month), None)
            # Months under the same rules owe the same for one base: computed once.
            key = (base[0] if base else None, self.standard_of[i])
            owed = plan.owed.get(key, "")
            if owed == "":
                standard = self.standards[self.standard_of[i]]
                owed = None if base is None else standard.owed(*base[1:4])
                plan.owed[key] = owed
            plan.owed[i] = owed
        return owed

    # -- one member's year -----------------------------------------------------------
    def _plan(self, member: Member, late: bool = False) -> Plan:
        rng, months = self.rng, self.months
        start = max(0, months_apart(months.first, month_start(member.joined_on)))
        plan = Plan(member, start, self._bases(member, start))
        plan.opening = start - 1
        category = plan.bases[0][1]
        habits = HABITS[category]
        habit = rng.choices([h for h, _w in habits], weights=[w for _h, w in habits])[0]
        if start > 0:
            habit = MONTHLY if habit == YEAR_AHEAD else habit
        risk = MOBILE_RISK if member.is_mobile else 1
        r = LONG * risk if late else rng.random()
        last = months.current  # the last month this member pays toward, at most
        if member.lost_contact:
            # Nothing since contact was lost, months before the ledger began.
            plan.opening = min(months_apart(months.first, month_start(member.lost_contact_on)), -1)
            return plan
        if start == 0 and r < LONG * risk:
            last = self._stop(plan, rng.randint(6, 10))
            habit = MONTHLY
        elif start == 0 and r < (LONG + LATE) * risk:
            last = self._stop(plan, rng.randint(3, 5))
            habit = MONTHLY
        exempt_from = None
        ill = self.today.year - member.birth_date.year > 65 and rng.random() < EXEMPT_ILL
        relief = category == DuesCategory.RELIEF and rng.random() < 0.5
        if last == months.current and (relief or ill):
            exempt_from = rng.randint(start, months.current)
            plan.exempt_note = EXEMPT_REASONS["ill" if ill else DuesCategory.RELIEF]
            habit = MONTHLY
            last = exempt_from - 1
        day = self._collection_day(member.branch_id)
        if habit == MONTHLY:
            gap = start == 0 and last == months.current and rng.random() < CAUGHT_UP * risk
            self._monthly(plan, last, day, gap)
        else:
            self._ahead(plan, habit, last, day)
        if exempt_from is not None:
            self._exempt(plan, exempt_from, day)
        if habit == MONTHLY and rng.random() < OTHER_AMOUNT:
            self._other_amount(plan)
        return plan

    def _stop(self, plan: Plan, closed: int) -> int:
        """Paid up to *closed* closed months ago; the opening earlier if the ledger is shorter."""
        last = self.months.current - 1 - closed
        plan.opening = min(plan.opening, last)
        return last

    def _collection_day(self, branch_id: int) -> int:
        if branch_id not in self.collection_day:
            self.collection_day[branch_id] = self.rng.randint(3, 25)
        return self.collection_day[branch_id]

    def _pay_day(self, i: int, day: int) -> datetime.date | None:
        rng = self.rng
        return self.months.day(
            i, day + rng.randint(-2, 4) if rng.random() < 0.8 else rng.randint(1, 28)
        )

    def _pay(self, plan: Plan, on: datetime.date | None, months: list[int], note: str = "") -> bool:
        if on is None or not months:
            return False
        pays = [(i, self._owed(plan, i)) for i in months]
        plan.payments.append((on, pays, note))
        return True

    def _monthly(self, plan: Plan, last: int, day: int, gap: bool) -> None:
        rng = self.rng
        skip = set()
        if gap and self.months.current >= 6:
            begin = rng.randint(max(plan.start, 1), self.months.current - 5)
            skip = set(range(begin, begin + rng.randint(3, 5)))
        pending: list[int] = []
        for i in range(plan.start, last + 1):
            if i in skip or (i < last and rng.random() < 0.07):
                pending.append(i)  # paid with a later month
                continue
            if self._pay(plan, self._pay_day(i, day), pending + [i]):
                pending = []

    def _ahead(self, plan: Plan, habit: str, last: int, day: int) -> None:
        months = self.months
        span = {QUARTER_AHEAD: 3, HALF_AHEAD: 6, YEAR_AHEAD: 12, QUARTER_AFTER: 3}[habit]
        if plan.start == 0:  # the ledger's first month, paid on its own
            self._pay(plan, self._pay_day(0, day), [0])
        # Periods of *span* months from January (index 1).
        for begin in range(1, 13, span):
            end = begin + span - 1
            covered = list(range(max(begin, plan.start), end + 1))
            if not covered:
                continue
            if habit == QUARTER_AFTER:
                if end > last:
                    break
                self._pay(plan, self._pay_day(end, day), covered)
            else:
                if covered[0] > min(last, months.current):
                    break
                self._pay(plan, self._pay_day(covered[0], day), covered)

    def _exempt(self, plan: Plan, begin: int, day: int) -> None:
        approved = self.months.dates[begin] - datetime.timedelta(days=self.rng.randint(3, 25))
        plan.approved_on = approved
        for i in range(begin, self.months.current + 1):
            on = self.months.day(i, day)
            if on is not None:
                plan.exempt.append((i, on))

    def _other_amount(self, plan: Plan) -> None:
        single = [k for k, (_on, pays, _n) in enumerate(plan.payments) if len(pays) == 1]
        if not single:
            return
        k = self.rng.choice(single)
        on, [(i, owed)], _note = plan.payments[k]
        if owed is None:
            return
        if self.rng.random() < 0.75 or owed < 2:
            extra = Decimal(self.rng.choice((50, 100, 100, 200, 500)))
            plan.payments[k] = (on, [(i, owed + extra)], self.rng.choice(MORE_NOTES))
        else:
            less = (owed * Decimal(self.rng.uniform(0.6, 0.9))).quantize(CENT, ROUND_HALF_UP)
            plan.payments[k] = (on, [(i, less)], self.rng.choice(LESS_NOTES))

    # -- writing ---------------------------------------------------------------------
    def _write(self, plans: list[Plan]) -> None:
        dates, current = self.months.dates, self.months.current
        bases, lines, receipts, entries = [], [], [], []
        pay, exempted = EntryKind.PAY, EntryKind.EXEMPT
        for plan in plans:
            member, branch = plan.member.pk, plan.member.branch_id
            clerk = self.clerk[branch].pk
            for starts, category, income, amount, note in plan.bases:
                entered = _at(starts + datetime.timedelta(days=self.rng.randint(5, 20)))
                bases.append((member, starts, category, income, amount, note, clerk, entered))
            paid: dict[int, Decimal] = {}
            for on, pays, note in plan.payments:
                receipt, at = self.next_receipt, _at(on)
                self.next_receipt += 1
                receipts.append((receipt, member, branch, on, sum(a for _i, a in pays), clerk, at))
                for i, amount in pays:
                    paid[i] = paid.get(i, ZERO) + amount
                    month = dates[i]
                    entries.append(
                        (member, branch, month, pay, amount, on, note, None, receipt, clerk, at)
                    )
            exempt = set()
            for i, on in plan.exempt:
                exempt.add(i)
                note, approved = plan.exempt_note, plan.approved_on
                entries.append(
                    (
                        member,
                        branch,
                        dates[i],
                        exempted,
                        ZERO,
                        on,
                        note,
                        approved,
                        None,
                        clerk,
                        _at(on),
                    )
                )
            for i in range(plan.start, max([current, *paid]) + 1):
                owed = self._owed(plan, i)
                lines.append((member, dates[i], branch, owed, paid.get(i, ZERO), i in exempt))
            # 党费缴至年月 as services.paid_until walks it: every settled month without a gap.
            until = plan.opening
            while until + 1 in paid or until + 1 in exempt:
                until += 1
            opening = add_months(self.months.first, plan.opening)
            until = add_months(self.months.first, until)
            self.positions.append((member, self._owed(plan, current), until, opening))
        insert_rows(DuesBase, BASE_FIELDS, bases)
        insert_rows(DuesReceipt, RECEIPT_FIELDS, receipts)
        insert_rows(DuesEntry, ENTRY_FIELDS, entries)
        insert_rows(DuesLine, LINE_FIELDS, lines)
        for name, rows in (
            ("bases", bases),
            ("lines", lines),
            ("receipts", receipts),
            ("entries", entries),
        ):
            self.counts[name] += len(rows)

    def _write_bases(self, members: list[Member]) -> None:
        """Bases, and what they would owe this month, for members who owe nothing now."""
        rows = []
        for member in members:
            plan = Plan(member, 0, self._bases(member, 0))
            clerk = self.clerk[member.branch_id].pk
            for starts, category, income, amount, note in plan.bases:
                rows.append((member.pk, starts, category, income, amount, note, clerk, _at(starts)))
            self.positions.append((member.pk, self._owed(plan, self.months.current), None, None))
        insert_rows(DuesBase, BASE_FIELDS, rows)
        self.counts["bases"] += len(rows)

    def _reset_sequences(self) -> None:
        """The receipts were written with their pks: the sequence continues after them."""
        statements = connection.ops.sequence_reset_sql(no_style(), [DuesReceipt])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    # -- six members through the services -----------------------------------------------
    def _showcase_members(self, owing: list[Member]) -> list[Member]:
        township = Organization.objects.filter(kind=OrgKind.TOWNSHIP).order_by("path").first()
        if township is None or self.today > timezone.localdate():
            return []  # the services refuse dates after today
        branch = (
            Organization.objects.filter(kind=OrgKind.BRANCH, path__startswith=township.path)
            .order_by("path")
            .first()
        )
        chosen = [
            m
            for m in owing
            if m.branch_id == branch.pk
            and month_start(m.joined_on) < self.months.first
            and not (m.lost_contact or m.is_mobile)
        ]
        chosen.sort(key=lambda m: m.pk)
        return chosen[:6] if len(chosen) >= 6 else []

    def _showcase(self, members: list[Member]) -> None:
        """Six habits a clerk records, month by month through the services: monthly, a
        quarter ahead, half a year ahead, once more than owed, exempted from a month on,
        each quarter after it ends; then two corrections."""
        if not members:
            return
        months, clerk = self.months, self.clerk[members[0].branch_id]
        for member in members:
            for starts, category, income, amount, note in reversed(self._bases(member, 0)):
                dues_base_set(
                    member=member,
                    starts=starts,
                    category=category,
                    income=income,
                    amount=amount,
                    note=note,
                    by=clerk,
                )
        monthly, quarter, half, more, exempt, after = members
        more_month = min(7, months.current)
        exempt_from = max(2, months.current - 3)
        approved = months.dates[exempt_from] - datetime.timedelta(days=12)
        day = self._collection_day(members[0].branch_id)
        for i in range(months.current + 1):
            month = months.dates[i]
            dues_open(month=month, member_ids=[m.pk for m in members])
            on = months.day(i, day)
            if on is None:
                continue
            rows = [
                DuesRow(monthly, Action.FULL),
                self._ahead_row(quarter, i, 3),
                self._ahead_row(half, i, 6),
                DuesRow(more, Action.FULL),
                DuesRow(exempt, Action.FULL),
                DuesRow(after, Action.FULL) if i == 0 else None,
            ]
            if i == more_month:
                owed = DuesLine.objects.get(member=more, month=month).owed
                rows[3] = DuesRow(more, Action.AMOUNT, owed + 200, note=MORE_NOTES[1])
            if i >= exempt_from:
                rows[4] = DuesRow(
                    exempt, Action.EXEMPT, note=EXEMPT_REASONS["ill"], approved_on=approved
                )
            dues_record(month=month, rows=[r for r in rows if r], paid_on=on, by=clerk)
            if i and i % 3 == 0:  # the quarter's 党员大会 collects the quarter just ended
                row = DuesRow(after, Action.ADVANCE, months=3)
                dues_record(month=months.dates[i - 2], rows=[row], paid_on=on, by=clerk)
        self._corrections(monthly, more, months.dates[more_month], clerk)
        self.counts["showcase"] = len(members)

    def _ahead_row(self, member: Member, i: int, span: int) -> DuesRow | None:
        if i == 0:
            return DuesRow(member, Action.FULL)
        if (i - 1) % span == 0:
            return DuesRow(member, Action.ADVANCE, months=span)
        return None

    def _corrections(self, monthly: Member, more: Member, more_month, clerk) -> None:
        """A payment recorded under the wrong member, reversed and recorded again; an
        amount keyed wrongly, corrected."""
        month = self.months.dates[max(0, self.months.current - 2)]
        wrong = DuesEntry.objects.filter(member=monthly, month=month, kind=EntryKind.PAY).first()
        if wrong is not None:
            note = "误登记在本人名下（为同名党员所交），予以撤销"
            dues_correct(entry=wrong, amount=ZERO, note=note, by=clerk)
            row = DuesRow(monthly, Action.FULL)
            dues_record(month=month, rows=[row], paid_on=self.today, by=clerk)
            self.counts["corrections"] += 1
        keyed = DuesEntry.objects.filter(member=more, month=more_month, kind=EntryKind.PAY).first()
        if keyed is not None:
            right = keyed.amount - 100
            note = f"金额录入有误，收据存根为{right}元"
            dues_correct(entry=keyed, amount=right, note=note, by=clerk)
            self.counts["corrections"] += 1

    # -- 上缴 ---------------------------------------------------------------------------
    def _remittances(self) -> None:
        """Branches to their county unit monthly or quarterly, the units to the county each
        quarter, of what they had received for those months; a few late or short. The
        first township's go through the service."""
        months = self.months
        received: dict[int, dict[int, Decimal]] = defaultdict(dict)
        rows = (
            DuesEntry.objects.exclude(kind=EntryKind.EXEMPT)
            .filter(paid_on__gte=months.first)
            .annotate(paid_month=TruncMonth("paid_on"))
            .values_list("org_id", "paid_month")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for org, paid_month, total in rows:
            month = paid_month.date() if isinstance(paid_month, datetime.datetime) else paid_month
            # Quantized: SQLite sums decimals as floats.
            received[org][months_apart(months.first, month)] = Decimal(total).quantize(CENT)
        branch_rows = []
        for org in sorted(received):
            size = 1 if self.rng.random() < MONTHLY_REMITTERS else 3
            for span in self._spans(size):
                on = self._remit_day(span, 5, 15)
                amount = sum((received[org].get(i, ZERO) for i in span), ZERO)
                row = self._remittance(org, self.unit[org], span, amount, on)
                if row is not None:
                    branch_rows.append(row)
        DuesRemittance.objects.bulk_create(branch_rows, batch_size=2000)
        by_unit = defaultdict(list)
        for row in branch_rows:
            by_unit[row.to_org_id].append(row)
        township = Organization.objects.filter(kind=OrgKind.TOWNSHIP).order_by("path").first()
        county = Organization.objects.get(pk=self.county)
        unit_rows = []
        for unit in sorted(by_unit):
            for span in self._spans(3):
                on = self._remit_day(span, 15, 28)
                first, last = months.dates[span[0]], months.dates[span[-1]]
                amount = sum(
                    (
                        r.amount
                        for r in by_unit[unit]
                        if first <= r.month_from <= last and r.remitted_on <= on
                    ),
                    ZERO,
                )
                row = self._remittance(unit, self.county, span, amount, on)
                if row is None:
                    continue
                if township is not None and unit == township.pk:
                    dues_remit(
                        from_org=township,
                        to_org=county,
                        month_from=row.month_from,
                        month_to=row.month_to,
                        amount=row.amount,
                        remitted_on=row.remitted_on,
                        note=row.note,
                        by=row.entered_by,
                    )
                    self.counts["remittances"] += 1
                else:
                    unit_rows.append(row)
        DuesRemittance.objects.bulk_create(unit_rows, batch_size=2000)
        self.counts["remittances"] += len(branch_rows) + len(unit_rows)

    def _spans(self, size: int) -> list[list[int]]:
        """Closed spans of *size* months: last December alone, then this year's."""
        spans = [[0]]
        for begin in range(1, 13, size):
            span = list(range(begin, begin + size))
            if span[-1] < self.months.current:
                spans.append(span)
        return spans

    def _remit_day(self, span: list[int], low: int, high: int) -> datetime.date:
        on = self.months.dates[span[-1] + 1] + datetime.timedelta(days=self.rng.randint(low, high))
        if self.rng.random() < LATE_REMIT:
            on += datetime.timedelta(days=self.rng.randint(25, 60))
        return on

    def _remittance(self, org, target, span, amount, on) -> DuesRemittance | None:
        note = ""
        if self.rng.random() < SHORT_REMIT and amount > 10:
            amount = (amount * Decimal(self.rng.uniform(0.8, 0.95))).quantize(CENT, ROUND_HALF_UP)
            note = self.rng.choice(SHORT_NOTES)
        if on > self.today or amount <= 0:
            return None  # not yet passed on
        return DuesRemittance(
            from_org_id=org,
            to_org_id=target,
            month_from=self.months.dates[span[0]],
            month_to=self.months.dates[span[-1]],
            amount=amount,
            remitted_on=on,
            note=note,
            entered_by=self.clerk[org],
            entered_at=_at(on),
        )


# -- helpers ----------------------------------------------------------------------------


def _yuan(value: float, rng: random.Random | None = None) -> Decimal:
    """An income as a clerk types it from a payslip: to the fen, or whole yuan."""
    if rng is not None and rng.random() < 0.5:
        return Decimal(round(value))
    return Decimal(f"{value:.2f}")


@lru_cache(maxsize=1024)
def _at(day: datetime.date) -> datetime.datetime:
    """When a clerk entered what happened on *day*: that afternoon (a fixed offset, which
    writes faster than a zone: hundreds of thousands of rows carry one)."""
    at = datetime.datetime.combine(day, datetime.time(16))
    offset = timezone.get_current_timezone().utcoffset(at)
    return at.replace(tzinfo=datetime.timezone(offset))


def _update_members(rows: list[tuple]) -> None:
    """Set the members' derived dues columns: (pk, monthly_dues, dues_paid_until, dues_opening)."""
    names = ["monthly_dues", "dues_paid_until", "dues_opening"]
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [Member(pk=pk, **dict(zip(names, values, strict=True))) for pk, *values in rows]
        # The columns are derived, not audited: a plain queryset, not the audited one.
        models.QuerySet(Member).bulk_update(objs, names, batch_size=500)
        return
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(n)} = s.{quote(n)}" for n in names)
    with (
        connection.cursor() as cursor,
        staged(
            cursor,
            table=Member._meta.db_table,
            columns=["id", *names],
            rows=([0, *r] for r in rows),
            not_null=[],
        ) as stage,
    ):
        cursor.execute(
            f"UPDATE {quote(Member._meta.db_table)} AS t SET {sets} FROM {stage} AS s "
            "WHERE t.id = s.id"
        )
