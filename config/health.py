"""``/health/``: for the load balancer and the machine's monitor, not for people.

200 when the database answers, 503 when it does not; with the background
workers' last sign of life, so a site whose workers all stopped (imports
waiting for ever) shows. Nothing else: no versions, no names, no counts.
"""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from reports.models import WorkerHeartbeat


@never_cache
@require_GET
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)[:1]
        last = last[0] if last else None
    except DatabaseError:
        return JsonResponse({"database": "unreachable"}, status=503)
    seconds = None if last is None else round((timezone.now() - last).total_seconds())
    return JsonResponse(
        {
            "database": "ok",
            "worker_last_seen": last.isoformat() if last else None,
            "worker_seconds_ago": seconds,
        }
    )
