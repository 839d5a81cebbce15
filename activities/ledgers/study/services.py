"""Writes of the 党员学习 ledger: a session held with the members who attended, and a
branch's attendance of a session set again.

A branch's session is attended by its own members; a township's (or another
committee's) by members of the branches under it, recorded a branch at a time
so no page lists a whole township. Every write rewrites the 学习达标 points
of the members it touched, for the session's year.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from activities.ledgers.services import not_after_today
from activities.ledgers.tallies import ledger_tally_refresh
from activities.models import StudyAttendance, StudySession, TallyLedger
from activities.points.ledgers import study_points_refresh
from branches.models import COMMITTEE_KINDS, Organization, OrgKind
from branches.paths import subtree_q
from members.models import Member

# Who holds a session: a branch, or a township (街道, 工委, 基层党委) for the branches below.
HOLDING_KINDS = (OrgKind.BRANCH, *COMMITTEE_KINDS)


def _holding(org: Organization) -> None:
    if org.kind not in HOLDING_KINDS or org.dissolved_on is not None:
        raise ValidationError(
            {"org": f"{org.name}不是在册的党支部或乡镇（街道）党委：党员学习由它们组织。"}
        )


def attending_branch(session: StudySession, branch: Organization) -> None:
    """*branch*'s members may attend *session*: it is the session's branch or below it."""
    inside = branch.path == session.org.path or (
        branch.path.startswith(session.org.path) and session.org.kind != OrgKind.BRANCH
    )
    if branch.kind != OrgKind.BRANCH or not inside:
        raise ValidationError({"branch": f"{branch.name}的党员不能参加{session.org.name}的学习。"})


def _members_of(branch: Organization, members) -> list[Member]:
    members = list(members)
    active = set(
        Member.objects.active()
        .filter(branch=branch, pk__in=[m.pk for m in members])
        .values_list("pk", flat=True)
    )
    strangers = [m.name for m in members if m.pk not in active]
    if strangers:
        raise ValidationError({"members": f"{'、'.join(strangers)}不是{branch.name}在册的党员。"})
    return members


@transaction.atomic
def study_session_record(
    *,
    org: Organization,
    date: datetime.date,
    topic: str,
    form: str,
    hours: Decimal,
    members=(),
    by,
) -> StudySession:
    """Record a session *org* held on *date*, attended by *members* of the branch *org*
    (a township's session takes its attendees a branch at a time afterwards)."""
    _holding(org)
    not_after_today(date, "date", "学习日期")
    if members and org.kind != OrgKind.BRANCH:
        raise ValidationError({"members": "乡镇（街道）党委组织的学习，请按党支部登记参加人员。"})
    members = _members_of(org, members) if members else []
    session = StudySession(
        org=org, date=date, topic=topic.strip(), form=form, hours=hours, recorded_by=by
    )
    session.full_clean()
    session.save()
    StudyAttendance.objects.bulk_create(
        [StudyAttendance(session=session, member=m) for m in members]
    )
    ledger_tally_refresh(
        ledger=TallyLedger.STUDY,
        org_ids=[org.pk],
        member_ids=[m.pk for m in members],
        years=[date.year],
    )
    study_points_refresh(year=date.year, member_ids=[m.pk for m in members])
    return session


@transaction.atomic
def study_attendance_set(
    *, session: StudySession, branch: Organization, members, by
) -> tuple[int, int]:
    """Set which members of *branch* attended *session*: those of *members* are added,
    the branch's other attendees removed. Returns (added, removed)."""
    attending_branch(session, branch)
    members = _members_of(branch, members)
    # Two clerks setting one session's attendance at once: one at a time.
    session = StudySession.objects.select_for_update().get(pk=session.pk)
    wanted = {m.pk for m in members}
    rows = StudyAttendance.objects.filter(session=session, member__branch=branch)
    present = set(rows.values_list("member_id", flat=True))
    rows.filter(member_id__in=present - wanted).bulk_delete()
    StudyAttendance.objects.bulk_create(
        [StudyAttendance(session=session, member_id=pk) for pk in sorted(wanted - present)]
    )
    # The session's own counts are unchanged; its attendees' 学时 are not.
    ledger_tally_refresh(
        ledger=TallyLedger.STUDY, member_ids=present | wanted, years=[session.date.year]
    )
    study_points_refresh(year=session.date.year, member_ids=sorted(present | wanted))
    return len(wanted - present), len(present - wanted)


def branches_below(session: StudySession):
    """The branches whose members may attend a township's session, by path."""
    return Organization.objects.filter(
        subtree_q(session.org.path), kind=OrgKind.BRANCH, dissolved_on__isnull=True
    ).order_by("path")


@transaction.atomic
def study_session_change(
    *, session: StudySession, date: datetime.date, topic: str, form: str, hours: Decimal
) -> StudySession:
    """Correct a session's day, topic, form or 学时; its attendees' 学习达标 points of the
    year it was in and of the year it is in now follow."""
    not_after_today(date, "date", "学习日期")
    session = StudySession.objects.select_for_update().get(pk=session.pk)
    before = session.date.year
    session.date, session.topic, session.form, session.hours = date, topic.strip(), form, hours
    session.full_clean()
    session.save()
    attendees = list(session.attendance.values_list("member_id", flat=True))
    years = sorted({before, date.year})
    ledger_tally_refresh(
        ledger=TallyLedger.STUDY, org_ids=[session.org_id], member_ids=attendees, years=years
    )
    for year in years:
        study_points_refresh(year=year, member_ids=attendees)
    return session


@transaction.atomic
def study_session_delete(*, session: StudySession) -> None:
    """Take back a session recorded by mistake, with its attendance; its attendees'
    学习达标 points of its year follow in the same transaction."""
    attendees = list(session.attendance.values_list("member_id", flat=True))
    session.attendance.all().bulk_delete()
    session.delete()
    ledger_tally_refresh(
        ledger=TallyLedger.STUDY,
        org_ids=[session.org_id],
        member_ids=attendees,
        years=[session.date.year],
    )
    study_points_refresh(year=session.date.year, member_ids=attendees)
