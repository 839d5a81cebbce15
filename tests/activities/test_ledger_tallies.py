"""The working ledgers' kept tallies (``activities.ledgers.tallies``): each ledger's
services recount them in their transaction, a sequence of writes leaves them equal to a
rebuild from scratch, the rebuild, the command and the data migration are idempotent,
and a member counted in two places under one child is counted once there."""

from __future__ import annotations

import datetime
import io
import threading
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from activities.ledgers.diary import services as diary
from activities.ledgers.duty import services as duty
from activities.ledgers.grouprep import services as grouprep
from activities.ledgers.grouprep.selectors import report_summary
from activities.ledgers.pairs import services as pairs
from activities.ledgers.pledges import services as pledges
from activities.ledgers.pledges.selectors import pledge_summary
from activities.ledgers.study import services as study
from activities.ledgers.study.selectors import study_totals
from activities.ledgers.talks import services as talks
from activities.ledgers.tallies import ledger_tally_rebuild
from activities.models import (
    Fulfilment,
    LedgerMemberTally,
    LedgerTally,
    Pledge,
    TallyLedger,
)
from branches.models import PostTitle
from branches.services import post_assign
from tests.concurrency import at_once, restore_roles
from tests.factories import MemberFactory
from tests.helpers import beijing, frozen

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def september():
    with frozen(beijing(2026, 9, 15)):
        yield


def kept() -> tuple[set, set]:
    return (
        set(LedgerTally.objects.values_list("org_id", "year", "ledger", "metric", "value")),
        set(LedgerMemberTally.objects.values_list("member_id", "year", "ledger", "value")),
    )


def tally(org, ledger, year=2026) -> dict[str, int]:
    return dict(
        LedgerTally.objects.filter(org=org, ledger=ledger, year=year).values_list("metric", "value")
    )


def member_tally(member, ledger, year=2026) -> int | None:
    row = LedgerMemberTally.objects.filter(member=member, ledger=ledger, year=year).first()
    return row and row.value


MADE, DUE = D(2026, 3, 1), D(2026, 8, 31)


def pledge(member, by, *, org=None, made=MADE, due=DUE):
    return pledges.pledge_create(
        org=org or member.branch,
        member=member,
        made_on=made,
        category="public",
        text="为村里修一段路",
        due_on=due,
        by=by,
    )


def write_every_ledger(tree, clerk) -> dict:
    """A year of each ledger, through its services, across two years."""
    v = tree.village_a
    a1, a2 = MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a2)
    cadre = MemberFactory(branch=v)
    secretary = MemberFactory(branch=v)
    post_assign(org=v, member=secretary, title=PostTitle.SECRETARY, started_on=D(2024, 1, 1))
    kept_pledge = pledge(a1, clerk)
    pledges.pledge_fulfil(
        pledge=kept_pledge,
        fulfilment=Fulfilment.DONE,
        fulfilled_on=D(2026, 8, 1),
        evidence="路已修好",
        by=clerk,
    )
    pledges.pledge_assess(
        pledge=kept_pledge,
        assessed_on=D(2026, 9, 1),
        satisfied=8,
        fairly_satisfied=1,
        dissatisfied=1,
        by=clerk,
    )
    pledge(a2, clerk, made=D(2025, 3, 1), due=D(2025, 6, 1))
    post = duty.duty_post_create(
        org=v, name="政策宣传岗", duty="宣讲", set_up_on=D(2025, 2, 1), by=clerk
    )
    on_post = duty.duty_assign(post=post, member=cadre, started_on=D(2025, 3, 1), by=clerk)
    for day in (D(2025, 12, 1), D(2026, 4, 1), D(2026, 5, 1)):
        duty.duty_log_record(assignment=on_post, done_on=day, text="入户宣讲", by=clerk)
    pairing = pairs.pairing_create(
        org=v,
        member=cadre,
        helper_unit="",
        partner_kind="household",
        partner_name="王秀英",
        address="三组",
        difficulty="illness",
        started_on=D(2025, 6, 1),
        by=clerk,
    )
    for day in (D(2025, 7, 1), D(2026, 2, 1), D(2026, 3, 1)):
        pairs.visit_record(
            pairing=pairing,
            visited_on=day,
            kind="call",
            help_given="送米油",
            value_note="",
            by=clerk,
        )
    pairs.pairing_end(pairing=pairing, ended_on=D(2026, 6, 30), by=clerk)
    for day, outcome in ((D(2026, 3, 5), "resolved"), (D(2026, 4, 5), "following")):
        diary.diary_entry_record(
            org=v,
            cadre=cadre,
            date=day,
            household="张家",
            concern="修路",
            action="联系",
            outcome=outcome,
            by=clerk,
        )
    diary.diary_check(
        org=v, month=D(2026, 3, 1), checked_on=D(2026, 4, 2), checked_by=secretary, by=clerk
    )
    talks.talk_record(org=v, initiator=secretary, partner=cadre, talked_on=D(2026, 5, 6), by=clerk)
    session = study.study_session_record(
        org=v,
        date=D(2026, 3, 10),
        topic="学习党章",
        form="class",
        hours=Decimal("2.5"),
        members=[cadre, secretary],
        by=clerk,
    )
    study.study_attendance_set(session=session, branch=v, members=[cadre], by=clerk)
    for month in (D(2026, 7, 1), D(2026, 9, 1)):  # 7月 late, 9月 under way
        grouprep.group_report_submit(org=tree.group_a1, month=month, work="学习讨论", by=clerk)
    return {"a1": a1, "cadre": cadre, "secretary": secretary, "session": session}


