import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from branches.models import (
    BranchCategory,
    Organization,
    OrgKind,
)
from branches.paths import PATH_STEP, path_segment, path_successor
from branches.selectors import member_counts_by_path, member_counts_of
from branches.services import org_create, org_dissolve, org_move
from members.choices import RosterStatus
from members.services import member_leave
from tests.factories import (
    BranchFactory,
    CountyFactory,
    GeneralBranchFactory,
    GroupFactory,
    MemberFactory,
    TownshipFactory,
)

pytestmark = pytest.mark.django_db


def _create(kind, parent, **extra):
    return org_create(
        kind=kind, name=f"新{OrgKind(kind).label}", code=f"NEW-{kind}", parent=parent, **extra
    )


# --- allowed and refused parents ---------------------------------------------


def test_it_allows_a_township_under_a_county(tree):
    township = _create(OrgKind.TOWNSHIP, tree.county)

    assert township.parent == tree.county
    assert township.depth == 2


def test_it_allows_a_branch_under_a_township_and_under_a_general_branch(tree):
    general = GeneralBranchFactory(parent=tree.township_a)

    under_township = _create(OrgKind.BRANCH, tree.township_a, category=BranchCategory.VILLAGE)
    under_general = BranchFactory(parent=general)

    assert under_township.parent == tree.township_a
    assert under_general.parent == general
    assert under_general.depth == 4


def test_it_allows_a_group_under_a_branch(tree):
    group = _create(OrgKind.GROUP, tree.organ_a)

    assert group.parent == tree.organ_a
    assert group.depth == 4


def test_it_allows_a_county_as_root():
    county = _create(OrgKind.COUNTY, None)

    assert county.parent is None
    assert county.depth == 1


@pytest.mark.parametrize(
    ("kind", "parent_attr", "category", "allowed_labels"),
    [
        (OrgKind.BRANCH, "county", BranchCategory.VILLAGE, ["乡镇党委", "党总支"]),
        (OrgKind.GROUP, "township_a", "", ["党支部"]),
        (OrgKind.COUNTY, "township_a", "", ["无上级（顶级）", "市委"]),
        (OrgKind.TOWNSHIP, None, "", ["县委"]),
    ],
    ids=["branch-under-county", "group-under-township", "county-under-township", "root-township"],
)
def test_it_refuses_a_parent_of_the_wrong_kind(tree, kind, parent_attr, category, allowed_labels):
    parent = getattr(tree, parent_attr) if parent_attr else None
    before = Organization.objects.count()

    with pytest.raises(ValidationError) as exc:
        _create(kind, parent, category=category)

    message = exc.value.message_dict["parent"][0]
    assert message.startswith(f"{OrgKind(kind).label}的上级只能是：")
    for label in allowed_labels:
        assert label in message
    assert Organization.objects.count() == before


def test_it_refuses_a_branch_without_category_and_a_group_with_one(tree):
    with pytest.raises(ValidationError) as no_category:
        _create(OrgKind.BRANCH, tree.township_a)
    with pytest.raises(ValidationError) as extra_category:
        _create(OrgKind.GROUP, tree.village_a, category=BranchCategory.VILLAGE)

    assert "必须选择支部类型" in no_category.value.message_dict["category"][0]
    assert "不填写支部类型" in extra_category.value.message_dict["category"][0]


def test_it_refuses_a_child_under_a_dissolved_parent(tree):
    org_dissolve(org=tree.organ_a, on=datetime.date(2024, 1, 1))
    tree.organ_a.refresh_from_db()

    with pytest.raises(ValidationError) as exc:
        _create(OrgKind.GROUP, tree.organ_a)

    assert "已撤销" in exc.value.message_dict["parent"][0]


# --- paths -------------------------------------------------------------------


def test_it_gives_fixed_width_digit_paths_by_level(tree):
    for org in Organization.objects.all():
        assert re.fullmatch(r"(\d{4})+", org.path), org.path
        assert len(org.path) == PATH_STEP * org.depth
        if org.parent_id:
            assert org.path.startswith(org.parent.path)
    assert tree.group_a1.depth == 4


def test_it_gives_siblings_increasing_segments(tree):
    third = BranchFactory(parent=tree.township_a)

    assert tree.village_a.path == tree.township_a.path + "0001"
    assert tree.organ_a.path == tree.township_a.path + "0002"
    assert third.path == tree.township_a.path + "0003"
    assert tree.township_b.path > tree.township_a.path


def test_it_does_not_reuse_the_segment_of_a_dissolved_sibling(tree):
    org_dissolve(org=tree.organ_a, on=datetime.date(2024, 1, 1))

    third = BranchFactory(parent=tree.township_a)

    assert third.path == tree.township_a.path + "0003"


