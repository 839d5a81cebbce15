"""Who is expected at a meeting (activities.selectors.expected_q): not members who lost
contact (失联) or are suspended (停止党籍) – no absence, no deduction, outside the quorum –
though they count as present when they come. 流动党员 stay expected."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities.models import ActivityKind, Attendance, AttendanceStatus, PointEntry
from activities.selectors import expected_attendees
from activities.services import Mark, activity_log
from members.choices import PartyStatus
from members.models import Member
from members.standing import spells_follow_flags
from tests.conftest import logged_in
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

HELD = datetime.date(2026, 3, 10)
NOW = beijing(2026, 3, 15)
GROUP_MEETING, GENERAL_MEETING = ActivityKind.GROUP_MEETING, ActivityKind.GENERAL_MEETING
PRESENT, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.ABSENT


def _with_spells(member):
    # The dated spells the flags stand for (members.standing); suspended since January.
    spells_follow_flags(Member.objects.filter(pk=member.pk), on=datetime.date(2026, 1, 1))
    return member


def _lost(group, on=datetime.date(2025, 12, 1), **kwargs):
    return _with_spells(MemberFactory(group=group, lost_contact=True, lost_contact_on=on, **kwargs))


def _suspended(group, **kwargs):
    return _with_spells(MemberFactory(group=group, party_status=PartyStatus.SUSPENDED, **kwargs))


@pytest.fixture
def cast(tree):
    group = tree.group_a1
    cast = {
        "normal": MemberFactory(group=group, name="常在"),
        "mobile": MemberFactory(
            group=group, name="外出", is_mobile=True, mobile_destination="广州"
        ),
        "lost": _lost(group, name="失联者"),
        "suspended": _suspended(group, name="停籍者"),
        # Lost contact after the meeting: still expected on the day.
        "lost_later": _lost(group, on=datetime.date(2026, 3, 11), name="后失联"),
    }
    return cast


def _log(org, marks, by, kind=GROUP_MEETING):
    with frozen(NOW):
        return activity_log(
            org=org, kind=kind, held_on=HELD, marks=marks, recorded_by=by, topic="学习党章"
        )


def test_it_expects_mobile_members_but_not_lost_contact_or_suspended_ones(tree, cast):
    expected = set(expected_attendees(org=tree.group_a1, kind=GROUP_MEETING, on=HELD))

    assert expected == {cast["normal"], cast["mobile"], cast["lost_later"]}
    # The same rule at branch level: the branch's meetings leave them out too.
    at_branch = set(expected_attendees(org=tree.village_a, kind=GENERAL_MEETING, on=HELD))
    assert at_branch == expected


def test_it_writes_no_absence_and_no_deduction_for_members_not_expected(tree, clerk, cast):
    marks = [
        Mark(cast["normal"].pk, ABSENT),
        Mark(cast["mobile"].pk, PRESENT),
        Mark(cast["lost_later"].pk, PRESENT),
        Mark(cast["lost"].pk, ""),  # the form's unticked box
    ]

    activity = _log(tree.group_a1, marks, clerk)

    rows = dict(activity.attendance.values_list("member_id", "status"))
    assert rows == {
        cast["normal"].pk: ABSENT,
        cast["mobile"].pk: PRESENT,
        cast["lost_later"].pk: PRESENT,
    }
    assert (activity.expected_count, activity.present_count, activity.absent_count) == (3, 2, 1)
    losers = PointEntry.objects.filter(member__in=[cast["lost"], cast["suspended"]])
    assert not losers.exists()
    assert PointEntry.objects.filter(member=cast["normal"], points__lt=0).exists()


def test_it_counts_a_member_not_expected_who_came_as_present(tree, clerk, cast):
    marks = [Mark(m.pk, PRESENT) for m in cast.values()]

    activity = _log(tree.group_a1, marks, clerk)

    assert (activity.expected_count, activity.present_count) == (5, 5)  # never above 100 %
    assert activity.attendance.filter(member=cast["lost"], status=PRESENT).exists()
    gained = PointEntry.objects.filter(member=cast["suspended"], points__gt=0)
    assert gained.count() == 1


def test_it_refuses_an_absence_or_leave_for_a_member_not_expected(tree, clerk, cast):
    marks = [Mark(m.pk, PRESENT) for k, m in cast.items() if k not in ("lost", "suspended")]
    marks += [Mark(cast["lost"].pk, ABSENT), Mark(cast["suspended"].pk, "leave", "外出")]

    with pytest.raises(ValidationError) as refused:
        _log(tree.group_a1, marks, clerk)

    messages = refused.value.message_dict["attendance"]
    assert "「失联者」失联，不计入应到人员，只能登记为出席。" in messages
    assert "「停籍者」停止党籍，不计入应到人员，只能登记为出席。" in messages
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(("came", "quorate"), [(2, False), (3, True)])
def test_it_leaves_members_not_expected_out_of_the_quorum(tree, clerk, came, quorate):
    full = [MemberFactory(group=tree.group_a1) for _ in range(4)]
    away = [_lost(tree.group_a2), _suspended(tree.group_a2), _lost(tree.group_a1)]
    # Six of seven full members on the roster would need four; four expected need three,
    # and those not expected who came do not tip it.
    marks = [Mark(m.pk, PRESENT if i < came else ABSENT) for i, m in enumerate(full)]
    marks += [Mark(m.pk, PRESENT) for m in away]

    activity = _log(tree.village_a, marks, clerk, kind=GENERAL_MEETING)

    assert activity.quorate is quorate
    assert activity.expected_count == 4 + 3


def test_it_offers_members_not_expected_as_a_box_to_tick_on_the_form(tree, clerk, cast):
    client = logged_in(clerk)
    url = reverse("activities:activity_log") + f"?org={tree.group_a1.pk}&kind={GROUP_MEETING}"
    data = {"held_on": HELD.isoformat(), "topic": "学习党章"}
    for key in ("normal", "mobile", "lost_later"):
        data[f"status_{cast[key].pk}"] = PRESENT
    data[f"status_{cast['lost'].pk}"] = PRESENT  # ticked; the suspended member is not

    with frozen(NOW):
        form = client.get(url + f"&held_on={HELD.isoformat()}")
        saved = client.post(url, data)

    page = form.content.decode()
    assert f'type="checkbox" name="status_{cast["lost"].pk}" value="present"' in page
    assert f'type="radio" name="status_{cast["lost"].pk}"' not in page
    assert "应到 3 人" in page
    assert saved.status_code == 302
    members = set(Attendance.objects.values_list("member__name", flat=True))
    assert members == {"常在", "外出", "后失联", "失联者"}
