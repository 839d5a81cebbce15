"""党费 pages: the month's ledger on one form, a member's statement and base, a
correction, the receipt, the yearly review, 上缴, the worklist section and the
upward report with its drill-down and export."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.dues import services
from members.dues.rules import add_months, month_start
from members.dues.services import Action, DuesRow
from members.models import DuesBase, DuesCategory, DuesEntry, DuesLine, DuesRemittance, Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

M = Decimal


def _month() -> datetime.date:
    return month_start(timezone.localdate())


def based(branch, n, income="4000", **fields) -> list[Member]:
    people = [
        MemberFactory(branch=branch, joined_on=datetime.date(2010, 1, 1), **fields)
        for _ in range(n)
    ]
    for person in people:
        services.dues_base_set(
            member=person,
            starts=datetime.date(2025, 1, 1),
            category=DuesCategory.WAGE,
            income=M(income),
        )
    return people


def ledger_url(branch, month=None) -> str:
    return f"{reverse('members:dues_ledger')}?branch={branch.pk}&month={(month or _month()):%Y-%m}"


def test_the_clerk_records_a_month_for_the_branch_on_one_form(tree, clerk_a_client):
    full, other, exempt, untouched = based(tree.village_a, 4)
    page = clerk_a_client.get(ledger_url(tree.village_a)).content.decode()
    assert "乙村党支部" not in page
    assert page.count('<li class="dues-row ') == 4 and "应缴40.00元" in page
    today = timezone.localdate()
    response = clerk_a_client.post(
        ledger_url(tree.village_a),
        {
            "paid_on": today.isoformat(),
            f"action_{full.pk}": Action.FULL,
            f"action_{other.pk}": Action.AMOUNT,
            f"amount_{other.pk}": "50",
            f"note_{other.pk}": "自愿多交",
            f"action_{exempt.pk}": Action.EXEMPT,
            f"note_{exempt.pk}": "重病住院",
            f"approved_{exempt.pk}": today.isoformat(),
        },
    )
    assert response.status_code == 302
    lines = {line.member_id: line for line in DuesLine.objects.filter(month=_month())}
    assert len(lines) == 4  # saving opened the month for the whole branch
    assert (lines[full.pk].paid, lines[other.pk].paid) == (M("40.00"), M("50.00"))
    assert lines[exempt.pk].exempt and lines[untouched.pk].paid == 0
    page = clerk_a_client.get(response["Location"]).content.decode()
    assert "本次登记的收据" in page and page.count("members/dues/receipts/") == 2


def test_a_refused_row_shows_its_message_and_writes_nothing(tree, clerk_a_client):
    (person,) = based(tree.village_a, 1)
    response = clerk_a_client.post(
        ledger_url(tree.village_a),
        {
            "paid_on": timezone.localdate().isoformat(),
            f"action_{person.pk}": Action.AMOUNT,
            f"amount_{person.pk}": "5",
        },
    )
    assert response.status_code == 200
    assert "交纳金额与应缴不同，须填写说明。" in response.content.decode()
    assert not DuesEntry.objects.exists() and not DuesLine.objects.exists()


def test_bad_input_is_a_message_not_an_error(tree, clerk_a_client):
    (person,) = based(tree.village_a, 1)
    response = clerk_a_client.post(
        ledger_url(tree.village_a),
        {"paid_on": "2026-13-45", f"action_{person.pk}": "steal", f"amount_{person.pk}": "x"},
    )
    assert response.status_code == 200 and not DuesEntry.objects.exists()
    assert clerk_a_client.get(f"{reverse('members:dues_ledger')}?branch=abc").status_code == 400
    assert clerk_a_client.get(f"{reverse('members:dues_ledger')}?month=1999-99").status_code == 200


def test_another_townships_branch_member_entry_and_receipt_are_404(tree, clerk_b_client, clerk_a):
    (person,) = based(tree.village_a, 1)
    (receipt,) = services.dues_record(
        month=_month(),
        rows=[DuesRow(member=person, action=Action.FULL)],
        paid_on=timezone.localdate(),
        by=clerk_a,
    )
    entry = DuesEntry.objects.get()
    for url in (
        ledger_url(tree.village_a),
        reverse("members:dues_member", args=[person.pk]),
        reverse("members:dues_correct", args=[entry.pk]),
        reverse("members:dues_receipt", args=[receipt.pk]),
        reverse("reports:dues", args=[tree.township_a.pk]),
        f"{reverse('members:dues_remit')}?org={tree.village_a.pk}",
    ):
        assert clerk_b_client.get(url).status_code == 404, url


def test_the_statement_shows_entries_and_a_new_base_reprices_from_its_month(tree, clerk_a_client):
    (person,) = based(tree.village_a, 1)
    services.dues_open(month=_month(), root=tree.village_a)
    url = reverse("members:dues_member", args=[person.pk])
    response = clerk_a_client.post(
        url, {"starts": _month().strftime("%Y-%m"), "category": DuesCategory.WAGE, "income": "6000"}
    )
    assert response.status_code == 302
    assert DuesLine.objects.get(member=person, month=_month()).owed == M("90.00")
    person.refresh_from_db()
    assert person.monthly_dues == M("90.00")
    page = clerk_a_client.get(url).content.decode()
    assert "90.00" in page and "在职（按工资收入）" in page
    refused = clerk_a_client.post(
        url, {"starts": _month().strftime("%Y-%m"), "category": DuesCategory.WAGE}
    )
    assert "须填写月收入" in refused.content.decode()


def test_a_correction_from_the_statement(tree, clerk_a_client, clerk_a):
    (person,) = based(tree.village_a, 1)
    services.dues_record(
        month=_month(),
        rows=[DuesRow(member=person, action=Action.FULL)],
        paid_on=timezone.localdate(),
        by=clerk_a,
    )
    entry = DuesEntry.objects.get()
    url = reverse("members:dues_correct", args=[entry.pk])
    assert "原记录保留" in clerk_a_client.get(url).content.decode()
    response = clerk_a_client.post(url, {"amount": "45", "note": "实收45元"})
    assert response.status_code == 302
    assert DuesEntry.objects.count() == 2
    assert DuesLine.objects.get(member=person).paid == M("45.00")


def test_the_receipt_prints_on_a4_or_half_a_sheet(tree, clerk_a_client, clerk_a):
    (person,) = based(tree.village_a, 1)
    (receipt,) = services.dues_record(
        month=_month(),
        rows=[DuesRow(member=person, action=Action.ADVANCE, months=3)],
        paid_on=timezone.localdate(),
        by=clerk_a,
    )
    page = clerk_a_client.get(reverse("members:dues_receipt", args=[receipt.pk])).content.decode()
    assert (
        "党 费 收 据" in page and "120.00" in page and page.count('<td class="num">40.00</td>') == 3
    )
    half = clerk_a_client.get(reverse("members:dues_receipt", args=[receipt.pk]) + "?size=half")
    assert 'class="size-half"' in half.content.decode()


def test_the_review_lists_missing_and_year_old_bases(tree, clerk_a_client):
    old = based(tree.village_a, 1)[0]
    fresh = MemberFactory(branch=tree.village_a)
    services.dues_base_set(member=fresh, starts=_month(), category=DuesCategory.STUDENT)
    missing = MemberFactory(branch=tree.village_a)
    page = clerk_a_client.get(reverse("members:dues_review")).content.decode()
    assert old.name in page and missing.name in page and fresh.name not in page


def test_a_branch_passes_its_dues_to_the_township(tree, clerk_a_client):
    url = f"{reverse('members:dues_remit')}?org={tree.village_a.pk}"
    assert "甲镇党委" in clerk_a_client.get(url).content.decode()
    response = clerk_a_client.post(
        url,
        {
            "month_from": "2026-01",
            "month_to": "2026-03",
            "amount": "120.5",
            "remitted_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    remittance = DuesRemittance.objects.get()
    assert (remittance.from_org, remittance.to_org) == (tree.village_a, tree.township_a)


def test_the_worklist_lists_arrears_of_three_and_six_months(tree, clerk_a_client):
    three, six = based(tree.village_a, 2)
    current = _month()
    for person, months in ((three, 3), (six, 6)):
        for n in range(months, 0, -1):
            services.dues_open(month=add_months(current, -n), member_ids=[person.pk])
    page = clerk_a_client.get(reverse("activities:worklist")).content.decode()
    assert f"欠缴党费3个月：{three.name}" in page
    assert f"连续6个月未交纳党费：{six.name}" in page and "视为自行脱党" in page
    assert reverse("members:member_standing", args=[six.pk]) in page


def test_the_report_drills_down_and_exports_the_same_numbers(tree, county_client, clerk_a):
    people = based(tree.village_a, 2)
    services.dues_open(month=_month(), root=tree.county)
    services.dues_record(
        month=_month(),
        rows=[DuesRow(member=people[0], action=Action.FULL)],
        paid_on=timezone.localdate(),
        by=clerk_a,
    )
    year = _month().year
    url = reverse("reports:dues", args=[tree.county.pk]) + f"?year={year}&period={_month().month}"
    page = county_client.get(url).content.decode()
    assert reverse("reports:dues", args=[tree.township_a.pk]) in page
    assert "80.00" in page and "40.00" in page
    township = county_client.get(
        reverse("reports:dues", args=[tree.township_a.pk]) + f"?year={year}&period={_month().month}"
    ).content.decode()
    assert ledger_url(tree.village_a).replace("&", "&amp;") in township
    sheet = load_workbook(io.BytesIO(county_client.get(url + "&format=xlsx").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    total = next(r for r in rows if r[0] == "合计")
    assert (total[1], total[2], total[4]) == (80, 40, 40)
    assert (
        county_client.get(url.replace(f"period={_month().month}", "period=q9")).status_code == 200
    )


def _report_queries(client, node) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("reports:dues", args=[node.pk])).status_code == 200
    return len(queries)


def test_report_and_ledger_query_counts_do_not_grow(tree, county_client, clerk_a_client):
    based(tree.village_a, 2)
    services.dues_open(month=_month(), root=tree.county)
    with CaptureQueriesContext(connection) as few:
        clerk_a_client.get(ledger_url(tree.village_a))
    report_few = _report_queries(county_client, tree.county)
    based(tree.village_a, 20)
    based(tree.village_b, 20)
    services.dues_open(month=_month(), root=tree.county)
    with CaptureQueriesContext(connection) as many:
        clerk_a_client.get(ledger_url(tree.village_a))
    assert len(few) == len(many)
    assert report_few == _report_queries(county_client, tree.county)
    assert DuesBase.objects.count() == 42


def test_six_months_unpaid_opens_the_lapse_step_on_the_standing_page(tree, clerk_a_client):
    five, six = based(tree.village_a, 2)
    current = _month()
    for person, months in ((five, 5), (six, 6)):
        for n in range(months, 0, -1):
            services.dues_open(month=add_months(current, -n), member_ids=[person.pk])
    assert (
        "lapse_dues"
        not in clerk_a_client.get(
            reverse("members:member_standing", args=[five.pk])
        ).content.decode()
    )
    url = reverse("members:member_standing", args=[six.pk])
    assert "连续六个月不交纳党费，视为自行脱党除名" in clerk_a_client.get(url).content.decode()
    today = timezone.localdate().isoformat()
    refused = clerk_a_client.post(url, {"step": "lapse_dues", "on": today}, follow=True)
    assert "请填写支部大会除名决定的文号" in refused.content.decode()
    clerk_a_client.post(
        url, {"step": "lapse_dues", "on": today, "decision_number": "甲村支〔2026〕3号"}
    )
    six.refresh_from_db()
    assert (six.roster_status, six.party_status) == ("lapsed", "lapsed")
    assert "连续6个月不交纳党费" in six.left_reason
    # Five months: the step is not offered, and the service refuses it too.
    response = clerk_a_client.post(
        reverse("members:member_standing", args=[five.pk]),
        {"step": "lapse_dues", "on": today, "decision_number": "x"},
        follow=True,
    )
    assert "这一步不适用于该党员目前的状态" in response.content.decode()


def test_a_month_saved_twice_at_once_is_a_message_not_an_error(tree, clerk_a_client):
    from unittest.mock import patch

    from django.db import IntegrityError

    (person,) = based(tree.village_a, 1)
    with patch("members.dues.services.dues_record", side_effect=IntegrityError("duplicate")):
        response = clerk_a_client.post(
            ledger_url(tree.village_a),
            {"paid_on": timezone.localdate().isoformat(), f"action_{person.pk}": Action.FULL},
            follow=True,
        )
    assert "刚刚已由他人（或重复提交）保存" in response.content.decode()
    assert not DuesLine.objects.exists()  # the month's opening rolled back with it


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_other_dues_pages_run_a_constant_number_of_queries(tree, clerk_a_client, clerk_a):
    """2 against 20: months on the statement and the receipt, members to review,
    remittances on the 上缴 page."""
    counts = []
    for n, months in ((2, 2), (20, 12)):  # an advance covers twelve months at most
        person = based(tree.village_a, 1)[0]
        MemberFactory.create_batch(n, branch=tree.village_a)  # no base: to review
        (receipt,) = services.dues_record(
            month=_month(),
            rows=[DuesRow(member=person, action=Action.ADVANCE, months=months)],
            paid_on=timezone.localdate(),
            by=clerk_a,
        )
        for _ in range(n):
            services.dues_remit(
                from_org=tree.village_a,
                to_org=tree.township_a,
                month_from=_month(),
                month_to=_month(),
                amount=M("1"),
                remitted_on=timezone.localdate(),
                by=clerk_a,
            )
        entry = DuesEntry.objects.filter(receipt=receipt).first()
        counts.append(
            [
                _queries(clerk_a_client, url)
                for url in (
                    reverse("members:dues_member", args=[person.pk]),
                    reverse("members:dues_receipt", args=[receipt.pk]),
                    reverse("members:dues_correct", args=[entry.pk]),
                    reverse("members:dues_review"),
                    f"{reverse('members:dues_remit')}?org={tree.village_a.pk}",
                    reverse("members:dues_import"),
                )
            ]
        )
    assert counts[0] == counts[1]