# --- Each service recounts its ledger ----------------------------------------------------


def test_every_ledger_service_recounts_its_tally(tree, clerk_a):
    people = write_every_ledger(tree, clerk_a)
    v = tree.village_a
    assert tally(tree.group_a1, TallyLedger.PLEDGES) == {
        "made": 1,
        "members": 1,
        "done": 1,
        "on_time": 1,
        "satisfied": 8,
        "fairly_satisfied": 1,
        "dissatisfied": 1,
    }
    assert tally(tree.group_a2, TallyLedger.PLEDGES, 2025) == {"made": 1, "members": 1}
    assert tally(v, TallyLedger.DUTY) == {"logs": 2}
    assert tally(v, TallyLedger.DUTY, 2025) == {"logs": 1}
    assert tally(v, TallyLedger.PAIRS) == {"visits": 2, "visited": 1}
    assert tally(v, TallyLedger.PAIRS, 2025) == {"visits": 1, "visited": 1}
    assert tally(v, TallyLedger.DIARY) == {
        "entries": 2,
        "resolved": 1,
        "following": 1,
        "months": 2,
        "checked": 1,
    }
    assert tally(v, TallyLedger.TALKS) == {"talks": 1, "branches": 1}
    assert member_tally(people["cadre"], TallyLedger.TALKS) == 1
    assert member_tally(people["secretary"], TallyLedger.TALKS) == 1
    # 学时 in tenths; the secretary taken off the attendance has no row left.
    assert tally(v, TallyLedger.STUDY) == {"sessions": 1, "hours": 25}
    assert member_tally(people["cadre"], TallyLedger.STUDY) == 25
    assert member_tally(people["secretary"], TallyLedger.STUDY) is None
    assert tally(tree.group_a1, TallyLedger.GROUPREP) == {"submitted": 2, "on_time": 1}
    # The month under way is reported but not yet due: the summary leaves it out.
    reports = report_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    assert (reports.total.values["submitted"], reports.total.values["on_time"]) == (1, 0)
    assert study_totals(node=tree.township_a, year=2026) == {
        "sessions": 1,
        "hours": Decimal("2.5"),
    }


def test_the_tallies_equal_a_rebuild_from_scratch_and_rebuilding_is_idempotent(tree, clerk_a):
    write_every_ledger(tree, clerk_a)
    incremental = kept()
    assert incremental[0] and incremental[1]

    assert ledger_tally_rebuild() == 0  # nothing to change
    assert ledger_tally_rebuild(year=2026) == 0
    LedgerTally.objects.all().delete()
    LedgerMemberTally.objects.all().delete()
    assert ledger_tally_rebuild() == len(incremental[0]) + len(incremental[1])
    assert kept() == incremental

    out = io.StringIO()
    call_command("ledger_tally_rebuild", stdout=out)
    assert "改写0行" in out.getvalue()
    assert kept() == incremental


def test_a_stale_tally_is_corrected_by_the_rebuild(tree, clerk_a):
    write_every_ledger(tree, clerk_a)
    incremental = kept()
    LedgerTally.objects.filter(metric="logs").update(value=99)
    LedgerTally.objects.create(
        org=tree.organ_a, year=2026, ledger=TallyLedger.DIARY, metric="entries", value=3
    )
    assert ledger_tally_rebuild(year=2026) == 2
    assert kept() != incremental  # 2025's logs are left to a rebuild of 2025
    ledger_tally_rebuild()
    assert kept() == incremental


def test_the_data_migration_builds_what_the_rebuild_does(tree, clerk_a):
    write_every_ledger(tree, clerk_a)
    incremental = kept()
    LedgerTally.objects.all().delete()
    LedgerMemberTally.objects.all().delete()
    import_module("activities.migrations.0036_ledger_tallies_build").build(apps, None)
    assert kept() == incremental


# --- Members counted distinct per child --------------------------------------------------


