"""Background work of the member registry, run by ``manage.py db_worker``.

Tasks take the import run's id only; everything else is read from its row.
"""

from django_tasks import task

from members.models import ImportRun
from members.services import import_run_check, import_run_commit


@task()
def check_import(run_id: int) -> None:
    import_run_check(run=ImportRun.objects.select_related("user__org").get(pk=run_id))


@task()
def commit_import_task(run_id: int, skip_invalid: bool) -> None:
    run = ImportRun.objects.select_related("user__org").get(pk=run_id)
    import_run_commit(run=run, skip_invalid=skip_invalid)
