"""Background work of the member registry, run by ``manage.py worker`` (``db_worker``).

Tasks take the import run's id only; everything else is read from its row.
Each first takes the run (a lease, see ``members.import_runs``): a task that
finds the run held by another worker, or already past its step, does nothing.
"""

import logging

from django_tasks import task

from members.import_runs import (
    import_run_check,
    import_run_claim,
    import_run_commit,
    import_run_heartbeat,
)
from members.models import ImportRun

logger = logging.getLogger(__name__)


@task()
def check_import(run_id: int) -> None:
    run = import_run_claim(run_id=run_id, status=ImportRun.Status.CHECKING)
    if run is None:
        logger.info("import run %s is not waiting to be checked; skipped", run_id)
        return
    with import_run_heartbeat(run):
        import_run_check(run=run)


@task()
def commit_import_task(run_id: int, skip_invalid: bool) -> None:
    run = import_run_claim(run_id=run_id, status=ImportRun.Status.COMMITTING)
    if run is None:
        logger.info("import run %s is not waiting to be written; skipped", run_id)
        return
    with import_run_heartbeat(run):
        import_run_commit(run=run, skip_invalid=skip_invalid)
