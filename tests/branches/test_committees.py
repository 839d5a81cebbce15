"""The deeper tree: a clerk attached to a 工委 sees its subtree only, roster paths name
工委 and 党委, and the county's units (township, 工委, 基层党委) are what the worklist
picker, the rating drafts and the approval of manual points treat as "a township"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activities.points.services import approval_level_allows
from activities.ratings.selectors import draft_node_of, is_draft_node
from branches.missing import kind_from_name
from branches.models import BranchCategory, Organization, OrgKind
from members.models import Member
from tests.conftest import logged_in
from tests.factories import (
    BranchFactory,
    GeneralBranchFactory,
    GroupFactory,
    MemberFactory,
    PrimaryCommitteeFactory,
    WorkCommitteeFactory,
)
from tests.helpers import clerk_of

pytestmark = pytest.mark.django_db

ORGAN = BranchCategory.ORGAN


@pytest.fixture
def organs(tree):
    """县直机关工委 › 财政局党总支 › two branches, and 财政局 › 住建局党支部 beside it."""
    committee = WorkCommitteeFactory(parent=tree.county, name="县直机关工委", code="WC")
    general = GeneralBranchFactory(
        parent=committee, name="财政局党总支", code="WC-GB", category=ORGAN
    )
    first = BranchFactory(parent=general, name="财政局第一党支部", code="WC-B1", category=ORGAN)
    second = BranchFactory(parent=general, name="财政局第二党支部", code="WC-B2", category=ORGAN)
    housing = BranchFactory(parent=committee, name="住建局党支部", code="WC-B3", category=ORGAN)
    group = GroupFactory(parent=housing, name="住建局第一党小组", code="WC-B3-G1")
    MemberFactory(branch=first)
    MemberFactory(group=group)
    return committee, general, first, second, housing, group


def test_a_clerk_of_a_work_committee_sees_its_subtree_only(tree, organs):
    committee = organs[0]
    clerk = clerk_of(committee)
    MemberFactory(branch=tree.village_a)

    seen = set(Organization.objects.visible_to(clerk))

    assert seen == set(organs)
    # The two members under the 工委; not the one in 甲镇.
    assert Member.objects.visible_to(clerk).count() == 2
    client = logged_in(clerk)
    assert client.get(reverse("reports:overview", args=[committee.pk])).status_code == 200
    assert client.get(reverse("reports:overview", args=[tree.township_a.pk])).status_code == 404
    assert client.get(reverse("reports:overview", args=[tree.county.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("县直机关工委", OrgKind.WORK_COMMITTEE),
        ("县委教育工委", OrgKind.WORK_COMMITTEE),
        ("城关街道党工委", OrgKind.TOWNSHIP),
        ("甲镇党委", OrgKind.TOWNSHIP),
        ("石桥乡党委", OrgKind.TOWNSHIP),
        ("青山村党委", OrgKind.PRIMARY_COMMITTEE),
        ("县财政局党委", OrgKind.PRIMARY_COMMITTEE),
        ("财政局党总支", OrgKind.GENERAL_BRANCH),
        ("住建局党支部", OrgKind.BRANCH),
    ],
)
def test_a_name_in_a_roster_path_says_its_kind(name, kind):
    assert kind_from_name(name, default=OrgKind.TOWNSHIP) == kind


def test_the_county_picks_its_units_on_the_worklist(tree, organs, county_user):
    department = PrimaryCommitteeFactory(
        parent=tree.county,
        name="县水泥公司党委",
        code="PC",
        category=BranchCategory.PUBLIC_ENTERPRISE,
    )
    village = PrimaryCommitteeFactory(parent=tree.township_a, name="青山村党委", code="VPC")

    page = logged_in(county_user).get(reverse("activities:worklist"))

    picked = list(page.context["pickable"])
    assert organs[0] in picked and department in picked and tree.township_a in picked
    assert village not in picked  # inside its township: picked from the township's page


def test_a_work_committee_is_a_township_to_the_ratings_and_the_points(tree, organs):
    committee, _general, _first, _second, _housing, group = organs
    village = PrimaryCommitteeFactory(parent=tree.township_a, name="青山村党委", code="VPC")
    village_group = GroupFactory(parent=BranchFactory(parent=village, code="VPC-B"), code="VPC-G")

    assert is_draft_node(Organization.objects.get(pk=committee.pk))
    assert not is_draft_node(Organization.objects.get(pk=village.pk))
    assert draft_node_of(group) == committee
    assert draft_node_of(village_group) == tree.township_a
    assert approval_level_allows(clerk_of(committee), 2026)
    assert not approval_level_allows(clerk_of(village), 2026)


def _committees(committee, n):
    """*n* 基层党委 under the 工委, each with a 党总支, a branch and two members."""
    for i in range(n):
        org = PrimaryCommitteeFactory(
            parent=committee, name=f"第{i}局党委", code=f"PC{i}", category=ORGAN
        )
        general = GeneralBranchFactory(parent=org, name=f"第{i}局党总支", code=f"PC{i}-G")
        branch = BranchFactory(parent=general, name=f"第{i}局党支部", code=f"PC{i}-B")
        MemberFactory(branch=branch)
        MemberFactory(group=GroupFactory(parent=branch, code=f"PC{i}-B-G"))


@pytest.mark.parametrize("n", [2, 20])
def test_the_deeper_tree_keeps_the_query_counts(tree, organs, n, django_assert_num_queries):
    """As tests/reports/test_overview.py (20, the member figures not kept yet),
    tests/reports/test_compliance_and_stars.py (17) and tests/activities/test_views.py
    (22) count them: committees at three more levels add no query, however many there
    are. (The reports' rows carry their marks, 软弱涣散 and 示范点: two queries; the
    overview counts 一肩挑: one.)"""
    committee = organs[0]
    _committees(committee, n)
    client = logged_in(clerk_of(committee))
    overview = reverse("reports:overview", args=[committee.pk])
    compliance = reverse("reports:compliance", args=[committee.pk])
    work = reverse("activities:worklist")
    client.get(work)  # warm the content-type cache

    with django_assert_num_queries(20):
        drilled = client.get(overview)
    with django_assert_num_queries(17):
        client.get(compliance, {"year": 2026})
    with django_assert_num_queries(25):  # as tests/activities/test_views.py counts
        client.get(work)

    rows = {r.org.name: r for r in drilled.context["data"].children}
    assert len(rows) == n + 2  # the 党总支, 住建局党支部 and the n committees
    assert rows["第1局党委"].kinds[OrgKind.BRANCH] == 1
    assert rows["第1局党委"].members["total"] == 2
    assert drilled.context["data"].total.kinds[OrgKind.PRIMARY_COMMITTEE] == n
