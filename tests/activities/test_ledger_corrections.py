"""Taking back a working ledger's record logged by mistake, and correcting a study
session: the admin's delete goes through each ledger's service (the derived points
follow, a checked 民情日志 month refuses), only those who record a ledger may delete,
another township's record is not found, and the study session's own edit page
moves its attendees' 学时 and 学习达标 points with it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from activities.ledgers.study import services as study
from activities.ledgers.tallies import ledger_tally_rebuild
from activities.models import (
    DiaryEntry,
    DutyLog,
    PairingVisit,
    PointEntry,
    PointSource,
    StudyAttendance,
    StudySession,
    Talk,
)
from tests.activities.test_diary import cadre_of, check, entry, secretary_of
from tests.activities.test_duty_posts import assign, duty_points, log, post_of
from tests.activities.test_pairs import pair, visit, visit_points
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date
H = Decimal
# Whatever the number of attendees: the edit page and the admin's confirmation read a
# fixed number of rows; posted, the attendees' points and tallies are rewritten for the
# year in a few statements, and the admin's delete logs itself (django_admin_log) and
# keeps the history of every row it takes in one statement a table.
QUERIES_EDIT_PAGE, QUERIES_EDIT, QUERIES_DELETE_PAGE, QUERIES_DELETE = 9, 35, 10, 38


@pytest.fixture(autouse=True)
def september():
    with frozen(beijing(2026, 9, 15)):
        yield


def delete(client, model: str, pk: int):
    """The admin's delete confirmed, as the clerk's 删除 link leads to it."""
    return client.post(reverse(f"admin:activities_{model}_delete", args=[pk]), {"post": "yes"})


def study_points(member) -> list[tuple]:
    return list(
        PointEntry.objects.filter(member=member, source=PointSource.STUDY).values_list(
            "date", "year"
        )
    )


@pytest.fixture
def thirty_two(tree, clerk_a):
    """甲村's 张一 at 32 学时 in 2026: four sessions of 8, the last on 1 July."""
    zhang = MemberFactory(branch=tree.village_a, name="张一")
    sessions = [
        study.study_session_record(
            org=tree.village_a,
            date=D(2026, month, 1),
            topic="学习党章",
            form="class",
            hours=H(8),
            members=[zhang],
            by=clerk_a,
        )
        for month in (4, 5, 6, 7)
    ]
    return zhang, sessions


def test_a_study_session_deleted_takes_its_attendance_and_the_points_it_brought(
    thirty_two, clerk_a_client
):
    zhang, sessions = thirty_two
    assert study_points(zhang) == [(D(2026, 7, 1), 2026)]
    last = sessions[-1]
    confirm = clerk_a_client.get(reverse("admin:activities_studysession_delete", args=[last.pk]))
    assert confirm.status_code == 200
    assert "1名党员的参加记录一并删除" in confirm.content.decode()
    response = delete(clerk_a_client, "studysession", last.pk)
    assert response.status_code == 302
    assert not StudySession.objects.filter(pk=last.pk).exists()
    assert not StudyAttendance.objects.filter(session_id=last.pk).exists()
    # 24 学时 left: 学习达标 is gone; the deleted session stays in the audit trail.
    assert study_points(zhang) == []
    assert StudySession.history.filter(id=last.pk, history_type="-").exists()
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


