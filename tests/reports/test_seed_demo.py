import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.test import override_settings

from activities.ledgers.tallies import ledger_tally_rebuild
from activities.models import (
    Activity,
    ActivityTally,
    Attendance,
    EntryStatus,
    GroupRank,
    LedgerMemberTally,
    LedgerTally,
    PointEntry,
    Rating,
    TallyLedger,
)
from branches.models import BranchCategory, Organization, OrgKind, Post, User
from members.idcard import parse_id_number
from members.models import Member, Membership, Transfer

# The demo `make run` loads is seeded on SQLite, the embedded default; seeding on
# PostgreSQL is the bench test's (tests/reports/test_bench.py), which runs there.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small demo, built once for this module (the slow part of the suite).

    It is written inside a transaction the module holds open: each test runs
    in a savepoint within it, as in Django's ``setUpTestData``, and the whole
    build is rolled back after the last test.
    """
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py does
    with django_db_blocker.unblock(), override_settings(DEBUG=True, PASSWORD_HASHERS=fast):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed(scale="small", seed=5, today=datetime.date(2026, 6, 30))
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_it_builds_the_small_county_with_valid_consistent_members(demo):
    output = demo

    assert Organization.objects.filter(kind=OrgKind.COUNTY).count() == 1
    assert Organization.objects.filter(kind=OrgKind.TOWNSHIP).count() == 4
    branches = Organization.objects.filter(kind=OrgKind.BRANCH)
    # 36–48 under the townships, 9 under the 工委 and the village 党委.
    assert 49 <= branches.count() <= 61
    assert set(
        Organization.objects.filter(kind=OrgKind.WORK_COMMITTEE).values_list("name", flat=True)
    ) == {"县直机关工委", "县两新组织工委"}
    general = Organization.objects.get(kind=OrgKind.GENERAL_BRANCH, name="县财政局党总支")
    assert general.parent.name == "县直机关工委"
    assert branches.filter(parent=general, category="organ").count() == 2
    committee = Organization.objects.get(kind=OrgKind.PRIMARY_COMMITTEE, category="village")
    assert committee.parent.parent.kind == OrgKind.COUNTY
    assert branches.filter(parent=committee, category="village", children__isnull=False).exists()
    assert (
        branches.filter(parent__name="县两新组织工委", category="private_enterprise").count() == 1
    )
    assert (
        branches.filter(category="village").count() > branches.exclude(category="village").count()
    )
    assert Organization.objects.filter(kind=OrgKind.GROUP).count() > 80
    members = list(Member.objects.select_related("branch", "group"))
    assert 1200 <= len(members) <= 2000
    for member in members[::37]:
        info = parse_id_number(member.id_number)
        assert (info.birth_date, info.sex) == (member.birth_date, member.sex)
        member.full_clean()  # every rule of the registry holds for demo rows
    on_roster = [m for m in members if m.roster_status == "active"]
    assert Membership.objects.open().count() == len(on_roster)
    # Letters in every state a clerk meets: open, received, past validity, out and in.
    letters = Transfer.objects.all()
    assert {(t.kind, t.state) for t in letters} == {
        ("within", "issued"),
        ("within", "received"),
        ("out", "issued"),
        ("out", "received"),
        ("in", "received"),
    }
    assert any(t.is_past_validity(datetime.date(2026, 6, 30)) for t in letters)
    assert len(members) - len(on_roster) >= 4  # each township's 回执 that came back
    # One secretary in post per branch; re-elected ones keep the post they held before.
    assert Post.objects.filter(title="secretary", ended_on=None).count() == branches.count()
    assert User.objects.get(username="admin").check_password("dangjian-demo")
    roles = {u.username: (u.org.kind, [g.name for g in u.groups.all()]) for u in User.objects.all()}
    assert roles == {
        "admin": (OrgKind.COUNTY, []),
        "county": (OrgKind.COUNTY, ["县委组织部"]),
        "clerk_a": (OrgKind.TOWNSHIP, ["乡镇专干"]),
        "clerk_b": (OrgKind.TOWNSHIP, ["乡镇专干"]),
        "secretary_a": (OrgKind.BRANCH, ["支部书记"]),
    }
    clerk_a, clerk_b = User.objects.get(username="clerk_a"), User.objects.get(username="clerk_b")
    assert clerk_a.org != clerk_b.org
    assert User.objects.get(username="secretary_a").org.parent == clerk_a.org
    assert "dangjian-demo" in output and "admin" in output


def test_it_builds_a_year_of_meetings_up_to_the_date_with_consistent_counts(demo):
    activities = Activity.objects.all()
    assert activities.filter(held_on__gte=datetime.date(2026, 6, 30)).count() == 0
    assert activities.filter(held_on__lt=datetime.date(2026, 1, 1)).count() == 0
    kinds = set(activities.values_list("kind", flat=True))
    assert {"group_meeting", "theme_day", "general_meeting", "lesson"} <= kinds
    sample = activities.order_by("pk")[::50]
    for activity in sample:
        rows = activity.attendance.all()
        assert activity.expected_count == len(rows)
        assert activity.present_count == sum(r.status == "present" for r in rows)
        assert all(r.reason for r in rows if r.status == "leave")
    tallied = ActivityTally.objects.aggregate(n=Sum("count"))["n"]
    assert tallied == activities.count()


def test_it_refuses_a_non_empty_database_unless_asked_to_skip(demo):
    with pytest.raises(CommandError, match="已有组织数据"):
        seed(scale="small")
    assert "跳过" in seed(scale="small", if_empty=True)


def test_it_scores_the_demo_year_from_its_attendance(demo):
    output = demo

    scored = Attendance.objects.filter(is_guest=False, status__in=["present", "absent"])
    # The other derived entries, 欠缴党费, come from the dues ledger.
    derived = PointEntry.objects.filter(status=EntryStatus.AUTO, activity__isnull=False)
    assert derived.count() == scored.count()
    assert PointEntry.objects.filter(status=EntryStatus.PENDING).exists()
    # The draft was computed before the day's letters: arrivals are not in it yet.
    assert Rating.objects.count() == Member.objects.exclude(transfers__kind="in").count()
    assert GroupRank.objects.filter(is_last=True).exists()
    assert f"{Rating.objects.count()} 名党员的评星草稿" in output


def test_it_places_the_demo_in_a_fictional_county_with_a_fictional_area_code(demo):
    county = Organization.objects.get(kind=OrgKind.COUNTY)
    assert (county.name, county.short_name) == ("桐溪县委", "桐溪县")
    areas = {number[:6] for number in Member.objects.values_list("id_number", flat=True)}
    # Hebei's prefectures end at 1311: no real county's code starts 1312.
    assert areas == {"131221", "131222", "131223"}
    # Stations belong to their county system's committee, never to a township.
    stations = Q(name__contains="派出所") | Q(name__contains="供电所")
    assert not Organization.objects.filter(stations, parent__kind=OrgKind.TOWNSHIP).exists()


def test_it_places_the_stations_under_their_county_system_s_committee(demo):
    stations = Organization.objects.filter(
        Q(name__endswith="派出所党支部") | Q(name__endswith="供电所党支部")
    )
    assert stations.count() == 4
    assert set(stations.values_list("parent__name", flat=True)) == {
        "县公安局党委",
        "县供电公司党委",
    }
    assert {s.parent.parent.kind for s in stations.select_related("parent__parent")} == {
        OrgKind.COUNTY
    }


def test_it_founds_every_organisation_on_or_after_its_parent(demo):
    younger_than_parent = Organization.objects.filter(
        parent__isnull=False, founded_on__lt=F("parent__founded_on")
    )
    assert Organization.objects.filter(founded_on__isnull=True).count() == 0
    assert younger_than_parent.count() == 0
    assert Organization.objects.filter(founded_on__gte=datetime.date(2026, 1, 1)).count() == 0


def test_it_meets_where_each_kind_of_branch_meets(demo):
    townless = [BranchCategory.ORGAN, BranchCategory.INSTITUTION]
    held_by_units = Activity.objects.filter(org__category__in=townless)
    assert held_by_units.exists()
    assert not held_by_units.filter(place__startswith="村").exists()
    assert Activity.objects.filter(org__category="village", place="村党群服务中心").exists()


def test_it_never_records_a_lost_member_at_a_meeting_after_contact_was_lost(demo):
    lost = Member.objects.filter(lost_contact=True)
    assert lost.exists()
    after = Attendance.objects.filter(
        member__in=lost, activity__held_on__gte=F("member__lost_contact_on")
    )
    assert not after.exists()


def test_it_has_each_branch_s_lessons_given_by_its_secretary(demo):
    lessons = Activity.objects.filter(kind="lesson", org__kind=OrgKind.BRANCH)
    assert lessons.exists()
    secretaries = dict(
        Post.objects.filter(title="secretary", ended_on=None).values_list("org_id", "member_id")
    )
    for org_id, speaker_id in lessons.values_list("org_id", "speaker_member_id"):
        assert speaker_id == secretaries[org_id]
    # So the yearly rule (书记讲党课) sees them, through the tallies.
    assert ActivityTally.objects.filter(kind="lesson", by_secretary__gt=0).exists()


def test_it_expects_no_suspended_member_at_meetings(demo):
    suspended = Member.objects.filter(party_status="suspended")
    assert suspended.exists()
    assert not Attendance.objects.filter(member__in=suspended).exists()


def test_it_varies_the_share_of_women_by_kind_of_branch(demo):
    def share(categories):
        counts = Member.objects.filter(branch__category__in=categories).aggregate(
            women=Count("pk", filter=Q(sex="F")), all=Count("pk")
        )
        return counts["women"] / counts["all"]

    assert 0.05 <= share(["village"]) <= 0.16
    assert 0.30 <= share(["organ", "institution"]) <= 0.50


def test_it_keeps_the_ledger_tallies_of_the_rows_it_wrote_in_bulk(demo):
    kept = set(LedgerTally.objects.values_list("ledger", flat=True).distinct())
    assert kept == set(TallyLedger.values)
    assert LedgerMemberTally.objects.exists()
    assert ledger_tally_rebuild() == 0  # a recount from the rows changes nothing
