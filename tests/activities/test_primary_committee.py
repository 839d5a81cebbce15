"""A 基层党委 (a village's 党委 under a township) logs its own meetings as a 党总支 does:
its members' meeting expects the members of the branches under it, and its cadence
rules show on the worklist and in the compliance report."""

from __future__ import annotations

import datetime

import pytest

from activities.models import ActivityKind, CadenceRule, Period
from activities.selectors import worklist
from branches.models import OrgKind, PostTitle
from branches.services import post_assign
from reports import selectors as reports
from tests.factories import BranchFactory, MemberFactory, PrimaryCommitteeFactory
from tests.helpers import log_meeting

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 5, 20)
GENERAL_MEETING, COMMITTEE = ActivityKind.GENERAL_MEETING, ActivityKind.COMMITTEE


@pytest.fixture
def committee(tree):
    """甲镇 · 青山村党委 with two branches, its committee of three."""
    org = PrimaryCommitteeFactory(parent=tree.township_a, name="青山村党委", code="A-PC")
    east = BranchFactory(parent=org, name="青山村东党支部", code="A-PC-E")
    west = BranchFactory(parent=org, name="青山村西党支部", code="A-PC-W")
    members = [MemberFactory(branch=east), MemberFactory(branch=east), MemberFactory(branch=west)]
    for member, title in zip(
        members, (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY), strict=True
    ):
        post_assign(org=org, member=member, title=title, started_on=D(2025, 1, 1))
    return org, members


@pytest.fixture
def quarterly_meeting():
    """No cadence is given for 基层党委 by default: the county adds its own, as here."""
    return CadenceRule.objects.create(
        kind=GENERAL_MEETING,
        org_kind=OrgKind.PRIMARY_COMMITTEE,
        period=Period.QUARTER,
        times=1,
        valid_from=D(2026, 1, 1),
    )


def test_it_logs_a_general_meeting_of_the_members_under_it(tree, clerk, committee):
    org, members = committee

    activity = log_meeting(org=org, kind=GENERAL_MEETING, held_on=D(2026, 5, 8), by=clerk)

    assert set(activity.attendance.values_list("member", flat=True)) == {m.pk for m in members}
    assert activity.quorate


def test_it_owes_its_cadence_on_the_worklist_and_in_the_report(
    tree, clerk, committee, quarterly_meeting
):
    org, _members = committee
    log_meeting(org=org, kind=GENERAL_MEETING, held_on=D(2026, 2, 8), by=clerk)

    work = worklist(user=clerk, root=tree.township_a, today=TODAY)
    own = reports.compliance(node=org, year=2026, today=TODAY, by="month")

    block = next(b for b in work.current if b.branch == org)  # under itself, not the township
    assert [(i.org, i.kind, i.period_label) for i in block.items] == [
        (org, GENERAL_MEETING, "2026年第2季度")
    ]
    own_row = next(r for r in own.children if r.label)
    assert own_row.label == "青山村党委（本级）"
    assert (own_row.total.done, own_row.total.due, own_row.total.open_due) == (1, 1, 1)