def test_a_study_session_corrected_moves_its_hours_and_points(thirty_two, clerk_a_client):
    zhang, sessions = thirty_two
    first = sessions[0]
    url = reverse("activities:study_edit", args=[first.pk])
    page = clerk_a_client.get(url)
    assert page.status_code == 200
    assert 'value="学习党章"' in page.content.decode()
    # Back to last December: 2026 falls to 24 学时 and loses its points.
    response = clerk_a_client.post(
        url, {"date": "2025-12-20", "topic": " 学习党章（补记） ", "form": "lesson", "hours": "8"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.date, first.topic, first.form) == (D(2025, 12, 20), "学习党章（补记）", "lesson")
    assert study_points(zhang) == []
    # Put back in April, the year is at 32 again from 1 July.
    response = clerk_a_client.post(
        url, {"date": "2026-04-01", "topic": "学习党章", "form": "class", "hours": "8"}
    )
    assert response.status_code == 302
    assert study_points(zhang) == [(D(2026, 7, 1), 2026)]
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2026-09-16", "hours": "2"}, "学习日期不能晚于今天"),
        ({"date": "2026-05-01", "hours": "9"}, "一次学习不能超过8学时"),
        ({"date": "2026-05-01", "hours": "1.2"}, "学时按半小时计"),
    ],
)
def test_a_study_session_correction_that_cannot_be_is_refused_with_a_message(
    thirty_two, clerk_a_client, data, message
):
    _zhang, sessions = thirty_two
    url = reverse("activities:study_edit", args=[sessions[0].pk])
    response = clerk_a_client.post(url, {"topic": "学习党章", "form": "class", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    sessions[0].refresh_from_db()
    assert (sessions[0].date, sessions[0].hours) == (D(2026, 4, 1), H(8))


def test_the_session_page_offers_the_corrections_to_those_who_may_make_them(
    thirty_two, clerk_a_client, secretary_a_client
):
    _zhang, sessions = thirty_two
    url = reverse("activities:study_detail", args=[sessions[0].pk])
    clerk = clerk_a_client.get(url).content.decode()
    assert reverse("activities:study_edit", args=[sessions[0].pk]) in clerk
    assert reverse("admin:activities_studysession_delete", args=[sessions[0].pk]) in clerk
    secretary = secretary_a_client.get(url).content.decode()
    assert 'id="study-corrections"' not in secretary
    assert (
        secretary_a_client.get(reverse("activities:study_edit", args=[sessions[0].pk])).status_code
        == 403
    )


def test_another_townships_records_are_not_found_and_stay(thirty_two, clerk_b_client):
    _zhang, sessions = thirty_two
    response = clerk_b_client.get(reverse("activities:study_edit", args=[sessions[0].pk]))
    assert response.status_code == 404
    delete(clerk_b_client, "studysession", sessions[0].pk)
    assert StudySession.objects.filter(pk=sessions[0].pk).exists()


def test_a_branch_secretary_reads_the_records_but_may_not_delete_them(
    thirty_two, secretary_a_client
):
    _zhang, sessions = thirty_two
    assert delete(secretary_a_client, "studysession", sessions[0].pk).status_code == 403
    assert StudySession.objects.filter(pk=sessions[0].pk).exists()


def test_a_talk_deleted_is_gone_from_the_list(tree, clerk_a, clerk_a_client):
    from activities.ledgers.talks.services import talk_record

    a = MemberFactory(branch=tree.village_a, name="甲")
    b = MemberFactory(branch=tree.village_a, name="乙")
    talk = talk_record(
        org=tree.village_a, initiator=a, partner=b, talked_on=D(2026, 5, 6), by=clerk_a
    )
    listed = clerk_a_client.get(reverse("activities:talk_list"), {"year": 2026}).content.decode()
    assert reverse("admin:activities_talk_delete", args=[talk.pk]) in listed
    assert delete(clerk_a_client, "talk", talk.pk).status_code == 302
    assert not Talk.objects.exists()
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


def test_a_duty_log_deleted_takes_its_points(tree, clerk_a, clerk_a_client):
    member = MemberFactory(branch=tree.village_a)
    held = assign(post_of(tree.village_a, clerk_a), member, clerk_a)
    kept, wrong = log(held, clerk_a, on=D(2026, 6, 1)), log(held, clerk_a, on=D(2026, 6, 2))
    assert len(duty_points(member)) == 2
    assert delete(clerk_a_client, "dutylog", wrong.pk).status_code == 302
    assert list(DutyLog.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [row[1] for row in duty_points(member)] == [D(2026, 6, 1)]
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


def test_a_visit_deleted_takes_its_points(tree, clerk_a, clerk_a_client):
    member = MemberFactory(branch=tree.village_a)
    pairing = pair(tree.village_a, clerk_a, member=member)
    wrong = visit(pairing, clerk_a, on=D(2026, 6, 3))
    assert len(visit_points(member)) == 1
    assert delete(clerk_a_client, "pairingvisit", wrong.pk).status_code == 302
    assert not PairingVisit.objects.exists()
    assert visit_points(member) == []
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


def test_a_diary_entry_of_a_checked_month_is_kept_with_the_reason(tree, clerk_a, clerk_a_client):
    cadre, secretary = cadre_of(tree.village_a), secretary_of(tree.village_a)
    checked = entry(tree.village_a, cadre, clerk_a, on=D(2026, 7, 3))
    check(tree.village_a, secretary, clerk_a, month=D(2026, 7, 1), on=D(2026, 8, 2))
    open_month = entry(tree.village_a, cadre, clerk_a, on=D(2026, 8, 3))
    response = delete(clerk_a_client, "diaryentry", checked.pk)
    assert response.status_code == 302
    followed = clerk_a_client.get(response.url).content.decode()
    assert "2026年7月的民情日志已审阅，不能再删除其中的记录。" in followed
    assert DiaryEntry.objects.filter(pk=checked.pk).exists()
    listed = clerk_a_client.get(reverse("activities:diary_list"), {"year": 2026}).content.decode()
    assert reverse("admin:activities_diaryentry_delete", args=[open_month.pk]) in listed
    assert reverse("admin:activities_diaryentry_delete", args=[checked.pk]) not in listed
    assert delete(clerk_a_client, "diaryentry", open_month.pk).status_code == 302
    assert list(DiaryEntry.objects.values_list("pk", flat=True)) == [checked.pk]
    # The kept tallies the summaries read followed: a rebuild from the rows changes nothing.
    assert ledger_tally_rebuild() == 0


def test_the_services_refuse_a_correction_dated_after_today(thirty_two):
    _zhang, sessions = thirty_two
    with pytest.raises(ValidationError, match="学习日期"):
        study.study_session_change(
            session=sessions[0], date=D(2026, 9, 16), topic="x", form="class", hours=H(2)
        )


def _session_of(tree, clerk_a, n: int) -> StudySession:
    members = [MemberFactory(branch=tree.village_a) for _ in range(n)]
    return study.study_session_record(
        org=tree.village_a,
        date=D(2026, 3, 1),
        topic="学习党章",
        form="class",
        hours=H(8),
        members=members,
        by=clerk_a,
    )


@pytest.mark.parametrize("n", [2, 20])
def test_a_correction_reads_and_writes_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_num_queries
):
    url = reverse("activities:study_edit", args=[_session_of(tree, clerk_a, n).pk])
    data = {"date": "2026-03-02", "topic": "学习党章", "form": "class", "hours": "4"}
    with django_assert_num_queries(QUERIES_EDIT_PAGE):
        assert clerk_a_client.get(url).status_code == 200
    with django_assert_num_queries(QUERIES_EDIT):
        assert clerk_a_client.post(url, data).status_code == 302


@pytest.mark.parametrize("n", [2, 20])
def test_a_deletion_reads_and_writes_a_fixed_number_of_queries(
    tree, clerk_a, clerk_a_client, n, django_assert_num_queries
):
    pk = _session_of(tree, clerk_a, n).pk
    url = reverse("admin:activities_studysession_delete", args=[pk])
    with django_assert_num_queries(QUERIES_DELETE_PAGE):
        page = clerk_a_client.get(url)
    assert f"{n}名党员的参加记录一并删除" in page.content.decode()
    # The admin's log looks the content type up once per process (Django caches it).
    ContentType.objects.get_for_model(StudySession)
    with django_assert_num_queries(QUERIES_DELETE):
        assert delete(clerk_a_client, "studysession", pk).status_code == 302
