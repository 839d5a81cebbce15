"""结对帮扶: the services and their refusals, the derived 结对帮扶走访 points replacing the
manual rule from 2026, the scoped list (export, print), the phone form, a pairing's
steps, and the yearly summary with exact figures and its query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from activities.ledgers.pairs import services
from activities.ledgers.pairs.selectors import pair_summary, pair_totals
from activities.models import (
    EntryStatus,
    Pairing,
    PairingVisit,
    PointEntry,
    PointRule,
    PointSource,
)
from activities.points.ledgers import pairing_visit_points_refresh
from activities.points.services import point_entry_create, point_entry_errors, points_recompute
from members.choices import RosterStatus
from members.services import member_leave
from tests.concurrency import at_once, restore_roles
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
NOW = beijing(2026, 9, 15)
LIST = "activities:pair_list"
STARTED, VISITED = D(2026, 3, 1), D(2026, 4, 1)


@pytest.fixture(autouse=True)
def september():
    with frozen(NOW):
        yield


def pair(branch, by, *, member=None, unit="", kind="household", name="王秀英", on=STARTED):
    return services.pairing_create(
        org=branch,
        member=member,
        helper_unit=unit,
        partner_kind=kind,
        partner_name=name,
        address="甲村三组12号" if kind == "household" else "",
        difficulty="illness" if kind == "household" else "",
        started_on=on,
        by=by,
    )


def visit(pairing, by, *, on=VISITED, text="走访慰问，送去米油", kind="call"):
    return services.visit_record(
        pairing=pairing, visited_on=on, kind=kind, help_given=text, value_note="", by=by
    )


def visit_points(member) -> list[tuple]:
    return list(
        PointEntry.objects.filter(member=member, source=PointSource.PAIRING_VISIT)
        .order_by("date", "pk")
        .values_list("year", "date", "points", "org_id", "status", "reason")
    )


# --- Services ----------------------------------------------------------------------------


def test_a_pairing_is_made_visited_and_ended(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    pairing = pair(tree.village_a, clerk_a, member=member)
    done = visit(pairing, clerk_a)
    services.pairing_end(pairing=pairing, ended_on=D(2026, 6, 30), by=clerk_a)
    pairing.refresh_from_db()
    assert (pairing.org, pairing.member, pairing.helper_unit) == (tree.village_a, member, "")
    assert (pairing.partner_kind, pairing.difficulty, pairing.ended_on) == (
        "household",
        "illness",
        D(2026, 6, 30),
    )
    assert (done.pairing, done.visited_on, done.recorded_by) == (pairing, VISITED, clerk_a)
    unit = pair(tree.village_a, clerk_a, unit=" 县财政局 ", kind="village", name="甲村")
    assert (unit.member, unit.helper_unit, unit.difficulty, unit.helper) == (
        None,
        "县财政局",
        "",
        "县财政局",
    )


def departed(**place):
    member = MemberFactory(**place)
    return member_leave(
        member=member, status=RosterStatus.DECEASED, on=D(2026, 1, 5), reason="病故"
    )


def test_it_refuses_a_pairing_that_cannot_be(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    cases = [
        ({"org": tree.township_a, "member": None, "unit": "县财政局"}, "不是在册的党支部"),
        ({"org": tree.village_a, "member": None, "unit": ""}, "请选择帮扶党员，或填写帮扶单位"),
        ({"org": tree.village_a, "member": member, "unit": "县财政局"}, "只填一项"),
        (
            {"org": tree.village_a, "member": MemberFactory(branch=tree.organ_a, name="机关党员")},
            "机关党员不是甲村党支部在册的党员",
        ),
        ({"org": tree.village_a, "member": departed(branch=tree.village_a)}, "在册的党员"),
        ({"org": tree.village_a, "member": member, "on": D(2026, 9, 16)}, "结对日期不能晚于今天"),
        ({"org": tree.village_a, "member": member, "name": "  "}, "请填写帮扶对象"),
    ]
    for kwargs, message in cases:
        org = kwargs.pop("org")
        with pytest.raises(ValidationError, match=message):
            pair(org, clerk_a, **kwargs)
    with pytest.raises(ValidationError, match="困难户请选择困难类型"):
        services.pairing_create(
            org=tree.village_a,
            member=member,
            helper_unit="",
            partner_kind="household",
            partner_name="王秀英",
            address="",
            difficulty="",
            started_on=STARTED,
            by=clerk_a,
        )
    assert not Pairing.objects.exists()


def test_it_refuses_a_visit_or_an_end_outside_the_pairing(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    pairing = pair(tree.village_a, clerk_a, member=member)
    refusals = [
        (D(2026, 2, 28), "送米油", "走访日期不能早于结对日期（2026年3月1日）"),
        (D(2026, 9, 16), "送米油", "走访日期不能晚于今天"),
        (D(2026, 4, 1), "  ", "请填写帮扶内容"),
    ]
    for on, text, message in refusals:
        with pytest.raises(ValidationError, match=message):
            visit(pairing, clerk_a, on=on, text=text)
    visit(pairing, clerk_a, on=D(2026, 6, 1))
    with pytest.raises(ValidationError, match="2026年6月1日还有走访记录"):
        services.pairing_end(pairing=pairing, ended_on=D(2026, 5, 31), by=clerk_a)
    with pytest.raises(ValidationError, match="结束日期不能早于结对日期"):
        services.pairing_end(pairing=pairing, ended_on=D(2026, 2, 1), by=clerk_a)
    with pytest.raises(ValidationError, match="结束日期不能晚于今天"):
        services.pairing_end(pairing=pairing, ended_on=D(2026, 9, 16), by=clerk_a)
    services.pairing_end(pairing=pairing, ended_on=D(2026, 6, 30), by=clerk_a)
    with pytest.raises(ValidationError, match="走访日期不能晚于结对结束日期（2026年6月30日）"):
        visit(pairing, clerk_a, on=D(2026, 7, 1))
    with pytest.raises(ValidationError, match="已于2026年6月30日结束"):
        services.pairing_end(pairing=pairing, ended_on=D(2026, 7, 1), by=clerk_a)
    pairing.refresh_from_db()
    assert pairing.ended_on == D(2026, 6, 30) and PairingVisit.objects.count() == 1
    assert len(visit_points(member)) == 1


@pytest.fixture
def roles(transactional_db):
    """The roles an earlier transactional test's flush dropped, back before the cast."""
    restore_roles()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_visit_and_an_end_at_once_never_leave_the_visit_outside(roles, tree, clerk_a):
    # Without the pairing's row held, each sees the other not yet done and both save.
    rounds = [pair(tree.village_a, clerk_a, unit="县财政局", name=f"户{n}") for n in range(6)]
    for pairing in rounds:
        results = at_once(
            lambda p=pairing: services.pairing_end(pairing=p, ended_on=D(2026, 6, 30), by=clerk_a),
            lambda p=pairing: visit(Pairing.objects.get(pk=p.pk), clerk_a, on=D(2026, 7, 5)),
        )
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(refused) == 1, results
        pairing.refresh_from_db()
        assert (
            pairing.ended_on is None
            or not pairing.visits.filter(visited_on__gt=pairing.ended_on).exists()
        )


