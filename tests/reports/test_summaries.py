"""The summaries reports read are exact: after a randomised series of edits (meetings
logged, moved and deleted, attendance changed, members transferred, edited and taken
off the roster, organisations dissolved) the incrementally kept rows equal a rebuild
from scratch, and the compliance report's grouped count equals the one-by-one loop."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from django.db.models import Q
from django.utils import timezone

from activities import services
from activities.cadence import (
    committee_terms,
    each_obligation,
    governed_spans,
    requirement,
    tallies,
)
from activities.models import (
    MEETING_ORG_KINDS,
    Activity,
    ActivityKind,
    ActivityTally,
    ActivityYearTally,
    AttendanceStatus,
    CadenceRule,
    RatingTally,
)
from activities.ratings.services import rating_draft_compute, rating_tally_refresh
from branches.models import Organization, OrgKind, PostTitle
from branches.paths import subtree_q
from branches.services import org_dissolve, post_assign
from members.choices import Education, MemberCategory, RosterStatus
from members.models import Member
from members.services import member_leave, member_transfer, member_update, roster_commit
from reports import selectors
from reports.models import MemberFigures
from tests.factories import BranchFactory, GroupFactory, MemberFactory
from tests.helpers import clerk_of, log_meeting
from tests.members.roster_helpers import HEADER, id_number, plan

TODAY = datetime.date(2026, 11, 20)
YEAR = 2026
EDITS = 40


def _year_rows():
    return set(
        ActivityYearTally.objects.values_list(
            "org_id",
            "kind",
            "year",
            "count_packed",
            "on_time_month_packed",
            "on_time_quarter_packed",
            "on_time_year_packed",
            "by_secretary_packed",
            "expected",
            "present",
        )
    )


def _month_rows():
    return set(
        ActivityTally.objects.values_list(
            "org_id", "kind", "month", "count", "on_time_month", "expected", "present"
        )
    )


def _rating_rows():
    return set(
        RatingTally.objects.values_list(
            "year", "publication_id", "org_id", "stars", "count", "points", "computed_at"
        )
    )


def _figures(tree, on):
    """Each node's overview figures, as a report reads them (kept rows where current)."""
    nodes = [tree.county, tree.township_a, tree.village_a, tree.group_a1, tree.township_b]
    return {
        node.pk: (
            dict(selectors.overview(node=node, on=on).total.members),
            [dict(r.members) for r in selectors.overview(node=node, on=on).children],
        )
        for node in nodes
    }


class Edits:
    """A random clerk at work on the standard tree."""

    def __init__(self, tree, seed: int):
        self.tree, self.rng = tree, random.Random(seed)
        self.clerk = clerk_of(tree.county)
        self.places = [
            (tree.village_a, tree.group_a1),
            (tree.village_a, tree.group_a2),
            (tree.village_a, None),
            (tree.organ_a, None),
            (tree.village_b, tree.group_b1),
            (tree.organ_b, None),
        ]

    def day(self, first: int = 1) -> datetime.date:
        return datetime.date(YEAR, self.rng.randint(first, 10), self.rng.randint(1, 28))

    def run(self, count: int) -> None:
        actions = [self.log, self.log, self.log, self.delete, self.transfer, self.update]
        actions += [self.leave, self.dissolve, self.rate]
        for _ in range(count):
            self.rng.choice(actions)()

    def log(self) -> None:
        org = self.rng.choice(
            [self.tree.group_a1, self.tree.group_a2, self.tree.group_b1, self.tree.village_a]
            + [self.tree.organ_a, self.tree.village_b]
        )
        org.refresh_from_db()
        if org.dissolved_on:
            return
        kind = (
            ActivityKind.GROUP_MEETING
            if org.kind == OrgKind.GROUP
            else self.rng.choice([ActivityKind.GENERAL_MEETING, ActivityKind.COMMITTEE])
        )
        held_on = self.day()
        statuses = {}
        for member in Member.objects.filter(
            branch=org.parent if org.parent.kind == OrgKind.BRANCH else org
        ):
            if self.rng.random() < 0.3:
                statuses[member] = AttendanceStatus.ABSENT
        late = self.rng.random() < 0.3  # logged after its month ended: not on time
        logged = datetime.datetime.combine(
            held_on + datetime.timedelta(days=40 if late else 0),
            datetime.time(20),
            tzinfo=datetime.UTC,
        )
        log_meeting(
            org=org,
            kind=kind,
            held_on=held_on,
            by=self.clerk,
            logged_at=logged,
            statuses=statuses,
            confirm_duplicate=True,
        )

    def delete(self) -> None:
        activity = Activity.objects.order_by("?").first()
        if activity is not None:
            services.activity_delete(activity=activity)

    def _member(self):
        return Member.objects.filter(roster_status="active").order_by("pk")[
            self.rng.randrange(max(Member.objects.filter(roster_status="active").count(), 1))
        ]

    def transfer(self) -> None:
        member = self._member()
        branch, group = self.rng.choice(self.places)
        for place in (branch, group):
            if place is not None:
                place.refresh_from_db()
        current = member.memberships.open().get()
        on = max(self.day(), current.started_on + datetime.timedelta(days=1))
        same = (branch.pk, group.pk if group else None) == (current.branch_id, current.group_id)
        if branch.dissolved_on or (group and group.dissolved_on) or same:
            return
        member_transfer(member=member, branch=branch, group=group, on=on)

    def update(self) -> None:
        member = self._member()
        member_update(
            member=member,
            education=self.rng.choice([Education.BACHELOR, Education.HIGH_SCHOOL]),
            category=self.rng.choice([MemberCategory.FULL, MemberCategory.PROBATIONARY]),
        )

    def leave(self) -> None:
        member = self._member()
        current = member.memberships.open().get()
        on = max(self.day(), current.started_on + datetime.timedelta(days=1))
        member_leave(member=member, status=RosterStatus.DECEASED, on=on, reason="病故")

    def rate(self) -> None:
        node = self.rng.choice([self.tree.county, self.tree.township_a, self.tree.township_b])
        rating_draft_compute(node=node, year=YEAR, today=TODAY)

    def dissolve(self) -> None:
        org = self.rng.choice([self.tree.group_a2, self.tree.group_b2, self.tree.organ_b])
        org.refresh_from_db()
        if not org.dissolved_on:
            org_dissolve(org=org, on=self.day(first=6))


