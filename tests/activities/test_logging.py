"""activities.services.activity_log: the record, its attendance, counts, tallies and files."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from activities import services
from activities.models import (
    Activity,
    ActivityKind,
    ActivityTally,
    Attachment,
    Attendance,
    AttendanceStatus,
)
from activities.selectors import expected_attendees
from activities.services import Mark, activity_delete, activity_log
from branches.audit import acting_as
from branches.models import PostTitle, StoredFile
from branches.services import org_dissolve, org_update, post_assign
from members.choices import MemberCategory
from members.services import member_transfer
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen, log_meeting

pytestmark = pytest.mark.django_db

TODAY = beijing(2026, 3, 15)
HELD = datetime.date(2026, 3, 10)
MARCH = datetime.date(2026, 3, 1)
GROUP_MEETING = ActivityKind.GROUP_MEETING
PRESENT, LEAVE, ABSENT = AttendanceStatus.PRESENT, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"\x00" * 64


@pytest.fixture
def group_members(tree):
    return [MemberFactory(group=tree.group_a1, name=name) for name in ("赵一", "钱二", "孙三")]


def _log(*, org, kind=GROUP_MEETING, held_on=HELD, marks, by, now=TODAY, **kwargs):
    with frozen(now):
        return activity_log(
            org=org,
            kind=kind,
            held_on=held_on,
            marks=marks,
            recorded_by=by,
            topic="学习党章",
            **kwargs,
        )


def _all_present(members):
    return [Mark(member_id=m.pk, status=PRESENT) for m in members]


def _written():
    return (Activity.objects.count(), Attendance.objects.count(), ActivityTally.objects.count())


def test_it_writes_one_attendance_row_per_expected_member_and_the_guests(
    tree, clerk, group_members
):
    MemberFactory(group=tree.group_a2)  # another group's member is not expected
    zhao, qian, sun = group_members

    activity = _log(
        org=tree.group_a1,
        marks=[
            Mark(member_id=zhao.pk, status=PRESENT),
            Mark(member_id=qian.pk, status=LEAVE, reason="外出务工"),
            Mark(member_id=sun.pk, status=ABSENT),
        ],
        guests=["镇驻村干部王五"],
        by=clerk,
    )

    rows = {a.member_id: a for a in activity.attendance.filter(is_guest=False)}
    assert set(rows) == {zhao.pk, qian.pk, sun.pk}
    assert rows[qian.pk].status == LEAVE
    assert rows[qian.pk].reason == "外出务工"
    guest = activity.attendance.get(is_guest=True)
    assert (guest.member, guest.guest_name) == (None, "镇驻村干部王五")
    assert (
        activity.expected_count,
        activity.present_count,
        activity.leave_count,
        activity.absent_count,
        activity.guest_count,
    ) == (3, 1, 1, 1, 1)
    assert activity.attendance_rate == pytest.approx(1 / 3)  # the guest does not count
    assert activity.quorate is None
    tally = ActivityTally.objects.get(org=tree.group_a1, kind=GROUP_MEETING, month=MARCH)
    assert (tally.count, tally.on_time_month, tally.expected, tally.present) == (1, 1, 3, 1)
    assert (tally.leave, tally.absent) == (1, 1)


def test_it_adds_a_second_meeting_of_the_month_to_the_same_tally(tree, clerk, group_members):
    _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)
    _log(
        org=tree.group_a1,
        held_on=datetime.date(2026, 3, 12),
        marks=[Mark(member_id=m.pk, status=ABSENT) for m in group_members],
        by=clerk,
    )

    tally = ActivityTally.objects.get(org=tree.group_a1, kind=GROUP_MEETING, month=MARCH)
    assert (tally.count, tally.expected, tally.present, tally.absent) == (2, 6, 3, 3)


def _future(tree, members):
    return {"held_on": datetime.date(2026, 3, 16), "marks": _all_present(members)}


def _before_founded(tree, members):
    org_update(org=tree.group_a1, founded_on=datetime.date(2026, 3, 11))
    return {"marks": _all_present(members)}


def _after_dissolved(tree, members):
    org_dissolve(org=tree.group_a1, on=datetime.date(2026, 3, 9))
    tree.group_a1.refresh_from_db()
    return {"marks": _all_present(members)}


def _member_moved_away(tree, members):
    member_transfer(
        member=members[0], branch=tree.village_a, group=tree.group_a2, on=datetime.date(2026, 3, 1)
    )
    return {"marks": _all_present(members)}


def _leave_without_reason(tree, members):
    marks = _all_present(members[1:]) + [Mark(member_id=members[0].pk, status=LEAVE, reason=" ")]
    return {"marks": marks}


def _kind_not_for_groups(tree, members):
    return {"kind": ActivityKind.COMMITTEE, "marks": []}


@pytest.mark.parametrize(
    ("setup", "field", "needle"),
    [
        (_future, "held_on", "不能晚于今天"),
        (_before_founded, "held_on", "早于「甲村第一党小组」的成立日期 2026-03-11"),
        (_after_dissolved, "held_on", "已于 2026-03-09 撤销"),
        (_member_moved_away, "attendance", "不是「甲村第一党小组」的应到人员"),
        (_leave_without_reason, "attendance", "「赵一」请假，必须填写请假事由"),
        (_kind_not_for_groups, "kind", "党小组不能登记「支部委员会」"),
    ],
    ids=["future", "before-founded", "after-dissolved", "not-a-member", "leave", "kind"],
)
def test_it_refuses_an_invalid_meeting_and_writes_nothing(
    tree, clerk, group_members, setup, field, needle
):
    arguments = setup(tree, group_members)
    before = _written()

    with pytest.raises(ValidationError) as exc:
        _log(org=tree.group_a1, by=clerk, **arguments)

    assert any(needle in message for message in exc.value.message_dict[field])
    assert _written() == before


def test_it_refuses_a_mark_missing_for_someone_expected(tree, clerk, group_members):
    with pytest.raises(ValidationError) as exc:
        _log(org=tree.group_a1, marks=_all_present(group_members[1:]), by=clerk)

    assert exc.value.message_dict["attendance"] == ["以下应到人员未填写出席情况：赵一。"]
    assert not Activity.objects.exists()


def test_it_asks_to_confirm_a_second_record_of_the_same_day(tree, clerk, group_members):
    _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)
    before = _written()

    with pytest.raises(ValidationError) as exc:
        _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)

    assert exc.value.code == services.DUPLICATE
    assert "确认重复登记" in exc.value.messages[0]
    assert _written() == before

    _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk, confirm_duplicate=True)

    assert Activity.objects.filter(org=tree.group_a1, held_on=HELD).count() == 2
    assert ActivityTally.objects.get(org=tree.group_a1, kind=GROUP_MEETING).count == 2


def test_it_does_not_ask_to_confirm_a_meeting_of_another_kind_or_org(tree, clerk, group_members):
    _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)

    theme_day = ActivityKind.THEME_DAY
    _log(org=tree.group_a1, kind=theme_day, marks=_all_present(group_members), by=clerk)
    _log(org=tree.group_a2, marks=[], by=clerk)

    assert Activity.objects.count() == 3


def _general_meeting(tree, clerk, *, full_present, full=4, probationary_present=0):
    fulls = [MemberFactory(group=tree.group_a1) for _ in range(full)]
    probationers = [
        MemberFactory(branch=tree.village_a, category=MemberCategory.PROBATIONARY)
        for _ in range(probationary_present)
    ]
    marks = [
        Mark(member_id=m.pk, status=PRESENT if i < full_present else ABSENT)
        for i, m in enumerate(fulls)
    ] + _all_present(probationers)
    return _log(org=tree.village_a, kind=ActivityKind.GENERAL_MEETING, marks=marks, by=clerk)


@pytest.mark.parametrize(("full_present", "quorate"), [(1, False), (2, False), (3, True)])
def test_it_marks_a_general_meeting_quorate_only_above_half_of_full_members(
    tree, clerk, full_present, quorate
):
    activity = _general_meeting(tree, clerk, full_present=full_present)

    assert activity.quorate is quorate
    activity.refresh_from_db()
    assert activity.quorate is quorate


def test_it_does_not_count_probationary_members_towards_the_quorum(tree, clerk):
    activity = _general_meeting(tree, clerk, full_present=2, probationary_present=3)

    assert (activity.expected_count, activity.present_count) == (7, 5)
    assert activity.quorate is False
    was_full = set(activity.attendance.values_list("was_full_member", flat=True))
    assert was_full == {True, False}


def test_it_expects_the_group_members_of_the_meeting_date(tree, clerk):
    stays = MemberFactory(group=tree.group_a1)
    leaves = MemberFactory(group=tree.group_a1)
    joins = MemberFactory(group=tree.group_a2)
    MemberFactory(group=tree.group_a1, started_on=datetime.date(2026, 3, 12))  # joined later
    moved = datetime.date(2026, 3, 5)
    member_transfer(member=leaves, branch=tree.village_a, group=tree.group_a2, on=moved)
    member_transfer(member=joins, branch=tree.village_a, group=tree.group_a1, on=moved)

    before = expected_attendees(org=tree.group_a1, kind=GROUP_MEETING, on=datetime.date(2026, 3, 4))
    on_the_day = expected_attendees(org=tree.group_a1, kind=GROUP_MEETING, on=moved)

    assert set(before) == {stays, leaves}
    assert set(on_the_day) == {stays, joins}
    activity = log_meeting(org=tree.group_a1, kind=GROUP_MEETING, held_on=moved, by=clerk)
    assert set(activity.attendance.values_list("member", flat=True)) == {stays.pk, joins.pk}


@pytest.mark.parametrize(
    "kind", [ActivityKind.GENERAL_MEETING, ActivityKind.LESSON, ActivityKind.THEME_DAY]
)
def test_it_expects_every_member_of_the_branch_and_its_groups_at_branch_meetings(tree, clerk, kind):
    in_groups = [MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a2)]
    no_group = MemberFactory(branch=tree.village_a)
    MemberFactory(branch=tree.organ_a)
    MemberFactory(group=tree.group_b1)

    activity = log_meeting(org=tree.village_a, kind=kind, held_on=HELD, by=clerk)

    assert set(activity.attendance.values_list("member", flat=True)) == {
        m.pk for m in [*in_groups, no_group]
    }
    assert activity.expected_count == 3


def test_it_expects_the_open_committee_post_holders_at_a_committee_meeting(tree, clerk):
    since = datetime.date(2025, 1, 1)
    holders = []
    for title in (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY):
        member = MemberFactory(group=tree.group_a1)
        post_assign(org=tree.village_a, member=member, title=title, started_on=since)
        holders.append(member)
    later = MemberFactory(branch=tree.village_a)
    post_assign(
        org=tree.village_a,
        member=later,
        title=PostTitle.DISCIPLINE,
        started_on=datetime.date(2026, 3, 11),
    )
    ended = MemberFactory(branch=tree.village_a)
    post = post_assign(
        org=tree.village_a, member=ended, title=PostTitle.DEPUTY_SECRETARY, started_on=since
    )
    post.ended_on = datetime.date(2026, 3, 10)  # ends on the day: no longer in office
    post.save()
    leader = MemberFactory(group=tree.group_a1)
    post_assign(org=tree.group_a1, member=leader, title=PostTitle.GROUP_LEADER, started_on=since)

    activity = log_meeting(org=tree.village_a, kind=ActivityKind.COMMITTEE, held_on=HELD, by=clerk)

    assert set(activity.attendance.values_list("member", flat=True)) == {m.pk for m in holders}
    assert activity.expected_count == 3


def test_it_moves_counts_and_tallies_when_a_status_is_edited(tree, clerk, group_members):
    zhao = group_members[0]
    activity = _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)
    first_row = activity.attendance.get(member=zhao).pk

    marks = _all_present(group_members[1:]) + [Mark(member_id=zhao.pk, status=LEAVE, reason="病假")]
    edited = _log(org=tree.group_a1, marks=marks, by=clerk, activity=activity)

    assert edited.pk == activity.pk
    assert Activity.objects.count() == 1
    row = Attendance.objects.get(activity=activity, member=zhao)
    assert (row.pk, row.status, row.reason) == (first_row, LEAVE, "病假")
    activity.refresh_from_db()
    assert (activity.present_count, activity.leave_count) == (2, 1)
    tally = ActivityTally.objects.get(org=tree.group_a1, kind=GROUP_MEETING, month=MARCH)
    assert (tally.count, tally.present, tally.leave) == (1, 2, 1)


def test_it_moves_the_tally_when_the_date_moves_to_another_month(tree, clerk, group_members):
    activity = _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)

    _log(
        org=tree.group_a1,
        held_on=datetime.date(2026, 2, 20),
        marks=_all_present(group_members),
        by=clerk,
        activity=activity,
    )

    tallies = ActivityTally.objects.filter(org=tree.group_a1, kind=GROUP_MEETING)
    assert [(t.month, t.count) for t in tallies] == [(datetime.date(2026, 2, 1), 1)]
    # Logged on 15 March: for February it came late.
    assert tallies[0].on_time_month == 0
    assert tallies[0].on_time_quarter == 1


def test_it_keeps_one_tally_when_the_date_moves_within_the_month(tree, clerk, group_members):
    activity = _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)

    _log(
        org=tree.group_a1,
        held_on=datetime.date(2026, 3, 2),
        marks=_all_present(group_members),
        by=clerk,
        activity=activity,
    )

    assert ActivityTally.objects.get(org=tree.group_a1).count == 1
    activity.refresh_from_db()
    assert activity.held_on == datetime.date(2026, 3, 2)


def test_it_removes_the_tally_and_attendance_when_the_only_activity_is_deleted(
    tree, clerk, group_members
):
    activity = _log(
        org=tree.group_a1, marks=_all_present(group_members), by=clerk, guests=["列席人"]
    )
    other = _log(org=tree.group_a2, marks=[], by=clerk, held_on=datetime.date(2026, 3, 11))

    activity_delete(activity=activity)

    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert not Attendance.objects.filter(activity_id=activity.pk).exists()
    assert not ActivityTally.objects.filter(org=tree.group_a1).exists()
    assert ActivityTally.objects.filter(org=other.org).exists()


def test_it_lowers_the_tally_when_one_of_two_activities_is_deleted(tree, clerk, group_members):
    first = _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)
    _log(
        org=tree.group_a1,
        held_on=datetime.date(2026, 3, 12),
        marks=_all_present(group_members),
        by=clerk,
    )

    activity_delete(activity=first)

    tally = ActivityTally.objects.get(org=tree.group_a1)
    assert (tally.count, tally.expected) == (1, 3)


def test_it_keeps_the_audit_history_of_an_edit_with_the_user(tree, clerk, group_members):
    zhao = group_members[0]
    with acting_as(clerk):
        activity = _log(org=tree.group_a1, marks=_all_present(group_members), by=clerk)
        marks = _all_present(group_members[1:]) + [Mark(member_id=zhao.pk, status=ABSENT)]
        _log(org=tree.group_a1, marks=marks, by=clerk, activity=activity, host="钱二")

    row = Attendance.objects.get(activity=activity, member=zhao)
    history = list(row.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.status) for h in history] == [("+", PRESENT), ("~", ABSENT)]
    assert {h.history_user for h in history} == {clerk}
    assert Attendance.history.filter(activity_id=activity.pk, history_type="+").count() == 3
    activity_history = list(activity.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.host) for h in activity_history] == [("+", ""), ("~", "钱二")]
    assert {h.history_user for h in activity_history} == {clerk}


def _many_members(tree, n):
    return [MemberFactory(group=tree.group_a1) for _ in range(n)]


@pytest.mark.parametrize("n", [10, 50])
def test_it_logs_a_meeting_in_a_constant_number_of_queries(
    tree, clerk, django_assert_num_queries, n
):
    members = _many_members(tree, n)
    marks = [
        Mark(member_id=m.pk, status=(PRESENT, ABSENT, LEAVE)[i % 3], reason="事假")
        for i, m in enumerate(members)
    ]

    # savepoint; the organisation's lock; expected attendees; duplicate check
    # (exists); full_clean checks the org and logged_by foreign keys (2); insert
    # activity + its history row (2); existing attendance rows; guest rows to replace
    # (none yet: no delete); one bulk insert of all attendance + one of its history
    # (2); tally: aggregate, upsert (2); year tally: the year's months, upsert (2);
    # points: delete and re-derive the meeting's entries (2); release savepoint.
    with frozen(TODAY), django_assert_num_queries(19):
        activity_log(
            org=tree.group_a1,
            kind=GROUP_MEETING,
            held_on=HELD,
            marks=marks,
            recorded_by=clerk,
            guests=["列席甲", "列席乙"],
            topic="学习党章",
        )

    assert Attendance.objects.filter(is_guest=False).count() == n
    assert Attendance.history.count() == n + 2


@pytest.mark.parametrize("n", [10, 50])
def test_it_edits_a_meeting_in_a_constant_number_of_queries(
    tree, clerk, django_assert_num_queries, n
):
    members = _many_members(tree, n)
    activity = _log(org=tree.group_a1, marks=_all_present(members), by=clerk)
    marks = [Mark(member_id=m.pk, status=ABSENT) for m in members]

    # savepoint; the organisation's lock; expected attendees; duplicate check
    # (exists); full_clean FKs (2); update activity + its history row (2); existing
    # attendance rows; guest rows (none: no delete); one bulk update of the changed
    # rows + one bulk insert of their history (2); tally: aggregate, upsert (2); year
    # tally: the year's months, upsert (2); points: delete and re-derive (2); release
    # savepoint.
    with frozen(TODAY), django_assert_num_queries(19):
        _log(org=tree.group_a1, marks=marks, by=clerk, activity=activity)

    activity.refresh_from_db()
    assert activity.absent_count == n


@pytest.mark.parametrize("n", [10, 50])
def test_it_replaces_guests_and_deletes_meetings_in_a_constant_number_of_queries(
    tree, clerk, django_assert_num_queries, n
):
    members = _many_members(tree, n)
    guests = [f"列席{i}" for i in range(n)]
    activity = _log(org=tree.group_a1, marks=_all_present(members), by=clerk, guests=guests)

    # As editing above, and the old guests: their ids, their history rows copied
    # in one statement, one delete.
    with frozen(TODAY), django_assert_num_queries(21):
        _log(
            org=tree.group_a1,
            marks=_all_present(members),
            by=clerk,
            activity=activity,
            guests=["列席新"],
        )
    assert list(activity.attendance.filter(is_guest=True).values_list("guest_name", flat=True)) == [
        "列席新"
    ]

    # savepoint; the organisation's lock; attendance ids, their history, delete (3);
    # attachments delete; the activity's delete collects its (now empty) attendance,
    # attachments and 经验交流会 presentations (3), deletes it and writes its history row
    # (2), and its point entries go in one statement; tally: aggregate, delete (2); year
    # tally: the year's months (none left), delete (2); release savepoint.
    with django_assert_num_queries(17):
        activity_delete(activity=activity)

    assert not Attendance.objects.exists()
    removed = Attendance.history.filter(history_type="-")
    assert removed.count() == n + n + 1  # the first guests, then everyone at the deletion
    assert {h.history_user for h in removed} <= {None, clerk}


@pytest.mark.parametrize(
    ("content", "suffix", "content_type"),
    [
        (PNG, ".png", "image/png"),
        (JPEG, ".jpg", "image/jpeg"),
        (PDF, ".pdf", "application/pdf"),
    ],
)
def test_it_stores_an_attachment_under_a_random_name(
    tree, clerk, group_members, settings, tmp_path, content, suffix, content_type
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("签到表 3月.JPEG", content, content_type="text/plain")

    activity = _log(
        org=tree.group_a1, marks=_all_present(group_members), by=clerk, attachments=[upload]
    )

    attachment = Attachment.objects.get(activity=activity)
    assert re.fullmatch(rf"activities/[0-9a-f]{{32}}\{suffix}", attachment.file.name)
    assert attachment.original_name == "签到表 3月.JPEG"
    assert attachment.content_type == content_type  # from the bytes, not the name or browser
    assert attachment.size == len(content)
    assert attachment.uploaded_by == clerk
    # Stored in the database every process shares, not on one machine's disk.
    assert bytes(StoredFile.objects.get(name=attachment.file.name).content) == content


def test_it_gives_two_uploads_of_the_same_name_different_files(
    tree, clerk, group_members, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    uploads = [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("a.png", PNG)]

    activity = _log(
        org=tree.group_a1, marks=_all_present(group_members), by=clerk, attachments=uploads
    )

    names = {a.file.name for a in activity.attachments.all()}
    assert len(names) == 2


@pytest.mark.parametrize(
    ("upload", "needle"),
    [
        (
            lambda: SimpleUploadedFile("签到表.png", "这不是图片".encode()),
            "「签到表.png」不是 JPG、PNG 或 PDF",
        ),
        (
            lambda: SimpleUploadedFile("大扫描件.pdf", PDF + b"\x00" * (10 * 1024 * 1024)),
            "「大扫描件.pdf」超过 10 MB",
        ),
    ],
    ids=["text-named-png", "over-10-mb"],
)
def test_it_refuses_a_bad_attachment_and_writes_nothing(
    tree, clerk, group_members, settings, tmp_path, upload, needle
):
    settings.MEDIA_ROOT = tmp_path

    with pytest.raises(ValidationError) as exc:
        _log(
            org=tree.group_a1,
            marks=_all_present(group_members),
            by=clerk,
            attachments=[upload()],
        )

    assert any(needle in m for m in exc.value.message_dict["attachments"])
    assert not Activity.objects.exists()
    assert not Attachment.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_it_accepts_a_file_of_exactly_10_mb(tree, clerk, group_members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = PDF + b"\x00" * (services.MAX_ATTACHMENT_BYTES - len(PDF))

    activity = _log(
        org=tree.group_a1,
        marks=_all_present(group_members),
        by=clerk,
        attachments=[SimpleUploadedFile("scan.pdf", content)],
    )

    assert activity.attachments.get().size == services.MAX_ATTACHMENT_BYTES
