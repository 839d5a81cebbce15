"""Writes of the dues ledger: bases, opening a month, payments, exemptions,
corrections, repricing after a rule changes, and 上缴.

Every write that touches several rows is atomic. Entries are never edited;
the ledger lines and the members' two dues columns (月应缴纳党费, 党费缴至年月)
are derived from bases, rules and entries here and nowhere else.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from branches.models import Organization
from branches.paths import subtree_q
from members.choices import PartyStatus, RosterStatus
from members.dues.rules import (
    FEN,
    FIRST_MONTH,
    RATED,
    Standards,
    add_months,
    base_in_force,
    month_label,
    month_start,
    standard_on,
)
from members.models import Member
from members.models.dues import (
    FIXED,
    DuesBase,
    DuesCategory,
    DuesEntry,
    DuesLine,
    DuesReceipt,
    DuesRemittance,
    DuesTally,
    EntryKind,
)

MAX_ADVANCE_MONTHS = 12
MAX_AMOUNT = Decimal("99999.99")
BATCH = 2000


def owing_q(month: datetime.date, prefix: str = "") -> Q:
    """Members who owe dues for *month*: on the roster in good standing, and joined by its
    end (a probationary member owes from the month the branch meeting admitted them)."""
    end = add_months(month, 1) - datetime.timedelta(days=1)
    return Q(
        **{
            f"{prefix}roster_status": RosterStatus.ACTIVE,
            f"{prefix}party_status": PartyStatus.NORMAL,
        }
    ) & (Q(**{f"{prefix}joined_on__isnull": True}) | Q(**{f"{prefix}joined_on__lte": end}))


def bases_of(member_ids) -> dict[int, list[DuesBase]]:
    """Every base of the members, newest first (one query)."""
    bases: dict[int, list[DuesBase]] = defaultdict(list)
    for base in DuesBase.objects.filter(member_id__in=member_ids).order_by("member_id", "-starts"):
        bases[base.member_id].append(base)
    return bases


# --- Tallies: the lines of a branch's month in sums (what the report reads) ------------


def _money(expression):
    return Coalesce(
        Sum(expression),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def tally_sums() -> dict:
    """The sums of a group of lines: owed = collected + exempted + outstanding, what was
    paid beyond a month's dues (or with no base, or exempted) is extra."""
    known = Q(owed__isnull=False, exempt=False)
    return {
        "owed": _money("owed"),
        "exempted": _money(Case(When(exempt=True, then=F("owed")))),
        "collected": _money(
            Case(When(known & Q(paid__gte=F("owed")), then=F("owed")), When(known, then=F("paid")))
        ),
        "extra": _money(
            Case(
                When(known & Q(paid__gt=F("owed")), then=F("paid") - F("owed")),
                When(Q(owed__isnull=True) | Q(exempt=True), then=F("paid")),
            )
        ),
        "unknown": Count("pk", filter=Q(owed__isnull=True)),
        "unpaid": Count("pk", filter=Q(exempt=False, paid__lte=0)),
    }


def cents(value):
    # SQLite sums decimals as floats: back to the fen. Counts stay integers.
    return value if isinstance(value, int) else Decimal(str(value)).quantize(FEN)


def dues_tallies_refresh(*, months, org_ids=None) -> int:
    """Recount the tallies of *months* (of *org_ids*, else every organisation) from the
    lines: one delete, one grouped query, one insert."""
    months = sorted(set(months))
    if not months:
        return 0
    lines = DuesLine.objects.filter(month__in=months)
    tallies = DuesTally.objects.filter(month__in=months)
    if org_ids is not None:
        org_ids = sorted(set(org_ids))
        lines, tallies = lines.filter(org_id__in=org_ids), tallies.filter(org_id__in=org_ids)
    tallies.delete()
    # Prefixed: an annotation named "owed" would shadow the field in F("owed").
    rows = (
        lines.values("org_id", "month")
        .annotate(**{f"sum_{k}": v for k, v in tally_sums().items()})
        .order_by()
    )
    created = DuesTally.objects.bulk_create(
        [
            DuesTally(
                org_id=row.pop("org_id"),
                month=row.pop("month"),
                **{k.removeprefix("sum_"): cents(v) for k, v in row.items()},
            )
            for row in rows
        ],
        batch_size=BATCH,
    )
    return len(created)