def test_it_keeps_a_subtree_apart_from_siblings_sharing_a_prefix():
    township = TownshipFactory()
    branches = [BranchFactory(parent=township) for _ in range(11)]
    first_group = GroupFactory(parent=branches[0])
    tenth_group = GroupFactory(parent=branches[9])
    assert branches[0].path.endswith("0001")
    assert branches[9].path.endswith("0010")
    assert branches[10].path.endswith("0011")

    subtree = set(Organization.objects.subtree(branches[0]))
    below = set(Organization.objects.subtree(branches[0], include_self=False))
    tenth = set(Organization.objects.subtree(branches[9]))

    assert subtree == {branches[0], first_group}
    assert below == {first_group}
    assert tenth == {branches[9], tenth_group}
    assert set(Organization.objects.subtree(township)) == {
        township,
        *branches,
        first_group,
        tenth_group,
    }


def test_it_selects_the_whole_tree_under_the_county_and_nothing_of_another_county(tree):
    other = CountyFactory()
    TownshipFactory(parent=other)

    subtree = set(Organization.objects.subtree(tree.county))

    assert len(subtree) == 11
    assert other not in subtree


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("0001", "0002"),
        ("00010009", "00010010"),
        ("00019999", "00020000"),
        ("0099", "0100"),
        ("9999", None),
        ("99999999", None),
    ],
)
def test_it_computes_the_path_successor(path, expected):
    assert path_successor(path) == expected


def test_it_pads_segments_and_refuses_out_of_range_indexes():
    assert path_segment(1) == "0001"
    assert path_segment(9999) == "9999"
    for index in (0, 10000):
        with pytest.raises(ValidationError, match="最多可设"):
            path_segment(index)


def test_it_selects_the_last_subtree_when_the_successor_runs_off_the_end():
    county = org_create(kind=OrgKind.COUNTY, name="末县", code="LAST", parent=None)
    Organization.objects.filter(pk=county.pk).update_derived(path="9999")
    county.refresh_from_db()
    township = TownshipFactory(parent=county)

    assert township.path == "99990001"
    assert set(Organization.objects.subtree(county)) == {county, township}


# --- moving ------------------------------------------------------------------


def test_it_moves_a_branch_with_its_groups_to_another_township(tree, admin_user):
    member = MemberFactory(group=tree.group_a1)
    old_depths = {o.pk: o.depth for o in (tree.village_a, tree.group_a1, tree.group_a2)}

    moved = org_move(org=tree.village_a, new_parent=tree.township_b)

    group1 = Organization.objects.get(pk=tree.group_a1.pk)
    group2 = Organization.objects.get(pk=tree.group_a2.pk)
    assert moved.parent == tree.township_b
    assert moved.path == tree.township_b.path + "0003"
    for org in (moved, group1, group2):
        assert org.path.startswith(tree.township_b.path)
        assert org.path.startswith(moved.path)
        assert org.depth == old_depths[org.pk]
    assert {group1.path, group2.path} == {moved.path + "0001", moved.path + "0002"}
    member.refresh_from_db()
    assert (member.branch_id, member.group_id) == (moved.pk, group1.pk)
    assert set(Organization.objects.subtree(tree.township_a)) == {tree.township_a, tree.organ_a}
    assert {moved, group1, group2} <= set(Organization.objects.subtree(tree.township_b))
    counts = member_counts_by_path(user=admin_user)
    assert counts.get(tree.township_a.path, 0) == 0
    assert counts[tree.township_b.path] == 1


def test_it_adjusts_depth_when_moving_between_levels(tree):
    general = GeneralBranchFactory(parent=tree.township_b)

    moved = org_move(org=tree.village_a, new_parent=general)

    group = Organization.objects.get(pk=tree.group_a1.pk)
    assert moved.depth == 4
    assert group.depth == 5
    assert group.path.startswith(general.path)
    assert len(group.path) == PATH_STEP * 5


def test_it_refuses_to_move_a_node_under_its_own_descendant(tree):
    old_paths = dict(Organization.objects.values_list("pk", "path"))

    with pytest.raises(ValidationError) as exc:
        org_move(org=tree.township_a, new_parent=tree.village_a)
    with pytest.raises(ValidationError):
        org_move(org=tree.village_a, new_parent=tree.village_a)

    assert "下级组织" in exc.value.message_dict["parent"][0]
    assert dict(Organization.objects.values_list("pk", "path")) == old_paths


def test_it_refuses_to_move_a_node_under_a_parent_of_the_wrong_kind(tree):
    with pytest.raises(ValidationError) as exc:
        org_move(org=tree.village_a, new_parent=tree.county)

    assert "乡镇党委" in exc.value.message_dict["parent"][0]
    tree.village_a.refresh_from_db()
    assert tree.village_a.parent == tree.township_a


def test_it_refuses_to_move_a_branch_next_to_a_live_namesake(tree):
    BranchFactory(parent=tree.township_b, name=tree.village_a.name)

    with pytest.raises(ValidationError, match="同名"):
        org_move(org=tree.village_a, new_parent=tree.township_b)


# --- names and dissolving ----------------------------------------------------


