"""Helpers shared by the tests: a frozen clock in Beijing time, a township clerk, one-line
meeting logs."""

from __future__ import annotations

import datetime
import zoneinfo
from contextlib import contextmanager
from unittest.mock import patch

from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from activities import services
from activities.models import Activity, AttendanceStatus
from activities.selectors import expected_attendees
from tests.factories import UserFactory

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def beijing(year: int, month: int, day: int, hour: int = 10, minute: int = 0):
    """An aware instant given in Beijing time."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


@contextmanager
def frozen(moment: datetime.datetime):
    """Freeze ``timezone.now()`` (and so ``timezone.localdate()``) at *moment*."""
    with patch("django.utils.timezone.now", return_value=moment.astimezone(datetime.UTC)):
        yield


def clerk_of(org):
    """A user attached to *org* holding the township clerk role (乡镇专干)."""
    user = UserFactory(org=org)
    user.groups.add(Group.objects.get(name="乡镇专干"))
    return user


def log_meeting(
    *,
    org,
    kind: str,
    held_on: datetime.date,
    by,
    logged_at: datetime.datetime | None = None,
    statuses: dict | None = None,
    **kwargs,
) -> Activity:
    """Log a meeting with everyone expected present unless *statuses* says otherwise.

    *statuses* maps a member to a status or to ``(status, reason)``. The clock
    stands at *logged_at* (by default 20:00 Beijing time on the day held).
    """
    statuses = statuses or {}
    marks = []
    for member in expected_attendees(org=org, kind=kind, on=held_on):
        value = statuses.get(member, AttendanceStatus.PRESENT)
        status, reason = value if isinstance(value, tuple) else (value, "")
        marks.append(services.Mark(member_id=member.pk, status=status, reason=reason))
    kwargs.setdefault("topic", "学习党章")
    moment = logged_at or beijing(held_on.year, held_on.month, held_on.day, 20)
    with frozen(moment):
        return services.activity_log(
            org=org, kind=kind, held_on=held_on, marks=marks, recorded_by=by, **kwargs
        )


def migrate_to(targets):
    """Migrate the test database to *targets*; the apps as they were there (a data
    migration's test starts from its state before, then migrates to after)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    # Later migrations of any app, unapplied on the way back, are applied again.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
