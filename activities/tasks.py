"""Background work of activities, run by ``manage.py db_worker``."""

from django_tasks import task

from activities.points import points_recompute


@task()
def recompute_points(year: int) -> int:
    # A city's year is ~1.6 million entries (about 40 s on PostgreSQL): too long
    # for a request, so the admin's action queues it here.
    return points_recompute(year=year)
