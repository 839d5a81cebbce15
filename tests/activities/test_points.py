"""The points ledger: entries derived from attendance, caps, manual entries and approval."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from activities import services
from activities.models import (
    ActivityKind,
    ApprovalLevel,
    AttendanceStatus,
    EntryStatus,
    PointEntry,
    PointRule,
    PointSource,
    RatingRule,
)
from activities.points.selectors import statement
from activities.points.services import point_entries_decide, point_entry_create, points_recompute
from activities.tasks import recompute_points
from tests.factories import MemberFactory
from tests.helpers import beijing, clerk_of, frozen, log_meeting

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def people(tree):
    return [MemberFactory(group=tree.group_a1) for _ in range(3)]


def total_of(member, year=2026):
    return statement(member=member, year=year)["score"].total


def ledger(year=2026):
    return sorted(
        PointEntry.objects.filter(year=year).values_list(
            "member_id", "activity_id", "source", "activity_kind", "points", "status"
        )
    )


def test_it_gives_the_base_and_the_kind_points_for_attending(tree, people, clerk):
    a, b, c = people
    log_meeting(
        org=tree.group_a1,
        kind=ActivityKind.GROUP_MEETING,
        held_on=DAY,
        by=clerk,
        statuses={b: (AttendanceStatus.LEAVE, "外出务工"), c: AttendanceStatus.ABSENT},
    )
    # Defaults: base 60, group meeting +1, unexcused absence from it -2, leave 0.
    assert total_of(a) == Decimal("61")
    assert total_of(b) == Decimal("60")
    assert total_of(c) == Decimal("58")


def test_it_caps_each_kind_at_its_yearly_cap(tree, people, clerk):
    a = people[0]
    # Group meetings: +1 each, capped at 12 a year; 14 meetings give 12.
    for month in range(1, 8):
        for day in (5, 20):
            log_meeting(
                org=tree.group_a1,
                kind=ActivityKind.GROUP_MEETING,
                held_on=datetime.date(2026, month, day),
                by=clerk,
            )
    # A branch general meeting is capped separately (+2, cap 8).
    log_meeting(org=tree.village_a, kind=ActivityKind.GENERAL_MEETING, held_on=DAY, by=clerk)
    with frozen(beijing(2026, 11, 1)):
        result = statement(member=a, year=2026)["score"]
    assert result.additions == Decimal("14")
    assert result.capped == Decimal("2")
    assert result.total == Decimal("74")
    assert PointEntry.objects.filter(member=a, source=PointSource.ATTENDANCE).count() == 15


def test_it_moves_the_points_when_attendance_is_edited(tree, people, clerk):
    a = people[0]
    activity = log_meeting(
        org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, held_on=DAY, by=clerk
    )
    assert total_of(a) == Decimal("61")
    marks = [
        services.Mark(
            member_id=m.pk,
            status=AttendanceStatus.ABSENT if m == a else AttendanceStatus.PRESENT,
        )
        for m in people
    ]
    with frozen(beijing(2026, 3, 11)):
        services.activity_log(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=DAY,
            marks=marks,
            recorded_by=clerk,
            activity=activity,
            topic="学习党章",
        )
    assert total_of(a) == Decimal("58")
    assert PointEntry.objects.filter(member=a).count() == 1
    with frozen(beijing(2026, 3, 12)):
        services.activity_delete(activity=activity)
    assert total_of(a) == Decimal("60")
    assert not PointEntry.objects.exists()


def test_it_changes_nothing_when_recomputed_twice(tree, people, clerk):
    log_meeting(org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, held_on=DAY, by=clerk)
    log_meeting(
        org=tree.village_a,
        kind=ActivityKind.LESSON,
        held_on=DAY,
        by=clerk,
        statuses={people[1]: AttendanceStatus.ABSENT},
        speaker="王书记",
    )
    before = ledger()
    assert points_recompute(year=2026) == len(before) == 6
    assert points_recompute(year=2026) == 6
    assert ledger() == before


def test_it_keeps_manual_entries_when_recomputing(tree, people, clerk):
    entry = point_entry_create(
        member=people[0],
        source=PointSource.VOLUNTEER,
        date=DAY,
        points=None,
        reason="参加防汛志愿服务",
        by=clerk,
    )
    points_recompute(year=2026)
    assert PointEntry.objects.get() == entry


def test_it_scores_a_year_by_the_rules_in_force_on_1_january(tree, people, clerk):
    old = PointRule.objects.get(source=PointSource.BASE)
    old.valid_to = datetime.date(2026, 12, 31)
    old.save()
    PointRule.objects.create(
        source=PointSource.BASE, points=70, valid_from=datetime.date(2027, 1, 1)
    )
    assert total_of(people[0], 2026) == Decimal("60")
    assert total_of(people[0], 2027) == Decimal("70")


def manual(member, by, **kwargs):
    kwargs.setdefault("source", PointSource.VOLUNTEER)
    kwargs.setdefault("date", DAY)
    kwargs.setdefault("points", None)
    kwargs.setdefault("reason", "参加防汛志愿服务")
    with frozen(beijing(2026, 4, 1)):
        return point_entry_create(member=member, by=by, **kwargs)


def test_it_counts_a_manual_entry_only_once_another_user_approves_it(
    tree, people, clerk, county_user
):
    a = people[0]
    entry = manual(a, clerk, source=PointSource.DISCIPLINE, points=Decimal("10"), reason="违规")
    assert entry.points == Decimal("-10")
    assert entry.status == EntryStatus.PENDING
    assert total_of(a) == Decimal("60")

    with pytest.raises(ValidationError, match="不能审批自己登记的积分"):
        point_entries_decide(entries=PointEntry.objects.filter(pk=entry.pk), by=clerk, approve=True)
    assert total_of(a) == Decimal("60")

    other_clerk = clerk_of(tree.township_a)
    assert (
        point_entries_decide(
            entries=PointEntry.objects.filter(pk=entry.pk), by=other_clerk, approve=True
        )
        == 1
    )
    entry.refresh_from_db()
    assert (entry.status, entry.decided_by) == (EntryStatus.APPROVED, other_clerk)
    assert total_of(a) == Decimal("50")


def test_it_approves_many_entries_at_once_or_none(tree, people, clerk):
    entries = [manual(m, clerk) for m in people]
    own = manual(people[0], clerk_of(tree.township_a))
    approver = PointEntry.objects.get(pk=own.pk).entered_by
    with pytest.raises(ValidationError) as failure:
        point_entries_decide(entries=PointEntry.objects.all(), by=approver, approve=True)
    assert "不能审批自己登记的积分" in str(failure.value)
    assert set(PointEntry.objects.values_list("status", flat=True)) == {EntryStatus.PENDING}

    ids = [e.pk for e in entries]
    point_entries_decide(entries=PointEntry.objects.filter(pk__in=ids), by=approver, approve=True)
    assert all(total_of(m) == Decimal("62") for m in people[1:])


def test_it_leaves_approval_to_the_county_when_the_rule_says_so(tree, people, clerk, county_user):
    RatingRule.objects.update(approval_level=ApprovalLevel.COUNTY)
    entry = manual(people[0], clerk)
    with pytest.raises(ValidationError, match="由上级审批"):
        point_entries_decide(
            entries=PointEntry.objects.filter(pk=entry.pk),
            by=clerk_of(tree.township_a),
            approve=True,
        )
    point_entries_decide(
        entries=PointEntry.objects.filter(pk=entry.pk), by=county_user, approve=True
    )
    assert total_of(people[0]) == Decimal("62")


def test_it_refuses_approval_without_the_permission(tree, people, clerk, secretary_a):
    entry = manual(people[0], clerk)
    with pytest.raises(PermissionDenied):
        point_entries_decide(
            entries=PointEntry.objects.filter(pk=entry.pk), by=secretary_a, approve=True
        )


def test_it_does_not_let_a_clerk_approve_another_townships_entries(tree, clerk, clerk_b):
    member = MemberFactory(group=tree.group_a1)
    entry = manual(member, clerk)
    point_entries_decide(entries=PointEntry.objects.filter(pk=entry.pk), by=clerk_b, approve=True)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_it_explains_what_is_wrong_with_a_manual_entry(tree, people, clerk):
    with pytest.raises(ValidationError) as failure:
        manual(people[0], clerk, source=PointSource.ATTENDANCE, reason=" ")
    assert set(failure.value.message_dict) == {"source", "reason"}
    with pytest.raises(ValidationError, match="正数"):
        manual(people[0], clerk, points=Decimal("-3"))


@pytest.mark.parametrize(
    ("source", "kind", "value", "field"),
    [
        (PointSource.ABSENCE, ActivityKind.LESSON, 2, "points"),
        (PointSource.VOLUNTEER, "", -2, "points"),
        (PointSource.ATTENDANCE, "", 2, "activity_kind"),
        (PointSource.DUTY, ActivityKind.LESSON, 2, "activity_kind"),
        (PointSource.BASE, "", 70, "valid_from"),
    ],
)
def test_it_rejects_an_inconsistent_point_rule(db, source, kind, value, field):
    rule = PointRule(
        source=source, activity_kind=kind, points=value, valid_from=datetime.date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as failure:
        rule.full_clean()
    assert field in failure.value.message_dict


def test_it_queues_the_recompute_from_the_rules_admin(tree, people, clerk, client):
    log_meeting(org=tree.group_a1, kind=ActivityKind.GROUP_MEETING, held_on=DAY, by=clerk)
    PointRule.objects.filter(activity_kind=ActivityKind.GROUP_MEETING, source="attendance").update(
        points=3
    )
    admin = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(admin)
    with frozen(beijing(2026, 4, 1)):
        response = client.post(
            reverse("admin:activities_pointrule_changelist"),
            {"action": "recompute_this_year", "_selected_action": [PointRule.objects.first().pk]},
            follow=True,
        )
    assert "已在后台" in response.content.decode()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [2026]
    assert total_of(people[0]) == Decimal("61")
    assert recompute_points.call(2026) == 3
    assert total_of(people[0]) == Decimal("63")