def _tallies_of(lines) -> None:
    dues_tallies_refresh(
        months=[line.month for line in lines], org_ids=[line.org_id for line in lines]
    )


# --- Bases ---------------------------------------------------------------------------


def dues_base_errors(
    *, category: str, income: Decimal | None, amount: Decimal | None, starts: datetime.date
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if category not in DuesCategory.values:
        return {"category": "请选择党员类别。"}
    if category in RATED:
        if income is None:
            errors["income"] = "按收入比例交纳的党员须填写月收入（税后工资或离退休费）。"
        elif income < 0 or income > Decimal("9999999"):
            errors["income"] = "月收入应在0到9,999,999元之间。"
        if amount is not None:
            errors["amount"] = "按收入比例交纳的党员不填每月金额：金额按标准计算。"
    else:
        if income is not None:
            errors["income"] = "该类别按月定额交纳，不填月收入。"
        if category == FIXED and amount is None:
            errors["amount"] = "按核定金额交纳须填写每月金额。"
        if amount is not None and not (Decimal("0") < amount <= MAX_AMOUNT):
            errors["amount"] = "每月金额应大于0。"
        elif amount is not None and category != FIXED:
            limits = standard_on(starts).range_of(category)
            if limits is None:
                errors["category"] = f"{month_label(starts)}没有该类别的党费标准，请先在后台设置。"
            elif not (limits[0] <= amount <= limits[1]):
                errors["amount"] = f"每月金额应在{limits[0]}元到{limits[1]}元之间。"
    return errors


@transaction.atomic
def dues_base_set(
    *,
    member: Member,
    starts: datetime.date,
    category: str,
    income: Decimal | None = None,
    amount: Decimal | None = None,
    note: str = "",
    by=None,
) -> DuesBase:
    """Record what *member*'s dues are computed from, from the month of *starts* on.

    The member's ledger lines from that month on are repriced; earlier months
    keep what they owed. A second base for the same month replaces the first.
    """
    starts = month_start(starts)
    errors = dues_base_errors(category=category, income=income, amount=amount, starts=starts)
    if errors:
        raise ValidationError(errors)
    base, _created = DuesBase.objects.update_or_create(
        member=member,
        starts=starts,
        defaults={
            "category": category,
            "income": income,
            "amount": amount,
            "note": note.strip(),
            "entered_by": by,
            "entered_at": timezone.now(),
        },
    )
    dues_reprice(since=starts, member_ids=[member.pk])
    dues_positions_refresh(member_ids=[member.pk])
    return base


@transaction.atomic
def dues_reprice(*, since: datetime.date, member_ids=None) -> int:
    """Recompute what the ledger lines from *since* on owe; earlier months are untouched.

    Run after a base is entered and after a rule row is added or changed.
    Returns how many lines changed.
    """
    lines = DuesLine.objects.filter(month__gte=month_start(since))
    if member_ids is not None:
        lines = lines.filter(member_id__in=member_ids)
    lines = list(lines.only("pk", "member_id", "month", "owed"))
    bases = bases_of({line.member_id for line in lines})
    standards = Standards()
    changed = []
    for line in lines:
        owed = standards[line.month].owed_for(base_in_force(bases[line.member_id], line.month))
        if owed != line.owed:
            line.owed = owed
            changed.append(line)
    DuesLine.objects.bulk_update(changed, ["owed"], batch_size=BATCH)
    _tallies_of(changed)
    return len(changed)


@transaction.atomic
def dues_rule_save(*, rule) -> int:
    """Save a rule row of the standard and reprice the ledger from its first day on;
    returns how many lines changed."""
    rule.full_clean()
    rule.save()
    return dues_reprice(since=rule.valid_from)


# --- Opening a month -----------------------------------------------------------------


@transaction.atomic
def dues_open(*, month: datetime.date, root: Organization | None = None, member_ids=None) -> int:
    """Open *month* in the ledger: a line for every member under *root* who owes that month.

    Idempotent: members who already have the month's line are left alone, so
    running it daily picks up members who joined or arrived since. A
    member's first line sets their opening position (paid up to the month
    before) when no roster gave one. Returns how many lines were opened.
    """
    month = month_start(month)
    members = Member.objects.filter(owing_q(month)).exclude(
        pk__in=DuesLine.objects.filter(month=month).values("member_id")
    )
    if root is not None:
        members = members.filter(subtree_q(root.path, prefix="branch__"))
    if member_ids is not None:
        members = members.filter(pk__in=member_ids)
    rows = list(members.values_list("pk", "branch_id", "dues_opening").order_by())
    if not rows:
        return 0
    bases = bases_of([pk for pk, _b, _o in rows])
    standard = standard_on(month)
    DuesLine.objects.bulk_create(
        [
            DuesLine(
                member_id=pk,
                month=month,
                org_id=branch_id,
                owed=standard.owed_for(base_in_force(bases.get(pk, []), month)),
            )
            for pk, branch_id, _opening in rows
        ],
        batch_size=BATCH,
    )
    dues_tallies_refresh(months=[month], org_ids={branch_id for _pk, branch_id, _o in rows})
    fresh = [pk for pk, _b, opening in rows if opening is None]
    before = add_months(month, -1)
    for start in range(0, len(fresh), BATCH):
        chunk = fresh[start : start + BATCH]
        # Nothing before the ledger began counts as arrears: the opening position.
        Member.objects.filter(pk__in=chunk, dues_opening__isnull=True).update_derived(
            dues_opening=before
        )
        Member.objects.filter(pk__in=chunk, dues_paid_until__isnull=True).update_derived(
            dues_paid_until=before
        )
    _monthly_refresh(month, [pk for pk, _b, _o in rows])
    return len(rows)


def _monthly_refresh(month: datetime.date, member_ids: list[int]) -> None:
    """月应缴纳党费 is the owed amount of the current month's line; a member with no base
    keeps what the roster gave, as in ``dues_positions_refresh``."""
    if month != month_start(timezone.localdate()):
        return
    by_amount: dict[Decimal, list[int]] = defaultdict(list)
    for member_id, owed in DuesLine.objects.filter(
        month=month, member_id__in=member_ids, owed__isnull=False
    ).values_list("member_id", "owed"):
        by_amount[owed].append(member_id)
    for owed, ids in by_amount.items():
        for start in range(0, len(ids), BATCH):
            Member.objects.filter(pk__in=ids[start : start + BATCH]).update_derived(
                monthly_dues=owed
            )


# --- Payments, exemptions, corrections -------------------------------------------------


class Action:
    FULL = "full"
    AMOUNT = "amount"
    ADVANCE = "advance"
    EXEMPT = "exempt"


ACTIONS = {
    Action.FULL: "按应缴交纳",
    Action.AMOUNT: "交纳其他金额",
    Action.ADVANCE: "预交多个月",
    Action.EXEMPT: "免交",
}


@dataclass
class DuesRow:
    """What the clerk entered for one member on the month's ledger."""

    member: Member
    action: str
    amount: Decimal | None = None
    months: int = 1
    note: str = ""
    approved_on: datetime.date | None = None


def _line_for(lines, standards, bases, member: Member, month: datetime.date) -> DuesLine:
    line = lines.get((member.pk, month))
    if line is None:
        line = DuesLine(
            member=member,
            month=month,
            org_id=member.branch_id,
            owed=standards[month].owed_for(base_in_force(bases.get(member.pk, []), month)),
        )
        lines[(member.pk, month)] = line
    return line


@transaction.atomic
def dues_record(
    *, month: datetime.date, rows: list[DuesRow], paid_on: datetime.date, by
) -> list[DuesReceipt]:
    """Record a month's payments and exemptions for many members at once: all or none.

    Paying in full pays what the month owes; another amount needs a note; an
    advance pays the month and the following ones (each its own entry under
    one receipt); an exemption needs the reason and the date the branch
    approved it. A month already paid or exempted is refused: correct it
    instead. Errors are keyed by member id. Returns the receipts.
    """
    month = month_start(month)
    today = timezone.localdate()
    if paid_on > today:
        raise ValidationError({"paid_on": "交纳日期不能晚于今天。"})
    if month > month_start(today):
        raise ValidationError({"month": "不能登记以后月份的党费：预交请在本月选择「预交多个月」。"})
    rows = [row for row in rows if row.action]
    ids = [row.member.pk for row in rows]
    if len(set(ids)) != len(ids):
        raise ValidationError("同一党员只能登记一行。")
    spans = {
        row.member.pk: [
            add_months(month, n) for n in range(row.months if row.action == Action.ADVANCE else 1)
        ]
        for row in rows
    }
    wanted = {m for months in spans.values() for m in months}
    lines = {
        (line.member_id, line.month): line
        for line in DuesLine.objects.select_for_update().filter(member_id__in=ids, month__in=wanted)
    }
    bases = bases_of(ids)
    standards = Standards()
    errors: dict[str, str] = {}
    entries: list[tuple[DuesRow, list[tuple[DuesLine, Decimal]]]] = []
    for row in rows:
        problem, pays = _row_plan(row, spans[row.member.pk], lines, standards, bases, today)
        if problem:
            errors[str(row.member.pk)] = f"{row.member.name}：{problem}"
        else:
            entries.append((row, pays))
    if errors:
        raise ValidationError(errors)
    return _write(entries, lines, month=month, paid_on=paid_on, by=by)


def _row_plan(row: DuesRow, months, lines, standards, bases, today):
    """(problem, [(line, amount)]) for one member's row."""
    if row.action not in ACTIONS:
        return "请选择交纳方式。", []
    if row.action == Action.ADVANCE and not (2 <= row.months <= MAX_ADVANCE_MONTHS):
        return f"预交月数应为2到{MAX_ADVANCE_MONTHS}个月。", []
    planned = [_line_for(lines, standards, bases, row.member, m) for m in months]
    for line in planned:
        if line.pk and line.settled:
            state = "免交" if line.exempt else f"已交纳{line.paid}元"
            return f"{month_label(line.month)}{state}；如有差错请在党员的党费记录中登记更正。", []
    if row.action == Action.EXEMPT:
        if not row.note.strip():
            return "免交须填写理由。", []
        if row.approved_on is None:
            return "免交须填写支部同意的日期。", []
        if row.approved_on > today:
            return "支部同意日期不能晚于今天。", []
        return "", [(planned[0], Decimal("0"))]
    if row.action == Action.AMOUNT:
        if row.amount is None or not (Decimal("0") < row.amount <= MAX_AMOUNT):
            return "请填写实缴金额（大于0）。", []
        if not row.note.strip():
            return "交纳金额与应缴不同，须填写说明。", []
        return "", [(planned[0], row.amount)]
    missing = [line for line in planned if line.owed is None]
    if missing:
        return f"尚未核定党费基数，无法计算{month_label(missing[0].month)}的应缴金额。", []
    return "", [(line, line.owed) for line in planned]


def _write(entries, lines, *, month, paid_on, by) -> list[DuesReceipt]:
    now = timezone.now()
    paying = [(row, pays) for row, pays in entries if row.action != Action.EXEMPT]
    receipts = DuesReceipt.objects.bulk_create(
        [
            DuesReceipt(
                member=row.member,
                org_id=row.member.branch_id,
                paid_on=paid_on,
                total=sum(amount for _line, amount in pays),
                entered_by=by,
                entered_at=now,
            )
            for row, pays in paying
        ]
    )
    receipt_of = {
        row.member.pk: receipt for (row, _pays), receipt in zip(paying, receipts, strict=False)
    }
    new_entries = []
    for row, pays in entries:
        exempt = row.action == Action.EXEMPT
        for line, amount in pays:
            new_entries.append(
                DuesEntry(
                    member=row.member,
                    org_id=row.member.branch_id,
                    month=line.month,
                    kind=EntryKind.EXEMPT if exempt else EntryKind.PAY,
                    amount=amount,
                    paid_on=paid_on,
                    note=row.note.strip()[:200],
                    approved_on=row.approved_on if exempt else None,
                    receipt=receipt_of.get(row.member.pk),
                    entered_by=by,
                    entered_at=now,
                )
            )
            if exempt:
                line.exempt = True
            else:
                line.paid += amount
    DuesEntry.objects.bulk_create(new_entries, batch_size=BATCH)
    touched = [line for _row, pays in entries for line, _amount in pays]
    known = [line for line in touched if line.pk]
    DuesLine.objects.bulk_create([line for line in touched if not line.pk], batch_size=BATCH)
    DuesLine.objects.bulk_update(known, ["paid", "exempt"], batch_size=BATCH)
    _tallies_of(touched)
    dues_positions_refresh(member_ids=[row.member.pk for row, _pays in entries])
    return receipts


@transaction.atomic
def dues_correct(*, entry: DuesEntry, amount: Decimal | None, note: str, by) -> DuesEntry:
    """Correct a payment (the right amount, 0 to reverse it) or withdraw an exemption.

    The correction is a new entry carrying the difference; the entry it
    corrects stays as it was.
    """
    if entry.kind == EntryKind.CORRECT:
        raise ValidationError("更正记录不能再更正：请更正原记录。")
    if not note.strip():
        raise ValidationError({"note": "请填写更正原因。"})
    done = entry.corrections.aggregate(total=Sum("amount"), n=Count("pk"))
    if entry.kind == EntryKind.EXEMPT:
        if done["n"]:
            raise ValidationError("该免交记录已撤销。")
        delta = Decimal("0")
    else:
        if amount is None or not (Decimal("0") <= amount <= MAX_AMOUNT):
            raise ValidationError({"amount": "请填写正确的金额（0表示撤销这笔交纳）。"})
        current = entry.amount + (done["total"] or 0)
        delta = amount - current
        if delta == 0:
            raise ValidationError({"amount": f"金额与现记录相同（{current}元），无需更正。"})
    correction = DuesEntry(
        member_id=entry.member_id,
        org_id=entry.org_id,
        month=entry.month,
        kind=EntryKind.CORRECT,
        amount=delta,
        paid_on=timezone.localdate(),
        note=note.strip()[:200],
        corrects=entry,
        entered_by=by,
        entered_at=timezone.now(),
    )
    correction.full_clean()
    correction.save()
    _lines_from_entries(member_id=entry.member_id, months=[entry.month])
    dues_positions_refresh(member_ids=[entry.member_id])
    return correction


def _lines_from_entries(*, member_id: int, months: list[datetime.date]) -> None:
    """Set the lines' paid and exempt from every entry toward their months."""
    entries = DuesEntry.objects.filter(member_id=member_id, month__in=months)
    paid = dict(
        entries.exclude(kind=EntryKind.EXEMPT)
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    withdrawn = set(
        entries.filter(kind=EntryKind.CORRECT, corrects__kind=EntryKind.EXEMPT).values_list(
            "corrects_id", flat=True
        )
    )
    exempt = {
        m
        for pk, m in entries.filter(kind=EntryKind.EXEMPT).values_list("pk", "month")
        if pk not in withdrawn
    }
    lines = list(DuesLine.objects.select_for_update().filter(member_id=member_id, month__in=months))
    for line in lines:
        line.paid = paid.get(line.month) or Decimal("0")
        line.exempt = line.month in exempt
    DuesLine.objects.bulk_update(lines, ["paid", "exempt"])
    _tallies_of(lines)


# --- Positions: 党费缴至年月 and 月应缴纳党费 ------------------------------------------


def paid_until(opening: datetime.date | None, settled: set[datetime.date]):
    """The last month paid: from the opening position, through every settled month
    without a gap. Partial payments and approved exemptions count as settled."""
    if opening is None:
        if not settled:
            return None
        opening = add_months(min(settled), -1)
    month = opening
    while add_months(month, 1) in settled:
        month = add_months(month, 1)
    return month


def dues_positions_refresh(*, member_ids) -> None:
    """Derive the members' 党费缴至年月 and 月应缴纳党费 from their ledger (a few queries)."""
    member_ids = list(member_ids)
    if not member_ids:
        return
    settled: dict[int, set] = defaultdict(set)
    for member_id, month in DuesLine.objects.filter(
        Q(exempt=True) | Q(paid__gt=0), member_id__in=member_ids
    ).values_list("member_id", "month"):
        settled[member_id].add(month)
    by_until: dict[datetime.date | None, list[int]] = defaultdict(list)
    for pk, opening in Member.objects.filter(pk__in=member_ids).values_list("pk", "dues_opening"):
        by_until[paid_until(opening, settled[pk])].append(pk)
    for until, ids in by_until.items():
        Member.objects.filter(pk__in=ids).update_derived(dues_paid_until=until)
    today = month_start(timezone.localdate())
    bases = bases_of(member_ids)
    standard = standard_on(today)
    by_amount: dict[Decimal | None, list[int]] = defaultdict(list)
    # A member with no base keeps what the roster gave (even 0): nothing to derive it from.
    for pk in member_ids:
        if pk in bases:
            by_amount[standard.owed_for(base_in_force(bases[pk], today))].append(pk)
    for owed, ids in by_amount.items():
        Member.objects.filter(pk__in=ids).update_derived(monthly_dues=owed)


def dues_opening_set(*, member_ids, with_amount: bool = True, by=None) -> None:
    """After a roster import: the imported 党费缴至年月 becomes the opening position, and an
    imported 月应缴纳党费 that differs from what the ledger computes becomes a base
    (核定金额) from this month on, for the clerk to replace at the yearly review."""
    member_ids = list(member_ids)
    month = month_start(timezone.localdate())
    standard = standard_on(month)
    bases = bases_of(member_ids)
    now = timezone.now()
    rows = Member.objects.filter(pk__in=member_ids).values_list(
        "pk", "dues_paid_until", "monthly_dues"
    )
    by_opening: dict[datetime.date, list[int]] = defaultdict(list)
    new_bases = []
    for pk, until, monthly in rows:
        if until is not None:
            by_opening[month_start(until)].append(pk)
        current = base_in_force(bases.get(pk, []), month)
        if (
            with_amount
            and monthly is not None
            and monthly > 0
            and standard.owed_for(current) != monthly
        ):
            new_bases.append(
                DuesBase(
                    member_id=pk,
                    starts=month,
                    category=FIXED,
                    amount=monthly,
                    note="花名册导入的月应缴纳党费",
                    entered_by=by,
                    entered_at=now,
                )
            )
    for opening, ids in by_opening.items():
        Member.objects.filter(pk__in=ids).update_derived(dues_opening=opening)
    DuesBase.objects.filter(member_id__in=[b.member_id for b in new_bases], starts=month).delete()
    DuesBase.objects.bulk_create(new_bases, batch_size=BATCH)
    if new_bases:
        dues_reprice(since=month, member_ids=[b.member_id for b in new_bases])
    dues_positions_refresh(member_ids=member_ids)


# --- 上缴 ------------------------------------------------------------------------------


def dues_remit(
    *,
    from_org: Organization,
    to_org: Organization,
    month_from: datetime.date,
    month_to: datetime.date,
    amount: Decimal | None,
    remitted_on: datetime.date,
    note: str = "",
    by=None,
) -> DuesRemittance:
    """Record dues passed from *from_org* to the organisation above it (上缴)."""
    errors: dict[str, str] = {}
    month_from, month_to = month_start(month_from), month_start(month_to)
    if amount is None or not (Decimal("0") < amount <= Decimal("9999999999")):
        errors["amount"] = "请填写上缴金额（大于0）。"
    if month_to < month_from:
        errors["month_to"] = "所属月份的止月不能早于起月。"
    elif (month_to.year - month_from.year) * 12 + month_to.month - month_from.month >= 12:
        errors["month_to"] = "一次上缴的所属月份不超过12个月。"
    if remitted_on > timezone.localdate():
        errors["remitted_on"] = "上缴日期不能晚于今天。"
    if not from_org.path.startswith(to_org.path) or from_org.pk == to_org.pk:
        errors["from_org"] = "只能向上级组织上缴。"
    if errors:
        raise ValidationError(errors)
    remittance = DuesRemittance(
        from_org=from_org,
        to_org=to_org,
        month_from=month_from,
        month_to=month_to,
        amount=amount,
        remitted_on=remitted_on,
        note=note.strip()[:200],
        entered_by=by,
        entered_at=timezone.now(),
    )
    remittance.full_clean()
    remittance.save()
    return remittance


# --- A dues sheet (党费收缴表) -----------------------------------------------------------


@dataclass
class DuesPayment:
    """One payment toward one member's month, as a dues sheet gives it."""

    member: Member
    month: datetime.date
    amount: Decimal
    paid_on: datetime.date
    note: str = ""


@transaction.atomic
def dues_payments_import(*, payments: list[DuesPayment], by) -> int:
    """Record the payments of a dues sheet, all or none; returns how many were recorded.

    Each payment is one entry (交纳) toward its member's month, whose line is
    opened when missing (owed from the member's base and the rules of that
    month); a member's payments of one day share one receipt. A payment the
    rules refuse, a member's month twice or a month settled already keeps the
    whole sheet out, as does a member outside *by*'s part of the tree. A
    member without an opening position starts the ledger the month before
    their first imported month, as ``dues_open`` would have started it; else
    the next ``dues_open`` would take every month until then for paid.
    """
    if not payments:
        return 0
    today = timezone.localdate()
    ids = sorted({p.member.pk for p in payments})
    keys = [(p.member.pk, month_start(p.month)) for p in payments]
    lines = {
        (line.member_id, line.month): line
        for line in DuesLine.objects.select_for_update().filter(
            member_id__in=ids, month__in={month for _pk, month in keys}
        )
    }
    _payments_check(payments, keys, lines, today)
    receipts, entries = _payments_entries(payments, keys, lines, by=by)
    touched = [lines[key] for key in dict.fromkeys(keys)]
    new_lines = [line for line in touched if not line.pk]
    DuesReceipt.objects.bulk_create(receipts, batch_size=BATCH)
    DuesEntry.objects.bulk_create(entries, batch_size=BATCH)
    DuesLine.objects.bulk_update([line for line in touched if line.pk], ["paid"], batch_size=BATCH)
    DuesLine.objects.bulk_create(new_lines, batch_size=BATCH)
    _tallies_of(touched)
    written = [entry.pk for entry in entries]
    if DuesEntry.objects.visible_to(by).filter(pk__in=written).count() != len(written):
        # The plan finds members among the user's own; this is the last guard, not a message.
        raise ValidationError("有党员不在你的管辖范围内，未导入任何数据。")
    _openings_set(keys)
    dues_positions_refresh(member_ids=ids)
    return len(entries)


def _payments_entries(payments: list[DuesPayment], keys, lines, *, by):
    """The receipts (one per member and day) and entries of checked payments, unsaved; the
    lines they pay toward opened where missing and their paid raised."""
    bases = bases_of(sorted({pk for pk, _month in keys}))
    standards, now = Standards(), timezone.now()
    receipts: dict[tuple[int, datetime.date], DuesReceipt] = {}
    entries = []
    for payment, (pk, month) in zip(payments, keys, strict=True):
        line = _line_for(lines, standards, bases, payment.member, month)
        line.paid += payment.amount
        receipt = receipts.get((pk, payment.paid_on))
        if receipt is None:
            receipt = receipts[pk, payment.paid_on] = DuesReceipt(
                member=payment.member,
                org_id=payment.member.branch_id,
                paid_on=payment.paid_on,
                total=Decimal("0"),
                entered_by=by,
                entered_at=now,
            )
        receipt.total += payment.amount
        entries.append(
            DuesEntry(
                member=payment.member,
                org_id=payment.member.branch_id,
                month=month,
                kind=EntryKind.PAY,
                amount=payment.amount,
                paid_on=payment.paid_on,
                note=payment.note.strip()[:200],
                receipt=receipt,
                entered_by=by,
                entered_at=now,
            )
        )
    return list(receipts.values()), entries


def _payments_check(payments: list[DuesPayment], keys, lines, today: datetime.date) -> None:
    errors, seen = [], set()
    for payment, key in zip(payments, keys, strict=True):
        said = list(
            payment_problems(
                month=key[1],
                amount=payment.amount,
                paid_on=payment.paid_on,
                today=today,
                joined_on=payment.member.joined_on,
            ).values()
        )
        if key in seen:
            said.append(f"{month_label(key[1])}有两笔：同一党员同一月份只能导入一笔。")
        elif key in lines and lines[key].settled:
            said.append(settled_message(lines[key]))
        seen.add(key)
        errors += [f"{payment.member.name}：{message}" for message in said]
    if errors:
        raise ValidationError(errors)


def _openings_set(keys) -> None:
    first: dict[int, datetime.date] = {}
    for pk, month in keys:
        first[pk] = min(first.get(pk, month), month)
    by_opening: dict[datetime.date, list[int]] = defaultdict(list)
    for pk, month in first.items():
        by_opening[add_months(month, -1)].append(pk)
    for opening, ids in by_opening.items():
        Member.objects.filter(pk__in=ids, dues_opening__isnull=True).update_derived(
            dues_opening=opening
        )


def payment_problems(
    *,
    month: datetime.date,
    amount: Decimal,
    paid_on: datetime.date,
    today: datetime.date,
    joined_on: datetime.date | None = None,
) -> dict[str, str]:
    """What the rules refuse in one payment, by field (month, amount, paid_on): the one
    place of these rules, for the sheet's row-by-row check and for the write."""
    problems: dict[str, str] = {}
    if month > month_start(today):
        problems["month"] = f"{month_label(month)}还没有到，不能导入以后月份的党费。"
    elif month < FIRST_MONTH:
        problems["month"] = f"{month_label(month)}早于2000年1月，台账不记录。"
    elif joined_on is not None and month < month_start(joined_on):
        problems["month"] = (
            f"{month_label(month)}该党员尚未入党（{joined_on.year}年{joined_on.month}月"
            f"{joined_on.day}日入党），不需交纳党费。"
        )
    if amount <= 0:
        problems["amount"] = "金额应大于0。"
    elif amount > MAX_AMOUNT:
        problems["amount"] = f"金额不能超过{MAX_AMOUNT}元。"
    elif amount != amount.quantize(FEN):
        problems["amount"] = f"金额「{amount}」超过两位小数：党费记到分。"
    if paid_on > today:
        problems["paid_on"] = f"交纳日期{paid_on:%Y-%m-%d}晚于今天。"
    return problems


def settled_message(line: DuesLine) -> str:
    """Why a settled month takes no payment, as ``dues_record`` says it too."""
    state = "免交" if line.exempt else f"已交纳{line.paid}元"
    return f"{month_label(line.month)}{state}；如有差错请在党员的党费记录中登记更正。"