def _live_members(node, year) -> dict[str, int]:
    """The summary's figure as it was counted before the tallies: members distinct per
    child, from the pledges themselves."""
    width = len(node.path) + 4
    rows = {}
    for pledge_row in Pledge.objects.filter(year=year, org__path__startswith=node.path).values(
        "member_id", "org__path"
    ):
        if pledge_row["member_id"] is not None:
            rows.setdefault(pledge_row["org__path"][:width], set()).add(pledge_row["member_id"])
    return {child: len(members) for child, members in rows.items()}


def test_a_member_who_pledged_in_two_groups_counts_once_in_their_branch(tree, clerk_a):
    moved = MemberFactory(group=tree.group_a1)
    stayed = MemberFactory(group=tree.group_a1)
    pledge(moved, clerk_a)
    pledge(stayed, clerk_a)
    moved.group = tree.group_a2
    moved.save()
    pledge(moved, clerk_a)
    pledge(moved, clerk_a)
    assert member_tally(moved, TallyLedger.PLEDGES) == 1  # one organisation beyond the first
    assert member_tally(stayed, TallyLedger.PLEDGES) is None

    township = pledge_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    village = next(r for r in township.rows if r.org == tree.village_a)
    assert village.values["members"] == 2 == _live_members(tree.township_a, 2026)[village.org.path]
    assert village.values["made"] == 4
    # Under the branch the rows are the groups: the member counts in each.
    branch = pledge_summary(node=tree.village_a, year=2026, today=D(2026, 9, 15))
    assert [r.values["members"] for r in branch.rows] == [2, 1]
    assert branch.total.values["members"] == 3  # the rows add up, as before


def test_the_overdue_pledges_are_counted_on_the_day_asked(tree, clerk_a):
    member = MemberFactory(group=tree.group_a1)
    pledge(member, clerk_a, due=D(2026, 9, 1))
    early = pledge_summary(node=tree.township_a, year=2026, today=D(2026, 8, 31))
    late = pledge_summary(node=tree.township_a, year=2026, today=D(2026, 9, 15))
    assert early.total.values["overdue"] == 0
    assert late.total.values["overdue"] == 1
    assert (
        Pledge.objects.values("org").annotate(n=Count("pk")).count()
        == LedgerTally.objects.filter(metric="made").count()
    )


# --- Concurrent writes ---------------------------------------------------------------------


@pytest.fixture
def roles(transactional_db):
    """The roles an earlier transactional test's flush dropped, back before the cast."""
    restore_roles()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pledge_kept_while_another_is_uncommitted_counts_both(roles, tree, clerk_a):
    # The first pledge's transaction stays open after its recount; the second pledge
    # is written meanwhile. Without the organisation held, the second counts only its
    # own pledge (the first is not committed) and its upsert, waiting on the first's
    # tally row, would then keep a count one short.
    first, second = MemberFactory(group=tree.group_a1), MemberFactory(group=tree.group_a1)
    recounted, go_on = threading.Event(), threading.Event()

    def keep_open():
        with transaction.atomic():
            pledge(first, clerk_a)
            recounted.set()
            go_on.wait(10)

    def meanwhile():
        recounted.wait(10)
        threading.Timer(0.5, go_on.set).start()  # the second blocks; then the first commits
        return pledge(second, clerk_a)

    results = at_once(keep_open, meanwhile)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert tally(tree.group_a1, TallyLedger.PLEDGES)["made"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_recount_does_not_hold_off_rows_written_elsewhere_that_point_at_its_member(
    roles, tree, clerk_a
):
    # A recount holds its member while its transaction is open. A point entry of the same
    # member written meanwhile (as a meeting's attendance is, under its organisation's
    # lock) checks its key at commit: held FOR UPDATE the member would keep it waiting
    # until the recount ends, and a recount then waiting for that organisation would
    # never end. Held FOR NO KEY UPDATE, the entry commits while the recount is open.
    from activities.ledgers.tallies import ledger_tally_refresh
    from activities.models import EntryStatus, PointEntry, PointSource

    member = MemberFactory(group=tree.group_a1)
    held, written = threading.Event(), threading.Event()

    def recount():
        with transaction.atomic():
            ledger_tally_refresh(
                ledger=TallyLedger.STUDY, org_ids=[], member_ids=[member.pk], years=[2026]
            )
            held.set()
            return written.wait(5)  # the entry committed while the member was held

    def entry():
        held.wait(10)
        PointEntry.objects.create(
            member=member,
            org=tree.group_a1,
            year=2026,
            date=D(2026, 9, 1),
            source=PointSource.VOLUNTEER,
            points=1,
            reason="参加志愿服务",
            status=EntryStatus.PENDING,
            entered_at=timezone.now(),
        )
        written.set()

    results = at_once(recount, entry)
    assert results == [True, None], results
