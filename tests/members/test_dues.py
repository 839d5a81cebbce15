"""党费: the standard at every band edge, bases and their months, the monthly ledger,
advance payments, corrections, positions, the 欠缴 deduction and the upward
report's arithmetic."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import EntryStatus, PointEntry, PointSource
from activities.points.dues import dues_points_refresh
from members.choices import MemberCategory
from members.dues import selectors, services
from members.dues.rules import standard_on
from members.dues.services import Action, DuesRow
from members.models import (
    DuesCategory,
    DuesEntry,
    DuesLine,
    DuesRule,
    DuesTally,
    EntryKind,
    Member,
)
from tests.factories import MemberFactory, UserFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
M = Decimal
NOV = D(2026, 11, 1)


@pytest.fixture
def clerk():
    return UserFactory()


def member(tree, **fields) -> Member:
    return MemberFactory(branch=tree.village_a, joined_on=D(2010, 7, 1), **fields)


def owed(category, income=None, amount=None, month=NOV):
    return standard_on(month).owed(category, None if income is None else M(income), amount)


@pytest.mark.parametrize(
    ("income", "expected"),
    [
        ("0", "0.00"),
        ("2999.99", "15.00"),
        ("3000", "15.00"),
        ("3000.01", "30.00"),
        ("5000", "50.00"),
        ("5000.01", "75.00"),
        ("10000", "150.00"),
        ("10000.01", "200.00"),
        ("3333.33", "33.33"),
        ("1234.57", "6.17"),  # 6.17285 rounds to the fen
    ],
)
def test_wage_bands_apply_the_whole_base_at_the_band_rate(income, expected):
    assert owed(DuesCategory.WAGE, income) == M(expected)


@pytest.mark.parametrize(
    ("pension", "expected"), [("5000", "25.00"), ("5000.01", "50.00"), ("2001", "10.01")]
)
def test_pension_bands(pension, expected):
    assert owed(DuesCategory.PENSION, pension) == M(expected)


def test_farmers_pay_within_the_range_the_branch_sets():
    assert owed(DuesCategory.FARMER) == M("0.20")
    assert owed(DuesCategory.FARMER, amount=M("0.5")) == M("0.50")
    assert owed(DuesCategory.FARMER, amount=M("1")) == M("1.00")
    errors = services.dues_base_errors(
        category=DuesCategory.FARMER, income=None, amount=M("1.01"), starts=NOV
    )
    assert errors == {"amount": "每月金额应在0.20元到1.00元之间。"}
    assert services.dues_base_errors(
        category=DuesCategory.FARMER, income=None, amount=M("0.19"), starts=NOV
    )


@pytest.mark.parametrize(
    "category", [DuesCategory.STUDENT, DuesCategory.UNEMPLOYED, DuesCategory.RELIEF]
)
def test_students_unemployed_and_relief_pay_twenty_fen(category):
    assert owed(category) == M("0.20")


def test_a_wage_earner_without_income_is_refused_with_the_reason():
    errors = services.dues_base_errors(
        category=DuesCategory.WAGE, income=None, amount=None, starts=NOV
    )
    assert "月收入" in errors["income"]


def test_a_base_applies_from_its_month_and_leaves_earlier_months(tree, clerk):
    person = member(tree)
    with frozen(beijing(2026, 11, 20)):
        services.dues_open(month=D(2026, 9, 1), root=tree.county)
        services.dues_open(month=D(2026, 10, 1), root=tree.county)
        services.dues_base_set(
            member=person,
            starts=D(2026, 10, 1),
            category=DuesCategory.WAGE,
            income=M("4000"),
            by=clerk,
        )
        services.dues_open(month=NOV, root=tree.county)
    lines = dict(DuesLine.objects.filter(member=person).values_list("month", "owed"))
    assert lines == {D(2026, 9, 1): None, D(2026, 10, 1): M("40.00"), NOV: M("40.00")}
    person.refresh_from_db()
    assert person.monthly_dues == M("40.00")


def test_a_probationary_member_owes_from_the_month_of_admission(tree):
    admitted = member(tree, category=MemberCategory.PROBATIONARY)
    Member.objects.filter(pk=admitted.pk).update_derived()  # no-op: the model allows it
    admitted.joined_on = D(2026, 3, 15)
    admitted.save()
    with frozen(beijing(2026, 4, 20)):
        assert services.dues_open(month=D(2026, 2, 1), root=tree.village_a) == 0
        assert services.dues_open(month=D(2026, 3, 1), root=tree.village_a) == 1
    admitted.refresh_from_db()
    assert admitted.dues_opening == D(2026, 2, 1)  # nothing before the admission is owed


def test_a_rule_from_1_january_leaves_december_untouched(tree, clerk):
    person = member(tree)
    with frozen(beijing(2027, 1, 10)):
        services.dues_base_set(
            member=person,
            starts=D(2026, 12, 1),
            category=DuesCategory.WAGE,
            income=M("4000"),
            by=clerk,
        )
        services.dues_open(month=D(2026, 12, 1), root=tree.county)
        services.dues_open(month=D(2027, 1, 1), root=tree.county)
        old = DuesRule.objects.get(category=DuesCategory.WAGE, income_above=M("3000"))
        old.valid_to = D(2026, 12, 31)
        old.save()
        DuesRule.objects.create(
            category=DuesCategory.WAGE,
            income_above=M("3000"),
            rate=M("1.2"),
            valid_from=D(2027, 1, 1),
        )
        assert services.dues_reprice(since=D(2027, 1, 1)) == 1
    lines = dict(DuesLine.objects.filter(member=person).values_list("month", "owed"))
    assert lines == {D(2026, 12, 1): M("40.00"), D(2027, 1, 1): M("48.00")}


def _with_base(tree, n, clerk, income="2000"):
    people = [member(tree) for _ in range(n)]
    for person in people:
        services.dues_base_set(
            member=person,
            starts=D(2026, 1, 1),
            category=DuesCategory.WAGE,
            income=M(income),
            by=clerk,
        )
    return people


def test_a_month_for_thirty_members_in_a_bounded_number_of_queries(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        people = _with_base(tree, 30, clerk)
        services.dues_open(month=NOV, root=tree.county)
        rows = [DuesRow(member=p, action=Action.FULL) for p in people]
        with CaptureQueriesContext(connection) as queries:
            receipts = services.dues_record(month=NOV, rows=rows, paid_on=D(2026, 11, 20), by=clerk)
    assert len(receipts) == 30
    assert len(queries) <= 16, [q["sql"][:80] for q in queries]
    assert DuesLine.objects.filter(month=NOV, paid=M("10.00")).count() == 30
    assert DuesEntry.objects.filter(month=NOV, kind=EntryKind.PAY).count() == 30
    assert set(
        Member.objects.filter(pk__in=[p.pk for p in people]).values_list(
            "dues_paid_until", flat=True
        )
    ) == {NOV}


def test_the_ledger_page_query_count_does_not_grow_with_members(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        _with_base(tree, 2, clerk)
        with CaptureQueriesContext(connection) as few:
            selectors.ledger_rows(branch=tree.village_a, month=NOV, today=D(2026, 11, 20))
        _with_base(tree, 20, clerk)
        with CaptureQueriesContext(connection) as many:
            rows = selectors.ledger_rows(branch=tree.village_a, month=NOV, today=D(2026, 11, 20))
    assert len(rows) == 22
    assert len(few) == len(many) <= 4


def test_an_advance_payment_covers_later_months_under_one_receipt(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        (person,) = _with_base(tree, 1, clerk, income="6000")
        services.dues_open(month=NOV, root=tree.county)
        (receipt,) = services.dues_record(
            month=NOV,
            rows=[DuesRow(member=person, action=Action.ADVANCE, months=3)],
            paid_on=D(2026, 11, 20),
            by=clerk,
        )
        assert receipt.total == M("270.00")
        assert [e.month for e in receipt.entries.order_by("month")] == [
            NOV,
            D(2026, 12, 1),
            D(2027, 1, 1),
        ]
        person.refresh_from_db()
        assert person.dues_paid_until == D(2027, 1, 1)
        # December is already paid: recording it again is refused, nothing written.
        with frozen(beijing(2026, 12, 5)), pytest.raises(ValidationError) as refused:
            services.dues_record(
                month=D(2026, 12, 1),
                rows=[DuesRow(member=person, action=Action.FULL)],
                paid_on=D(2026, 12, 5),
                by=clerk,
            )
    assert "已交纳90.00元" in str(refused.value)
    assert DuesEntry.objects.count() == 3


def test_one_bad_row_writes_nothing(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        good, bad = _with_base(tree, 2, clerk)
        rows = [
            DuesRow(member=good, action=Action.FULL),
            DuesRow(member=bad, action=Action.AMOUNT, amount=M("5")),  # no note
        ]
        with pytest.raises(ValidationError) as refused:
            services.dues_record(month=NOV, rows=rows, paid_on=D(2026, 11, 20), by=clerk)
    assert refused.value.message_dict == {
        str(bad.pk): [f"{bad.name}：交纳金额与应缴不同，须填写说明。"]
    }
    assert not DuesEntry.objects.exists()


def test_a_correction_is_a_new_entry_and_the_original_stays(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        (person,) = _with_base(tree, 1, clerk)
        services.dues_open(month=NOV, root=tree.county)
        services.dues_record(
            month=NOV,
            rows=[DuesRow(member=person, action=Action.FULL)],
            paid_on=D(2026, 11, 20),
            by=clerk,
        )
        entry = DuesEntry.objects.get()
        correction = services.dues_correct(entry=entry, amount=M("12"), note="实收12元", by=clerk)
        assert correction.amount == M("2.00") and correction.corrects == entry
        entry.refresh_from_db()
        assert entry.amount == M("10.00")
        assert DuesLine.objects.get(member=person, month=NOV).paid == M("12.00")
        services.dues_correct(entry=entry, amount=M("0"), note="误记，本人未交", by=clerk)
        assert DuesLine.objects.get(member=person, month=NOV).paid == M("0")
        person.refresh_from_db()
        assert person.dues_paid_until == D(2026, 10, 1)
        with pytest.raises(ValidationError):
            services.dues_correct(entry=correction, amount=M("1"), note="x", by=clerk)


def test_an_exemption_needs_the_branch_and_settles_the_month(tree, clerk):
    with frozen(beijing(2026, 11, 20)):
        (person,) = _with_base(tree, 1, clerk)
        with pytest.raises(ValidationError):
            services.dues_record(
                month=NOV,
                rows=[DuesRow(member=person, action=Action.EXEMPT, note="重病")],
                paid_on=D(2026, 11, 20),
                by=clerk,
            )
        services.dues_record(
            month=NOV,
            rows=[
                DuesRow(
                    member=person,
                    action=Action.EXEMPT,
                    note="重病住院",
                    approved_on=D(2026, 11, 18),
                )
            ],
            paid_on=D(2026, 11, 20),
            by=clerk,
        )
        line = DuesLine.objects.get(member=person, month=NOV)
        assert line.exempt and line.paid == 0
        services.dues_correct(entry=DuesEntry.objects.get(), amount=None, note="撤销", by=clerk)
        assert not DuesLine.objects.get(member=person, month=NOV).exempt


def _months_unpaid(tree, clerk, person, first: datetime.date, count: int):
    month = first
    for _ in range(count):
        services.dues_open(month=month, root=tree.county, member_ids=[person.pk])
        month = D(month.year + month.month // 12, month.month % 12 + 1, 1)


def test_arrears_of_three_and_six_months_for_the_worklist(tree, clerk):
    three, six, paying = _with_base(tree, 3, clerk)
    with frozen(beijing(2026, 11, 20)):
        for person, first in (
            (three, D(2026, 8, 1)),
            (six, D(2026, 5, 1)),
            (paying, D(2026, 10, 1)),
        ):
            _months_unpaid(tree, clerk, person, first, 12)
        listed, count = selectors.arrears(
            members=Member.objects.filter(branch=tree.village_a), today=D(2026, 11, 20)
        )
    assert count == 2
    assert [(a.member, a.months, a.rule) for a in listed] == [(six, 6, True), (three, 3, False)]


def test_the_arrears_deduction_comes_from_the_ledger_once(tree, clerk):
    person, other = _with_base(tree, 2, clerk)
    with frozen(beijing(2026, 11, 20)):
        _months_unpaid(tree, clerk, person, D(2026, 2, 1), 7)  # Feb–Aug: one run of seven
        assert dues_points_refresh(year=2026) == 2
        assert dues_points_refresh(year=2026) == 2  # recomputed: the same ledger
        entries = PointEntry.objects.filter(source=PointSource.DUES_ARREARS)
        assert [(e.member_id, e.date, e.points, e.reason, e.status) for e in entries] == [
            (person.pk, D(2026, 4, 30), M("-5.0"), "2026年2月至4月未交纳党费", EntryStatus.AUTO),
            (person.pk, D(2026, 7, 31), M("-5.0"), "2026年5月至7月未交纳党费", EntryStatus.AUTO),
        ]
        # Paying March late breaks the run: Feb | Apr–Aug leaves one deduction.
        services.dues_record(
            month=D(2026, 3, 1),
            rows=[DuesRow(member=person, action=Action.FULL)],
            paid_on=D(2026, 11, 20),
            by=clerk,
        )
        assert dues_points_refresh(year=2026) == 1
        assert entries.get().reason == "2026年4月至6月未交纳党费"


def test_the_upward_report_adds_up(tree, clerk):
    """owed = collected + exempted + outstanding, per branch, per township and in total."""
    with frozen(beijing(2026, 11, 20)):
        full, partial, extra, exempt, unpaid = _with_base(tree, 5, clerk)  # 10.00 a month each
        organ = MemberFactory(branch=tree.organ_a, joined_on=D(2010, 1, 1))
        services.dues_base_set(
            member=organ,
            starts=D(2026, 1, 1),
            category=DuesCategory.WAGE,
            income=M("6000"),
            by=clerk,
        )
        other = MemberFactory(branch=tree.village_b, joined_on=D(2010, 1, 1))
        services.dues_open(month=NOV, root=tree.county)
        services.dues_record(
            month=NOV,
            rows=[
                DuesRow(member=full, action=Action.FULL),
                DuesRow(member=partial, action=Action.AMOUNT, amount=M("4"), note="先交一部分"),
                DuesRow(member=extra, action=Action.AMOUNT, amount=M("30"), note="自愿多交"),
                DuesRow(member=exempt, action=Action.EXEMPT, note="重病", approved_on=NOV),
                DuesRow(member=organ, action=Action.ADVANCE, months=2),
            ],
            paid_on=D(2026, 11, 20),
            by=clerk,
        )
        services.dues_remit(
            from_org=tree.village_a,
            to_org=tree.township_a,
            month_from=NOV,
            month_to=NOV,
            amount=M("30"),
            remitted_on=D(2026, 11, 20),
            by=clerk,
        )
        services.dues_remit(
            from_org=tree.township_a,
            to_org=tree.county,
            month_from=NOV,
            month_to=NOV,
            amount=M("50"),
            remitted_on=D(2026, 11, 20),
            by=clerk,
        )
        with CaptureQueriesContext(connection) as queries:
            township = selectors.dues_report(node=tree.township_a, first=NOV, last=NOV)
        county = selectors.dues_report(node=tree.county, first=NOV, last=NOV)
    village = next(r for r in township.rows if r.org == tree.village_a)
    assert (village.owed, village.collected, village.exempted, village.outstanding) == (
        M("50.00"),
        M("24.00"),
        M("10.00"),
        M("16.00"),
    )
    assert village.extra == M("20.00") and village.advance == 0
    assert village.passed == M("30") and village.to_pass == M("44.00")
    organ_row = next(r for r in township.rows if r.org == tree.organ_a)
    assert (organ_row.owed, organ_row.collected, organ_row.advance) == (
        M("90.00"),
        M("90.00"),
        M("90.00"),
    )
    assert township.total.owed == M("140.00")
    assert township.total.passed == M("50")  # what left the township for the county
    for row in [*township.rows, township.total, *county.rows, county.total]:
        assert row.owed == row.collected + row.exempted + row.outstanding
    a_row = next(r for r in county.rows if r.org == tree.township_a)
    assert a_row.owed == M("140.00") and a_row.passed == M("50")
    b_row = next(r for r in county.rows if r.org == tree.township_b)
    assert b_row.unknown == 1 and b_row.owed == 0 and other.pk
    assert len(queries) <= 6


def test_a_rosters_dues_columns_are_the_opening_position(tree):
    person = member(tree)
    Member.objects.filter(pk=person.pk).update_derived(
        dues_paid_until=D(2026, 6, 1), monthly_dues=M("12.5")
    )
    with frozen(beijing(2026, 11, 20)):
        services.dues_opening_set(member_ids=[person.pk])
        for month in (D(2026, 7, 1), D(2026, 8, 1), D(2026, 9, 1), D(2026, 10, 1), NOV):
            services.dues_open(month=month, root=tree.county)
        listed, _count = selectors.arrears(
            members=Member.objects.filter(pk=person.pk), today=D(2026, 11, 20)
        )
    person.refresh_from_db()
    assert (person.dues_opening, person.dues_paid_until) == (D(2026, 6, 1), D(2026, 6, 1))
    base = person.dues_bases.get()
    assert (base.category, base.amount, base.starts) == (DuesCategory.FIXED, M("12.50"), NOV)
    assert DuesLine.objects.get(member=person, month=NOV).owed == M("12.50")
    assert [(a.member, a.months) for a in listed] == [(person, 4)]  # July to October


def test_the_tallies_the_report_reads_follow_every_write(tree, clerk):
    """Opened, paid, exempted, corrected, repriced, imported: the kept sums always equal a
    fresh count of the lines."""
    with frozen(beijing(2026, 11, 20)):
        a, b, c = _with_base(tree, 3, clerk)
        services.dues_open(month=D(2026, 10, 1), root=tree.county)
        services.dues_record(
            month=D(2026, 10, 1),
            rows=[
                DuesRow(member=a, action=Action.ADVANCE, months=2),
                DuesRow(member=b, action=Action.EXEMPT, note="重病", approved_on=D(2026, 10, 9)),
            ],
            paid_on=D(2026, 10, 10),
            by=clerk,
        )
        services.dues_correct(
            entry=DuesEntry.objects.filter(member=a).first(),
            amount=M("15"),
            note="实收15元",
            by=clerk,
        )
        services.dues_base_set(
            member=c,
            starts=D(2026, 10, 1),
            category=DuesCategory.WAGE,
            income=M("8000"),
            by=clerk,
        )
        kept = sorted(
            DuesTally.objects.values_list(
                "org_id", "month", "owed", "collected", "exempted", "extra", "unknown", "unpaid"
            )
        )
        services.dues_tallies_refresh(months=[D(2026, 10, 1), NOV])
        fresh = sorted(
            DuesTally.objects.values_list(
                "org_id", "month", "owed", "collected", "exempted", "extra", "unknown", "unpaid"
            )
        )
    assert kept == fresh
    october = next(t for t in fresh if t[1] == D(2026, 10, 1))
    # a: 10 owed, 15 paid (5 extra); b: 10 exempted; c: 120 owed, unpaid.
    assert october[2:] == (M("140.00"), M("10.00"), M("10.00"), M("5.00"), 0, 1)