@pytest.fixture
def busy_tree(tree):
    nodes = list(Organization.objects.all())
    for node in nodes:
        node.founded_on = datetime.date(2020, 1, 1)
    Organization.objects.bulk_update(nodes, ["founded_on"])
    for place in (tree.group_a1, tree.group_a2, tree.village_a, tree.organ_a, tree.group_b1):
        for _ in range(3):
            MemberFactory(
                **({"group": place} if place.kind == OrgKind.GROUP else {"branch": place})
            )
    for member, title in zip(
        Member.objects.filter(branch=tree.village_a)[:3],
        (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY),
        strict=True,
    ):
        post_assign(
            org=tree.village_a, member=member, title=title, started_on=datetime.date(2020, 1, 1)
        )
    for node in Organization.objects.all():
        node.refresh_from_db()
    return tree


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_kept_summaries_equal_a_rebuild_after_random_edits(busy_tree, seed):
    tree = busy_tree
    edits = Edits(tree, seed)
    on_dates = [datetime.date(YEAR, 6, 30), TODAY]
    for on in on_dates:
        _figures(tree, on)  # kept now: the edits must bring them up to date
    for _ in range(4):
        edits.run(EDITS // 4)
        for on in on_dates:
            _figures(tree, on)  # read (and refreshed where stale) between edits

    edits.rate()
    kept = {on: _figures(tree, on) for on in on_dates}
    months, years, ratings = _month_rows(), _year_rows(), _rating_rows()
    assert years and ratings  # the edits logged and rated something

    MemberFigures.objects.all().delete()
    assert {on: _figures(tree, on) for on in on_dates} == kept
    services.tally_rebuild(start=datetime.date(YEAR, 1, 1), end=datetime.date(YEAR, 12, 31))
    assert _month_rows() == months
    assert _year_rows() == years
    rating_tally_refresh(year=YEAR, publication=None, where=Q())
    assert _rating_rows() == ratings


@pytest.mark.parametrize("seed", [4, 5])
def test_the_grouped_compliance_count_equals_the_one_by_one_loop(busy_tree, seed):
    tree = busy_tree
    Edits(tree, seed).run(EDITS)
    data = selectors.compliance(node=tree.county, year=YEAR, today=TODAY, by="month")

    orgs = list(
        Organization.objects.filter(subtree_q(tree.county.path), kind__in=MEETING_ORG_KINDS)
    )
    until = TODAY
    packed = tallies(subtree_q(tree.county.path, prefix="org__"), year=YEAR, until=until)
    spans = governed_spans(
        CadenceRule.objects.all(), start=datetime.date(YEAR, 1, 1), until=until, today=TODAY
    )
    terms = committee_terms(
        org_ids=[o.pk for o in orgs], start=datetime.date(YEAR, 1, 1), end=until
    )
    due, done, open_due, open_done, missing = Counter(), Counter(), 0, 0, 0
    for _org, rule, span, count, _on_time in each_obligation(
        orgs, spans=spans, counts=packed.counts, has_committee=terms, today=TODAY
    ):
        met = count >= rule.times
        if span.closed:
            due[requirement(rule)] += 1
            done[requirement(rule)] += met
            missing += not met
        else:
            open_due += 1
            open_done += met
    assert sum(due.values()) > 50  # the year's months and quarters owed something
    assert data.total.total.due == sum(due.values())
    assert data.total.total.done == sum(done.values())
    assert (data.total.total.open_due, data.total.total.open_done) == (open_due, open_done)
    assert data.missing_count == missing == len(data.missing)
    for kind, cell in data.total.kinds.items():
        assert (cell.due, cell.done) == (due[kind], done[kind]), kind


def test_a_roster_import_brings_the_kept_figures_up_to_date(busy_tree, clerk_a):
    """Imports write members and memberships in set-based SQL: the triggers still see it."""
    tree = busy_tree
    today = timezone.localdate()  # imported members belong from the day of the import
    kept = _figures(tree, today)
    existing = Member.objects.filter(branch=tree.village_a).first()
    rows = [
        [*HEADER, "学历"],
        ["新党员甲", id_number(sequence=31), "甲村党支部", "大学本科"],
        ["新党员乙", id_number(sequence=41), "甲镇机关党支部", "高中"],
        [existing.name, existing.id_number, "甲镇机关党支部", "高中"],  # moves, changes
    ]
    roster_commit(plan=plan(clerk_a, rows), user=clerk_a, skip_invalid=False)

    after = _figures(tree, today)
    assert after != kept
    assert after[tree.county.pk][0]["total"] == kept[tree.county.pk][0]["total"] + 2
    MemberFigures.objects.all().delete()
    assert _figures(tree, today) == after


def _compliance_figures(data):
    """Everything the compliance page shows but the list of gaps."""

    def cell(c):
        return (c.done, c.due, c.open_done, c.open_due, c.state)

    return [
        (
            row.org.pk,
            row.label,
            [cell(c) for c in row.cells],
            {kind: cell(c) for kind, c in row.kinds.items()},
            cell(row.total),
            row.expected,
            row.present,
        )
        for row in [*data.children, data.total]
    ] + [data.kinds, data.missing_count]


@pytest.mark.parametrize("seed", [6, 7])
def test_the_page_counted_by_the_database_equals_the_export_counted_one_by_one(busy_tree, seed):
    """The page counts plain organisations in the database and names only the first
    gaps; the export counts every organisation one by one: the same figures, and the
    page's gaps are the export's first ones. Organisations founded, entered or given a
    committee during the year, and dissolved ones, are among them."""
    tree = busy_tree
    tree.group_b2.founded_on = datetime.date(2026, 3, 15)
    tree.group_b2.save()
    late = GroupFactory(
        parent=tree.village_b, created_at=timezone.make_aware(datetime.datetime(2026, 4, 10, 9))
    )
    clerk = clerk_of(tree.county)
    log_meeting(
        org=late, kind=ActivityKind.GROUP_MEETING, held_on=datetime.date(2026, 5, 6), by=clerk
    )
    formed = BranchFactory(parent=tree.township_b)
    for member, title in zip(
        MemberFactory.create_batch(3, branch=formed),
        (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY),
        strict=True,
    ):
        post_assign(org=formed, member=member, title=title, started_on=datetime.date(2026, 5, 1))
    log_meeting(
        org=formed, kind=ActivityKind.COMMITTEE, held_on=datetime.date(2026, 6, 3), by=clerk
    )
    Edits(tree, seed).run(EDITS)

    for node, by in ((tree.county, "month"), (tree.township_b, "quarter")):
        page = selectors.compliance(node=node, year=YEAR, today=TODAY, by=by, missing_limit=4)
        export = selectors.compliance(node=node, year=YEAR, today=TODAY, by=by)
        assert page.missing_count > 4
        assert _compliance_figures(page) == _compliance_figures(export)
        assert page.missing == export.missing[:4]
