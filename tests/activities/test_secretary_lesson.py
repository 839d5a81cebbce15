"""The branch secretary's yearly 党课: the speaker recorded as a member, a cadence rule
from 2026 on that counts only lessons the branch's 书记 gave, and a form that asks for
a speaker only where a meeting has one."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from activities.models import ActivityKind, ActivityTally, CadenceRule, Period
from activities.selectors import obligations
from branches.models import OrgKind, PostTitle
from branches.services import post_assign
from reports import selectors as reports
from tests.conftest import logged_in
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen, log_meeting
from tests.test_english_walk import english_words

pytestmark = pytest.mark.django_db

D = datetime.date
LESSON = ActivityKind.LESSON
NEXT_JANUARY = D(2027, 1, 10)  # 2026 has ended: its yearly rules count


@pytest.fixture
def secretary(tree):
    member = MemberFactory(group=tree.group_a1, name="张书记")
    post_assign(
        org=tree.village_a, member=member, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1)
    )
    return member


def _secretary_lessons(items, org):
    return [o for o in items if o.org == org and o.by_secretary]


def test_it_asks_each_branch_for_one_lesson_by_its_secretary_a_year_from_2026(tree):
    rule = CadenceRule.objects.get(by_secretary=True)
    assert (rule.kind, rule.org_kind, rule.period, rule.times) == (
        LESSON,
        OrgKind.BRANCH,
        Period.YEAR,
        1,
    )
    assert rule.valid_from == D(2026, 1, 1)  # 2025 keeps the rules it was judged by

    items_2025 = obligations(orgs=[tree.village_a], start=D(2025, 1, 1), today=D(2026, 1, 5))
    items_2026 = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=NEXT_JANUARY)

    assert _secretary_lessons(items_2025, tree.village_a) == []
    (owed,) = _secretary_lessons(items_2026, tree.village_a)
    assert (owed.kind_label, owed.status, owed.period_label) == ("书记讲党课", "missing", "2026年")


def test_it_counts_a_lesson_the_secretary_gave(tree, clerk, secretary):
    activity = log_meeting(
        org=tree.village_a, kind=LESSON, held_on=D(2026, 6, 5), by=clerk, speaker_member=secretary
    )

    assert activity.speaker == "张书记"  # the name, wherever the record is read
    tally = ActivityTally.objects.get(org=tree.village_a, kind=LESSON)
    assert (tally.count, tally.by_secretary) == (1, 1)
    items = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=NEXT_JANUARY)
    (owed,) = _secretary_lessons(items, tree.village_a)
    assert (owed.status, owed.done) == ("done", 1)


@pytest.mark.parametrize("who", ["another member", "a former secretary", "a name only"])
def test_it_does_not_count_a_lesson_someone_else_gave(tree, clerk, secretary, who):
    speaker = {"speaker_member": MemberFactory(group=tree.group_a2)}
    if who == "a former secretary":
        post = secretary.posts.get()
        post.ended_on = D(2026, 6, 1)  # left the post before the lesson
        post.save()
        speaker = {"speaker_member": secretary}
    elif who == "a name only":
        speaker = {"speaker": "张书记"}  # free text proves nothing

    log_meeting(org=tree.village_a, kind=LESSON, held_on=D(2026, 6, 5), by=clerk, **speaker)

    items = obligations(orgs=[tree.village_a], start=D(2026, 1, 1), today=NEXT_JANUARY)
    (owed,) = _secretary_lessons(items, tree.village_a)
    assert (owed.status, owed.done) == ("missing", 0)
    quarter = next(
        o for o in items if o.kind == LESSON and o.start == D(2026, 4, 1) and not o.by_secretary
    )
    assert quarter.status == "done"  # a lesson all the same


def test_it_refuses_a_speaker_outside_the_organisation_or_a_meeting_without_one(tree, clerk):
    outsider = MemberFactory(branch=tree.organ_a, name="外单位")
    with pytest.raises(ValidationError) as outside:
        log_meeting(
            org=tree.village_a,
            kind=LESSON,
            held_on=D(2026, 6, 5),
            by=clerk,
            speaker_member=outsider,
        )
    member = MemberFactory(branch=tree.village_a)
    with pytest.raises(ValidationError) as no_speaker:
        log_meeting(
            org=tree.village_a,
            kind=ActivityKind.GENERAL_MEETING,
            held_on=D(2026, 6, 5),
            by=clerk,
            speaker_member=member,
        )

    assert "不是「甲村党支部」的党员" in outside.value.message_dict["speaker_member"][0]
    assert no_speaker.value.message_dict["speaker_member"] == [
        "「支部党员大会」没有授课人，只有党课填写。"
    ]


def test_it_reports_the_secretarys_lessons_in_their_own_column(tree, clerk, secretary):
    log_meeting(
        org=tree.village_a, kind=LESSON, held_on=D(2026, 6, 5), by=clerk, speaker_member=secretary
    )

    data = reports.compliance(node=tree.township_a, year=2026, today=NEXT_JANUARY, by="month")

    assert ("secretary_lesson", "书记讲党课") in data.kinds
    village, organ = data.children
    assert (village.kinds["secretary_lesson"].done, village.kinds["secretary_lesson"].due) == (1, 1)
    assert (organ.kinds["secretary_lesson"].done, organ.kinds["secretary_lesson"].due) == (0, 1)
    missing = [
        (m.org_name, m.kind_label, m.period_label)
        for m in data.missing
        if m.kind == "secretary_lesson"
    ]
    assert missing == [("甲镇党委/甲镇机关党支部", "书记讲党课", "2026年")]


def test_it_lets_the_secretarys_rule_run_beside_the_quarterly_lessons(tree):
    quarterly = CadenceRule.objects.get(kind=LESSON, org_kind=OrgKind.BRANCH, by_secretary=False)
    quarterly.full_clean()  # no overlap with the secretary's rule
    twin = CadenceRule(
        kind=LESSON,
        org_kind=OrgKind.BRANCH,
        period=Period.YEAR,
        by_secretary=True,
        valid_from=D(2027, 1, 1),
    )
    with pytest.raises(ValidationError, match="有效期不能重叠"):
        twin.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        CadenceRule.objects.create(
            kind=ActivityKind.COMMITTEE,
            org_kind=OrgKind.BRANCH,
            period=Period.YEAR,
            by_secretary=True,
            valid_from=D(2026, 1, 1),
        )


def _form(client, org, kind):
    url = reverse("activities:activity_log") + f"?org={org.pk}&kind={kind}&held_on=2026-06-05"
    return client.get(url)


def test_it_asks_for_a_speaker_only_on_the_lessons_form(tree, clerk, secretary):
    client = logged_in(clerk)
    with frozen(beijing(2026, 6, 10)):
        lesson = _form(client, tree.village_a, LESSON).content.decode()
        meeting = _form(client, tree.village_a, ActivityKind.GENERAL_MEETING).content.decode()
        group = _form(client, tree.group_a1, ActivityKind.GROUP_MEETING).content.decode()

    assert 'name="speaker_member"' in lesson and 'name="speaker"' in lesson
    assert f'<option value="{secretary.pk}">张书记</option>' in lesson
    for page in (meeting, group):
        assert "授课人" not in page
        assert 'name="speaker' not in page
    assert {word for word, _where in english_words(lesson)} <= {clerk.username}


def test_it_saves_the_speaker_chosen_on_the_form(tree, clerk, secretary):
    client = logged_in(clerk)
    url = reverse("activities:activity_log") + f"?org={tree.village_a.pk}&kind={LESSON}"
    data = {"held_on": "2026-06-05", "topic": "学习党章", "speaker_member": secretary.pk}
    data[f"status_{secretary.pk}"] = "present"
    with frozen(beijing(2026, 6, 10)):
        saved = client.post(url, data)
        garbled = client.post(url, {**data, "speaker_member": "x'1"})

    assert saved.status_code == 302
    lesson = tree.village_a.activities.get()
    assert (lesson.speaker_member, lesson.speaker) == (secretary, "张书记")
    assert garbled.status_code == 400
