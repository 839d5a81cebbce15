"""Two clerks (or one double click) logging the same meeting at the same moment.

Real threads, each with its own database connection, post at once (released
together by a barrier). One meeting must be saved per round unless the
duplicate was confirmed, no request may fail, and the monthly tallies must
always equal the meetings.
"""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from activities.models import Activity, ActivityKind, ActivityTally
from activities.services import Mark, activity_log, tally_rebuild
from tests.concurrency import at_once, restore_roles
from tests.factories import MemberFactory
from tests.helpers import clerk_of

pytestmark = pytest.mark.django_db(transaction=True)

MARCH = datetime.date(2025, 3, 1)
CLERKS = 4
ROUNDS = 6


@pytest.fixture
def roles(transactional_db):
    restore_roles()


@pytest.fixture
def group(tree, roles):
    for name in ("赵一", "钱二", "孙三"):
        MemberFactory(group=tree.group_a1, name=name)
    return tree.group_a1


def _clients(user, count: int) -> list[Client]:
    clients = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def _post(client: Client, org, held_on: datetime.date, *, confirm: bool = False):
    url = f"{reverse('activities:activity_log')}?org={org.pk}&kind={ActivityKind.GROUP_MEETING}"
    data = {"held_on": held_on.isoformat(), "topic": "学习党章"}
    data.update({f"status_{m.pk}": "present" for m in org.group_members.all()})
    if confirm:
        data["confirm_duplicate"] = "on"
    return lambda: client.post(url, data)


def _race(clients, org, held_on, *, confirm=False) -> list[int]:
    responses = at_once(*(_post(c, org, held_on, confirm=confirm) for c in clients))
    errors = [r for r in responses if isinstance(r, BaseException)]
    assert not errors, errors
    return sorted(r.status_code for r in responses)


def _tally_total() -> int:
    return ActivityTally.objects.aggregate(total=Sum("count"))["total"] or 0


def _tallies() -> set[tuple]:
    return set(ActivityTally.objects.values_list("org_id", "kind", "month", "count", "present"))


@pytest.mark.postgres
def test_it_saves_one_meeting_per_round_of_identical_simultaneous_posts(group):
    clients = _clients(clerk_of(group.parent.parent), CLERKS)

    for day in range(1, ROUNDS + 1):
        held_on = MARCH.replace(day=day)
        statuses = _race(clients, group, held_on)

        # One saved (redirect to the worklist); the others asked to confirm a duplicate.
        assert statuses == [302] + [400] * (CLERKS - 1), (held_on, statuses)
        assert Activity.objects.filter(held_on=held_on).count() == 1
        assert _tally_total() == Activity.objects.count() == day


@pytest.mark.postgres
def test_it_keeps_every_confirmed_duplicate_and_counts_each_in_the_tally(group):
    user = clerk_of(group.parent.parent)
    marks = [Mark(member_id=m.pk, status="present") for m in group.group_members.all()]

    def log():
        return activity_log(
            org=group,
            kind=ActivityKind.GROUP_MEETING,
            held_on=MARCH,
            marks=marks,
            recorded_by=user,
            confirm_duplicate=True,
            topic="学习党章",
        )

    results = at_once(*([log] * CLERKS))

    assert all(isinstance(r, Activity) for r in results), results
    assert Activity.objects.count() == _tally_total() == CLERKS
    assert ActivityTally.objects.get().present == 3 * CLERKS


def test_it_leaves_tallies_equal_to_a_recount_from_scratch_after_the_race(group):
    clients = _clients(clerk_of(group.parent.parent), CLERKS)

    for day in range(1, 4):
        _race(clients, group, MARCH.replace(day=day))
    _race(clients, group, MARCH.replace(day=4), confirm=True)

    after_race = _tallies()
    tally_rebuild(start=MARCH, end=MARCH)
    assert after_race == _tallies()
    assert _tally_total() == Activity.objects.count() == 3 + CLERKS
