"""A general branch (党总支) logs its own meetings like a branch: its members' meeting
expects the members of its branches, its committee its post holders, and its cadence
rules show on the worklist and in the compliance report."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities.models import ActivityKind, CadenceRule, Period
from activities.selectors import worklist
from branches.models import OrgKind, PostTitle
from branches.services import post_assign
from reports import selectors as reports
from tests.conftest import logged_in
from tests.factories import BranchFactory, GeneralBranchFactory, GroupFactory, MemberFactory
from tests.helpers import beijing, frozen, log_meeting
from tests.test_english_walk import english_words

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 5, 20)
GENERAL_MEETING, COMMITTEE = ActivityKind.GENERAL_MEETING, ActivityKind.COMMITTEE


@pytest.fixture
def general(tree):
    """甲镇 · 丙村党总支 with two branches (one with a group), three members each side."""
    general = GeneralBranchFactory(parent=tree.township_a, name="丙村党总支", code="A-GB")
    east = BranchFactory(parent=general, name="丙村东党支部", code="A-GB-E")
    west = BranchFactory(parent=general, name="丙村西党支部", code="A-GB-W")
    group = GroupFactory(parent=east, name="丙村东第一党小组", code="A-GB-E-G1")
    members = [MemberFactory(group=group) for _ in range(2)] + [MemberFactory(branch=west)]
    for member, title in zip(
        members, (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY), strict=True
    ):
        post_assign(org=general, member=member, title=title, started_on=D(2025, 1, 1))
    MemberFactory(branch=tree.organ_a)  # another branch of the township: not theirs
    return general, east, west, members


@pytest.fixture
def monthly_committee():
    """No cadence is given for 党总支 by default: a county adds its own, as here."""
    return CadenceRule.objects.create(
        kind=COMMITTEE,
        org_kind=OrgKind.GENERAL_BRANCH,
        period=Period.MONTH,
        times=1,
        valid_from=D(2026, 1, 1),
    )


def test_it_expects_the_members_of_its_branches_at_its_general_meeting(tree, clerk, general):
    org, _east, _west, members = general

    activity = log_meeting(org=org, kind=GENERAL_MEETING, held_on=D(2026, 5, 8), by=clerk)

    assert set(activity.attendance.values_list("member", flat=True)) == {m.pk for m in members}
    assert (activity.expected_count, activity.quorate) == (3, True)


def test_it_expects_its_own_committee_at_a_committee_meeting(tree, clerk, general):
    org, east, _west, members = general
    post_assign(
        org=east,
        member=MemberFactory(branch=east),
        title=PostTitle.SECRETARY,
        started_on=D(2025, 1, 1),
    )

    activity = log_meeting(org=org, kind=COMMITTEE, held_on=D(2026, 5, 8), by=clerk)

    assert set(activity.attendance.values_list("member", flat=True)) == {m.pk for m in members}


def test_it_refuses_a_kind_a_general_branch_does_not_hold(tree, clerk, general):
    org = general[0]

    with pytest.raises(ValidationError) as refused:
        log_meeting(org=org, kind=ActivityKind.THEME_DAY, held_on=D(2026, 5, 8), by=clerk)

    assert refused.value.message_dict["kind"] == ["党总支不能登记「主题党日」。"]


def test_it_shows_what_a_general_branch_owes_on_the_worklist(
    tree, clerk, general, monthly_committee
):
    org = general[0]
    log_meeting(org=org, kind=COMMITTEE, held_on=D(2026, 4, 8), by=clerk)

    work = worklist(user=clerk, root=tree.township_a, today=TODAY)

    block = next(b for b in work.current if b.branch == org)  # under itself, not the township
    assert [(i.org, i.kind, i.period_label) for i in block.items] == [(org, COMMITTEE, "2026年5月")]
    gaps = {(g.org, g.period_label) for g in work.gaps if g.kind == COMMITTEE}
    assert gaps == {(org, f"2026年{m}月") for m in (1, 2, 3)}


def test_it_counts_a_general_branchs_meetings_in_the_compliance_report(
    tree, clerk, general, monthly_committee
):
    org = general[0]
    log_meeting(org=org, kind=COMMITTEE, held_on=D(2026, 4, 8), by=clerk)

    township = reports.compliance(node=tree.township_a, year=2026, today=TODAY, by="month")
    own = reports.compliance(node=org, year=2026, today=TODAY, by="month")

    row = next(r for r in township.children if r.org == org)
    assert row.kinds[COMMITTEE].done == 1
    assert row.kinds[COMMITTEE].due == 4  # January to April; its branches have no committee
    own_row = next(r for r in own.children if r.label)
    assert own_row.label == "丙村党总支（本级）"
    assert (own_row.total.done, own_row.total.due, own_row.total.open_due) == (1, 4, 1)


def test_it_offers_the_log_form_for_a_general_branch(tree, clerk, general):
    org, _east, _west, members = general
    client = logged_in(clerk)
    url = reverse("activities:activity_log") + f"?org={org.pk}&kind={GENERAL_MEETING}"
    data = {"held_on": "2026-05-08", "topic": "学习党章"}
    data.update({f"status_{m.pk}": "present" for m in members})

    with frozen(beijing(2026, 5, 20)):
        form = client.get(url)
        saved = client.post(url, data)

    kinds = [value for value, _label in form.context["kinds"]]
    assert kinds == ["general_meeting", "committee", "lesson", "other"]
    assert saved.status_code == 302
    assert org.activities.get().expected_count == 3


def _general_branches(tree, clerk, n):
    """*n* general branches with a committee and a member's meeting logged in May."""
    for i in range(n):
        org = GeneralBranchFactory(parent=tree.township_a, name=f"新{i}党总支", code=f"GB{i}")
        branch = BranchFactory(parent=org, name=f"新{i}村党支部", code=f"GB{i}-V")
        members = [MemberFactory(branch=branch) for _ in range(3)]
        for member, title in zip(
            members, (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY), strict=True
        ):
            post_assign(org=org, member=member, title=title, started_on=D(2025, 1, 1))
        log_meeting(org=org, kind=GENERAL_MEETING, held_on=D(2026, 5, 8), by=clerk)


@pytest.mark.parametrize("n", [2, 20])
def test_it_shows_general_branches_in_a_constant_number_of_queries(
    tree, clerk, monthly_committee, n, django_assert_num_queries
):
    _general_branches(tree, clerk, n)
    client = logged_in(clerk)
    worklist_url = reverse("activities:worklist")
    report_url = reverse("reports:compliance", args=[tree.township_a.pk])
    with frozen(beijing(2026, 5, 20)):
        client.get(worklist_url)  # warm the content-type cache
        # As tests/activities/test_views.py counts the worklist (25, with 换届,
        # 软弱涣散, 民情日志 and 远程教育站点) and tests/reports/test_compliance_and_stars.py the report (17, with
        # the organisations' marks): general branches add no query, however many.
        with django_assert_num_queries(25):
            work = client.get(worklist_url)
        with django_assert_num_queries(17):
            report = client.get(report_url, {"year": 2026})

    committees = [i for b in work.context["work"].current for i in b.items if i.kind == COMMITTEE]
    assert len(committees) == n
    rows = [r for r in report.context["data"].children if r.org.kind == OrgKind.GENERAL_BRANCH]
    assert len(rows) == n
    for page in (work, report):
        words = {word for word, _where in english_words(page.content.decode())}
        assert words <= {clerk.username}  # the account's name in the header is data
