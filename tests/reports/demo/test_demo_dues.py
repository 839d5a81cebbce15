"""The demo's 党费: a base for every member, a ledger whose lines, receipts and members'
positions agree with the entries as the services keep them, believable arrears, the
derived 欠缴党费 deductions, and remittances upward."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from activities.models import EntryStatus, PointEntry, PointSource
from branches.models import Organization, OrgKind, User
from members.choices import MembershipReason, RosterStatus
from members.dues.rules import month_start
from members.dues.selectors import arrears_months, bases_to_review, dues_report
from members.dues.services import dues_positions_refresh, dues_tallies_refresh, owing_q
from members.models import (
    DuesBase,
    DuesEntry,
    DuesLine,
    DuesReceipt,
    DuesRemittance,
    DuesTally,
    EntryKind,
    Member,
    Membership,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 30)
POSITIONS = ("pk", "monthly_dues", "dues_paid_until", "dues_opening")


def _owing():
    return Member.objects.filter(owing_q(month_start(TODAY)))


def test_every_member_on_the_roster_has_a_base_but_todays_arrivals(demo):
    without = Member.objects.filter(roster_status=RosterStatus.ACTIVE, dues_bases__isnull=True)
    arrived = Membership.objects.filter(
        started_on=TODAY, start_reason=MembershipReason.TRANSFER_IN
    ).values_list("member_id", flat=True)
    assert set(without.values_list("pk", flat=True)) == set(arrived)
    # The yearly review lists them, and the bases a year old.
    review = set(bases_to_review(members=Member.objects.all(), today=TODAY))
    assert set(without) <= review and len(review) > len(set(without))
    categories = set(DuesBase.objects.values_list("category", flat=True))
    assert {"wage", "pension", "farmer"} <= categories


def test_its_arrears_are_believable(demo):
    owing = list(_owing().values_list("dues_paid_until", flat=True))
    late = [arrears_months(until, TODAY) for until in owing]
    share = sum(months >= 3 for months in late) / len(owing)
    assert 0.01 <= share <= 0.06
    assert sum(months == 0 for months in late) / len(owing) > 0.7
    # Each run of three closed months unpaid costs the derived deduction, never a manual one.
    deductions = PointEntry.objects.filter(source=PointSource.DUES_ARREARS)
    assert deductions.exists()
    assert not deductions.exclude(status=EntryStatus.AUTO).exists()


def test_its_lines_receipts_and_positions_agree_with_the_entries(demo):
    sums = (
        DuesEntry.objects.exclude(kind=EntryKind.EXEMPT)
        .values("member_id", "month")
        .annotate(total=Sum("amount"))
        .values_list("member_id", "month", "total")
        .order_by()
    )
    paid = {(member_id, month): total for member_id, month, total in sums}
    exempt = set(DuesEntry.objects.filter(kind=EntryKind.EXEMPT).values_list("member_id", "month"))
    lines = list(DuesLine.objects.values_list("member_id", "month", "paid", "exempt"))
    assert len(lines) > 500
    for member_id, month, line_paid, line_exempt in lines:
        assert line_paid == paid.get((member_id, month), Decimal("0"))
        assert line_exempt == ((member_id, month) in exempt)
    for receipt in DuesReceipt.objects.annotate(sum=Sum("entries__amount")):
        assert receipt.total == receipt.sum
    assert DuesEntry.objects.filter(kind=EntryKind.CORRECT).count() == 2
    before = set(Member.objects.values_list(*POSITIONS))
    dues_positions_refresh(member_ids=Member.objects.values_list("pk", flat=True))
    assert set(Member.objects.values_list(*POSITIONS)) == before
    # The report's kept sums are those of the lines, bulk-written and showcase alike.
    fields = ("org_id", "month", "owed", "collected", "exempted", "extra", "unknown", "unpaid")
    kept = sorted(DuesTally.objects.values_list(*fields))
    dues_tallies_refresh(months=DuesLine.objects.values_list("month", flat=True).distinct())
    assert sorted(DuesTally.objects.values_list(*fields)) == kept


def test_the_county_report_adds_up_and_the_dues_were_passed_upward(demo):
    county = Organization.objects.get(kind=OrgKind.COUNTY)
    report = dues_report(
        node=county, first=datetime.date(2026, 1, 1), last=datetime.date(2026, 12, 1)
    )
    for row in [*report.rows, report.total]:
        assert row.owed == row.collected + row.exempted + row.outstanding
    total = report.total
    assert total.collected > 0 and total.outstanding > 0 and total.unknown == 0
    assert 0.9 < total.collected / total.owed < 1
    townships = Organization.objects.filter(kind=OrgKind.TOWNSHIP)
    to_townships = DuesRemittance.objects.filter(to_org__in=townships)
    to_county = DuesRemittance.objects.filter(to_org=county)
    assert to_townships.count() > 20 and to_county.exists()
    # The first township's went through the service, entered by its clerk.
    assert to_county.filter(entered_by=User.objects.get(username="clerk_a")).exists()