# --- Derived points ------------------------------------------------------------------------


def test_each_visit_of_a_member_earns_a_point_and_recomputing_changes_nothing(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    pairing = pair(tree.village_a, clerk_a, member=member)
    visit(pairing, clerk_a, on=D(2026, 4, 1), text="走访慰问")
    visit(pairing, clerk_a, on=D(2026, 5, 1), text="帮办医保报销", kind="policy")
    # A unit's visits earn nobody points.
    visit(pair(tree.village_a, clerk_a, unit="县财政局", kind="village", name="甲村"), clerk_a)
    expected = [
        (
            2026,
            D(2026, 4, 1),
            1,
            tree.village_a.pk,
            EntryStatus.AUTO,
            "结对帮扶走访：王秀英：走访慰问",
        ),
        (
            2026,
            D(2026, 5, 1),
            1,
            tree.village_a.pk,
            EntryStatus.AUTO,
            "结对帮扶走访：王秀英：帮办医保报销",
        ),
    ]
    assert visit_points(member) == expected
    points_recompute(year=2026)
    assert visit_points(member) == expected
    points_recompute(year=2026)
    assert visit_points(member) == expected
    assert pairing_visit_points_refresh(year=2026) == 2
    assert visit_points(member) == expected
    assert PointEntry.objects.filter(source=PointSource.PAIRING_VISIT).count() == 2


def test_the_statement_counts_the_visits_within_the_yearly_cap(tree, clerk_a, clerk_a_client):
    member = MemberFactory(group=tree.group_a1)
    pairing = pair(tree.village_a, clerk_a, member=member)
    for day in range(12):
        visit(pairing, clerk_a, on=D(2026, 4, 1) + datetime.timedelta(days=day), text=f"走访{day}")
    page = clerk_a_client.get(
        reverse("activities:points_statement", args=[member.pk]), {"year": 2026}
    ).content.decode()
    assert page.count("结对帮扶走访：王秀英：走访") == 12
    # 12 × 1 point, capped at 10 by the rule of 2026.
    assert '<td>结对帮扶走访</td><td class="num">12.0</td><td class="num">10.0</td>' in page


def test_the_manual_rule_is_replaced_from_2026_and_2025_entries_stay(tree, clerk_a, county_user):
    manual = PointRule.objects.get(source=PointSource.PAIRING)
    derived = PointRule.objects.get(source=PointSource.PAIRING_VISIT)
    assert (manual.valid_to, derived.valid_from) == (D(2025, 12, 31), D(2026, 1, 1))
    assert (derived.points, derived.yearly_cap, derived.valid_to) == (1, 10, None)
    # A manual 结对帮扶 entry of 2026 is refused: the ledger's visits count instead.
    errors = point_entry_errors(
        source=PointSource.PAIRING, date=D(2026, 3, 1), points=None, reason="结对帮扶困难户"
    )
    assert errors == {"source": "2026年度没有「结对帮扶」的积分规则。"}
    member = MemberFactory(group=tree.group_a1)
    with pytest.raises(ValidationError, match="2026年度没有"):
        point_entry_create(
            member=member,
            source=PointSource.PAIRING,
            date=D(2026, 3, 1),
            points=None,
            reason="结对帮扶困难户",
            by=clerk_a,
        )
    # One of 2025 is still entered, approved, and kept by a recompute of 2025.
    entry = point_entry_create(
        member=member,
        source=PointSource.PAIRING,
        date=D(2025, 6, 1),
        points=None,
        reason="结对帮扶困难户",
        by=clerk_a,
    )
    PointEntry.objects.filter(pk=entry.pk).update(
        status=EntryStatus.APPROVED, decided_by=county_user, decided_at=NOW
    )
    points_recompute(year=2025)
    kept = PointEntry.objects.filter(member=member).values_list(
        "year", "source", "points", "status"
    )
    assert list(kept) == [(2025, PointSource.PAIRING, 5, EntryStatus.APPROVED)]
    # A 2025 visit earns nothing: the derived rule starts in 2026.
    pairing = pair(tree.village_a, clerk_a, member=member, on=D(2025, 2, 1))
    visit(pairing, clerk_a, on=D(2025, 7, 1))
    assert visit_points(member) == []


# --- Pages ---------------------------------------------------------------------------------


def test_the_list_is_scoped_with_the_years_visits(tree, clerk_a, clerk_b, clerk_a_client):
    pairing = pair(
        tree.village_a, clerk_a, member=MemberFactory(group=tree.group_a1, name="张爱民")
    )
    visit(pairing, clerk_a, on=D(2026, 4, 1))
    visit(pairing, clerk_a, on=D(2026, 5, 1))
    pair(tree.village_a, clerk_a, unit="县财政局", kind="village", name="甲村")
    other = pair(tree.village_b, clerk_b, unit="县农业农村局", kind="village", name="乙村")
    ended = pair(
        tree.village_a, clerk_a, member=None, unit="县水利局", name="去年户", on=D(2024, 1, 1)
    )
    services.pairing_end(pairing=ended, ended_on=D(2025, 12, 31), by=clerk_a)
    page = clerk_a_client.get(reverse(LIST)).content.decode()
    assert "县财政局<small>（单位）</small>" in page and "县农业农村局" not in page
    assert "去年户" not in page
    row = page[page.index(f'data-pairing="{pairing.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "张爱民" in row and "王秀英" in row and "因病" in row
    assert '<td class="num">2</td>' in row
    last_year = clerk_a_client.get(reverse(LIST), {"year": 2025}).content.decode()
    assert "去年户" in last_year and "张爱民" not in last_year
    # Another township's pairing, and another township as the filter, do not exist.
    detail = reverse("activities:pair_detail", args=[other.pk])
    assert clerk_a_client.get(detail).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": tree.township_b.pk}).status_code == 404
    assert clerk_a_client.get(reverse(LIST), {"org": "x"}).status_code == 400


def test_the_export_holds_the_list_rows(tree, clerk_a, clerk_a_client):
    pairing = pair(
        tree.village_a, clerk_a, member=MemberFactory(group=tree.group_a1, name="张爱民")
    )
    visit(pairing, clerk_a)
    visit(pairing, clerk_a, on=D(2026, 5, 1))
    response = clerk_a_client.get(reverse(LIST), {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "甲镇党委2026年结对帮扶登记表"
    assert rows[1] == (
        "党组织",
        "帮扶人",
        "帮扶对象类别",
        "帮扶对象",
        "住址",
        "困难类型",
        "结对日期",
        "结束日期",
        "走访（次）",
    )
    assert rows[2][:6] == (
        "甲镇党委/甲村党支部",
        "张爱民",
        "困难户",
        "王秀英",
        "甲村三组12号",
        "因病",
    )
    assert rows[2][6].date() == STARTED and rows[2][7] is None and rows[2][8] == 2
    assert len(rows) == 3


def test_the_printed_list_is_the_paper_ledger(tree, clerk_a, clerk_a_client):
    pair(tree.village_a, clerk_a, unit="县财政局", kind="village", name="甲村")
    page = clerk_a_client.get(reverse(LIST), {"org": tree.village_a.pk}).content.decode()
    assert "<h1>甲村党支部2026年结对帮扶登记表</h1>" in page
    assert 'class="print-only signature">党支部书记（签字）' in page
    assert "结对帮扶</a>" in page  # the ledgers' tab


def test_the_form_picks_a_branch_then_records_the_pairing(tree, clerk_a_client):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    add = reverse("activities:pair_add")
    picker = clerk_a_client.get(add).content.decode()
    assert f"?branch={tree.village_a.pk}" in picker and f"?branch={tree.village_b.pk}" not in picker
    assert "登记结对</a>" in picker
    form = clerk_a_client.get(add, {"branch": tree.village_a.pk}).content.decode()
    # One column of native inputs: the phone's date picker and keyboard.
    assert 'class="activity-form"' in form and 'type="date"' in form and "张爱民" in form
    assert clerk_a_client.get(add, {"branch": tree.village_b.pk}).status_code == 404
    data = {
        "member": member.pk,
        "helper_unit": "",
        "partner_kind": "household",
        "partner_name": "王秀英",
        "address": "甲村三组12号",
        "difficulty": "elderly",
        "started_on": "2026-03-01",
    }
    url = f"{add}?branch={tree.village_a.pk}"
    refused = clerk_a_client.post(url, {**data, "difficulty": ""})
    assert refused.status_code == 400 and "困难户请选择困难类型" in refused.content.decode()
    both = clerk_a_client.post(url, {**data, "helper_unit": "县财政局"})
    assert both.status_code == 400 and "只填一项" in both.content.decode()
    assert not Pairing.objects.exists()
    response = clerk_a_client.post(url, data)
    pairing = Pairing.objects.get()
    assert response.url == reverse("activities:pair_detail", args=[pairing.pk])
    assert (pairing.org, pairing.member, pairing.difficulty) == (tree.village_a, member, "elderly")


def test_the_pairing_page_records_each_step_and_refuses_bad_input(
    tree, clerk_a, clerk_a_client, secretary_a_client
):
    member = MemberFactory(group=tree.group_a1, name="张爱民")
    pairing = pair(tree.village_a, clerk_a, member=member)
    url = reverse("activities:pair_detail", args=[pairing.pk])
    page = clerk_a_client.get(url).content.decode()
    assert "张爱民" in page and 'type="date"' in page and 'id="step-end"' in page
    assert secretary_a_client.get(url).status_code == 200
    data = {"step": "visit", "visited_on": "2026-04-01", "kind": "goods", "help_given": "送米油"}
    assert secretary_a_client.post(url, data).status_code == 403
    bad = clerk_a_client.post(url, {**data, "visited_on": "2026-01-01"})
    assert bad.status_code == 400 and 'id="step-visit" open' in bad.content.decode()
    assert "走访日期不能早于结对日期" in bad.content.decode()
    assert clerk_a_client.post(url, {**data, "kind": "nonsense"}).status_code == 400
    assert clerk_a_client.post(url, {"step": "nonsense"}).status_code == 400
    assert not PairingVisit.objects.exists()
    assert clerk_a_client.post(url, {**data, "value_note": "约200元"}).status_code == 302
    end = {"step": "end", "ended_on": "2026-03-31"}
    assert clerk_a_client.post(url, end).status_code == 400
    assert clerk_a_client.post(url, {**end, "ended_on": "2026-06-30"}).status_code == 302
    page = clerk_a_client.get(url).content.decode()
    assert "<td>送米油</td><td>约200元</td>" in page and "2026-06-30" in page
    assert 'id="step-end"' not in page  # ended: nothing left to end
    assert len(visit_points(member)) == 1


# --- The yearly summary ------------------------------------------------------------------------


def test_the_township_summary_gives_exact_figures_by_branch(tree, clerk_a):
    one, two = MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a2)
    first = pair(tree.village_a, clerk_a, member=one, name="王秀英")
    second = pair(tree.village_a, clerk_a, member=one, name="李大山")
    third = pair(tree.village_a, clerk_a, member=two, name="赵老汉")
    unit = pair(tree.village_a, clerk_a, unit="县财政局", kind="village", name="甲村")
    visit(first, clerk_a)
    visit(first, clerk_a, on=D(2026, 5, 1))
    visit(second, clerk_a)
    visit(unit, clerk_a)
    visit(third, clerk_a, on=D(2025, 12, 1) + datetime.timedelta(days=130))  # 2026-04-10
    # 机关: a pairing visited only last year, and one that ended last year.
    old = pair(
        tree.organ_a, clerk_a, unit="县水利局", kind="village", name="丙村", on=D(2025, 1, 1)
    )
    visit(old, clerk_a, on=D(2025, 6, 1))
    ended = pair(tree.organ_a, clerk_a, unit="县水利局", name="钱某", on=D(2024, 1, 1))
    services.pairing_end(pairing=ended, ended_on=D(2025, 6, 30), by=clerk_a)
    summary = pair_summary(node=tree.township_a, year=2026)
    village, organ = summary.rows
    assert village.org == tree.village_a and organ.org == tree.organ_a
    figures = ("pairings", "members", "households", "villages", "visits", "unvisited")

    def of(row):
        return tuple(row.values[k] for k in figures)

    # 甲村: four pairings, two members, three households, one village, five visits.
    assert of(village) == (4, 2, 3, 1, 5, 0)
    # 机关: only 丙村 runs in 2026, and it has no visit this year.
    assert of(organ) == (1, 0, 0, 1, 0, 1)
    assert of(summary.total) == (5, 2, 3, 2, 5, 1)
    county = pair_summary(node=tree.county, year=2026)
    assert [of(r) for r in county.rows][1] == (0, 0, 0, 0, 0, 0)
    # The 数据摘要 counts as the summary does.
    assert pair_totals(node=tree.township_a, year=2026) == {"pairings": 5, "visits": 5}
    assert pair_totals(node=tree.township_b, year=2026) == {"pairings": 0, "visits": 0}
    assert pair_totals(node=tree.county, year=2025) == {"pairings": 2, "visits": 1}


@pytest.mark.parametrize("n", [2, 20])
def test_the_summary_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        member = MemberFactory(group=GroupFactory(parent=branch))
        visit(pair(branch, clerk_a, member=member), clerk_a)
    url = reverse("activities:pair_summary", args=[tree.county.pk])
    # Session, user, permissions (two), the node, the sums by child of pairings and of
    # visits, the children, the breadcrumb, and the session's save (savepoint, update,
    # release).
    with django_assert_max_num_queries(12):
        response = county_client.get(url, {"year": 2026})
    assert f">{n}</td>" in response.content.decode()
    township = reverse("activities:pair_summary", args=[tree.township_a.pk])
    with django_assert_max_num_queries(12):
        response = county_client.get(township, {"year": 2026})
    assert response.content.decode().count("ledgers/pairs/summary/") >= n


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_reads_a_fixed_number_of_queries(
    tree, clerk_a, county_client, n, django_assert_max_num_queries
):
    for _ in range(n):
        branch = BranchFactory(parent=tree.township_a)
        member = MemberFactory(group=GroupFactory(parent=branch))
        visit(pair(branch, clerk_a, member=member), clerk_a)
    # Session, user, permissions (two), the picker's nodes, the count, the page of
    # pairings with their branches, members and visit counts, the labels, and the
    # session's save.
    with django_assert_max_num_queries(11):
        response = county_client.get(reverse(LIST))
    assert response.content.decode().count("data-pairing=") == n


@pytest.mark.parametrize("n", [2, 20])
def test_the_pairing_page_reads_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_max_num_queries
):
    pairing = pair(tree.village_a, clerk_a, member=MemberFactory(branch=tree.village_a))
    for _ in range(n):
        visit(pairing, clerk_a)
    # Session, user, permissions (two), the pairing with its branch and helper, its
    # visits, the steps' forms, the label, and the session's save (savepoint, update,
    # release): ten for 2 visits as for 20.
    with django_assert_max_num_queries(10):
        response = clerk_a_client.get(reverse("activities:pair_detail", args=[pairing.pk]))
    assert response.content.decode().count("走访慰问，送去米油") == n