def test_it_refuses_a_live_sibling_with_the_same_name_until_the_first_is_dissolved(tree):
    with pytest.raises(ValidationError, match="同一上级组织下已有同名的未撤销组织"):
        BranchFactory(parent=tree.township_a, name="甲村党支部")

    org_dissolve(org=tree.village_a, on=datetime.date(2024, 6, 30))
    again = BranchFactory(parent=tree.township_a, name="甲村党支部")

    assert again.pk != tree.village_a.pk
    assert Organization.objects.filter(parent=tree.township_a, name="甲村党支部").count() == 2


def test_it_allows_the_same_name_under_different_parents(tree):
    namesake = BranchFactory(parent=tree.township_b, name="甲村党支部")

    assert namesake.parent == tree.township_b


def test_it_dissolves_the_whole_subtree_and_nothing_else(tree):
    on = datetime.date(2024, 6, 30)

    dissolved = org_dissolve(org=tree.township_a, on=on)

    assert dissolved == 5
    a_subtree = Organization.objects.subtree(tree.township_a)
    assert set(a_subtree.values_list("dissolved_on", flat=True)) == {on}
    assert not a_subtree.live().exists()
    assert Organization.objects.subtree(tree.township_b).live().count() == 5
    assert Organization.objects.live().filter(pk=tree.county.pk).exists()


def test_it_keeps_the_earlier_date_of_nodes_dissolved_before(tree):
    earlier = datetime.date(2023, 1, 1)
    org_dissolve(org=tree.group_a1, on=earlier)

    dissolved = org_dissolve(org=tree.village_a, on=datetime.date(2024, 1, 1))

    tree.group_a1.refresh_from_db()
    assert dissolved == 2
    assert tree.group_a1.dissolved_on == earlier


def test_it_refuses_a_dissolution_date_before_the_founding_date(tree):
    branch = BranchFactory(parent=tree.township_a, founded_on=datetime.date(2024, 1, 1))

    with pytest.raises(ValidationError):
        org_dissolve(org=branch, on=datetime.date(2023, 12, 31))

    branch.refresh_from_db()
    assert branch.is_live


def test_it_refuses_a_dissolution_date_before_a_descendant_was_founded(tree):
    BranchFactory(parent=tree.township_a, name="新村党支部", founded_on=datetime.date(2024, 1, 1))

    with pytest.raises(ValidationError) as exc:
        org_dissolve(org=tree.township_a, on=datetime.date(2023, 6, 1))

    assert "新村党支部" in exc.value.message_dict["dissolved_on"][0]
    assert not Organization.objects.subtree(tree.township_a).exclude(dissolved_on=None).exists()


# --- member counts -----------------------------------------------------------


def test_it_counts_members_at_every_level(tree, admin_user):
    MemberFactory.create_batch(2, group=tree.group_a1)
    MemberFactory(group=tree.group_a2)
    MemberFactory(branch=tree.village_a)
    MemberFactory(branch=tree.organ_a)
    MemberFactory.create_batch(2, group=tree.group_b1)
    gone = MemberFactory(branch=tree.organ_b)
    member_leave(
        member=gone, status=RosterStatus.DECEASED, on=datetime.date(2024, 1, 1), reason="病故"
    )

    counts = member_counts_by_path(user=admin_user)

    assert counts[tree.group_a1.path] == 2
    assert counts[tree.group_a2.path] == 1
    assert counts[tree.village_a.path] == 4
    assert counts[tree.organ_a.path] == 1
    assert counts[tree.township_a.path] == 5
    assert counts[tree.group_b1.path] == 2
    assert counts.get(tree.group_b2.path, 0) == 0
    assert counts[tree.village_b.path] == 2
    assert counts.get(tree.organ_b.path, 0) == 0
    assert counts[tree.township_b.path] == 2
    assert counts[tree.county.path] == 7


def test_it_counts_a_page_of_nodes_as_the_whole_tree_does(tree, admin_user):
    MemberFactory.create_batch(2, group=tree.group_a1)
    MemberFactory(branch=tree.village_a)
    MemberFactory(branch=tree.organ_a)
    MemberFactory(group=tree.group_b1)
    gone = MemberFactory(group=tree.group_a2)
    member_leave(
        member=gone, status=RosterStatus.DECEASED, on=datetime.date(2024, 1, 1), reason="病故"
    )
    everything = member_counts_by_path(user=admin_user)
    orgs = list(Organization.objects.all())

    assert member_counts_of(orgs) == {o.pk: everything[o.path] for o in orgs if everything[o.path]}
    # A page starting inside a subtree counts each node's whole subtree all the same.
    page = [tree.group_a2, tree.organ_a, tree.township_b, tree.village_b, tree.group_b1]
    assert member_counts_of(page) == {
        tree.organ_a.pk: 1,
        tree.township_b.pk: 1,
        tree.village_b.pk: 1,
        tree.group_b1.pk: 1,
    }
    assert member_counts_of([]) == {}


def test_it_counts_only_members_the_user_may_see(tree, clerk_a):
    MemberFactory(group=tree.group_a1)
    MemberFactory(group=tree.group_b1)

    counts = member_counts_by_path(user=clerk_a)

    assert counts[tree.township_a.path] == 1
    assert tree.township_b.path not in counts
