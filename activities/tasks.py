"""Background work of activities, run by ``manage.py db_worker``."""

from django_tasks import task

from activities.points.services import points_recompute
from activities.ratings.services import rating_draft_compute
from branches.models import Organization


@task()
def recompute_points(year: int) -> int:
    # A city's year is ~1.6 million entries (about 40 s on PostgreSQL): too long
    # for a request, so the admin's action queues it here.
    return points_recompute(year=year)


@task()
def compute_rating_draft(org_id: int, year: int) -> int:
    """The draft of a county (about 10 s for 70,000 members), queued from the draft page."""
    draft = rating_draft_compute(node=Organization.objects.get(pk=org_id), year=year)
    return len(draft.ratings)
