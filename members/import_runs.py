"""The roster import's workflow (花名册导入记录): upload, check, confirm and write, in the
request for small files and in the background worker for big ones, with the
worker's lease on the run so a dead worker's import is offered again.

The plan itself is ``members.roster_plan``; the write is
``members.services.roster_commit``.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from branches.missing import NewNode, organisations_create
from branches.models import Organization, Upload
from branches.spreadsheets.cells import grouped
from branches.uploads import UploadGone, own_upload, upload_keep, upload_read
from members.models import ImportRun
from members.roster_parse import RosterFileError
from members.roster_plan import Plan, StalePreview, compare_with_registry, plan_import
from members.services import roster_commit


def import_run_preview(*, user, data: bytes, file_name: str) -> tuple[ImportRun, Plan]:
    """Check an uploaded roster and keep it, with its counts and problems, for confirmation."""
    plan = plan_import(data=data, filename=file_name, user=user)
    return import_run_record(user=user, data=data, file_name=file_name, plan=plan), plan


def _preview_fields(plan: Plan) -> dict:
    """What a checked plan leaves on its import run: the preview the user confirms."""
    counts, warnings = plan.counts, plan.warnings
    return {
        "status": ImportRun.Status.PREVIEWED,
        "rows_new": counts["new"],
        "rows_changed": counts["changed"],
        "rows_unchanged": counts["unchanged"],
        "rows_rejected": counts["rejected"],
        # An organisation the tree lacks is said once for all its rows; so is a
        # word kept as written (待规范).
        "problems": grouped(plan.problems),
        "warnings": grouped(warnings, kinds=("review",)),
        "warning_count": len(warnings),
        "missing": plan.missing,
        "fingerprint": plan.fingerprint,
    }


def import_run_record(*, user, data: bytes, file_name: str, plan: Plan) -> ImportRun:
    """Keep the file of a checked import, who sent it, its hash, counts and problems."""
    upload = upload_keep(user=user, purpose=Upload.Purpose.ROSTER, data=data, file_name=file_name)
    return ImportRun.objects.create(user=user, upload=upload, **_preview_fields(plan))


def import_run_upload(*, user, data: bytes, file_name: str) -> ImportRun:
    """Start an import: small files are checked at once, big ones by the worker.

    A big file's run is saved as queued and handed to the worker by its id
    once that row is committed, so the worker always finds it.
    """
    if len(data) <= settings.IMPORT_BACKGROUND_BYTES:
        return import_run_preview(user=user, data=data, file_name=file_name)[0]
    run = ImportRun.objects.create(
        user=user,
        upload=upload_keep(
            user=user, purpose=Upload.Purpose.ROSTER, data=data, file_name=file_name
        ),
        status=ImportRun.Status.QUEUED,
        in_background=True,
        heartbeat_at=timezone.now(),
    )
    from members.tasks import check_import

    _enqueue_after_commit(check_import, run)
    return run


# --- The worker's hold on a background run ----------------------------------------
#
# A task execution takes a run with a lease: a random token written by one
# conditional update (so of two workers only one wins), kept alive by the
# heartbeat and named by every later write of that worker. A worker silent
# for longer than TASK_LEASE_SECONDS is presumed dead: import_runs_sweep marks
# its run interrupted (it can be run again at once) and its task failed, and
# the fenced writes keep a worker that was only slow from changing it after.

INTERRUPTED = "后台处理中断（可能是服务重启），数据未作任何改动；可以重新运行这次导入。"
ALREADY_DONE = "这次导入已经处理过了。"
# The status a run waits in for each step of the worker.
WAITS_IN = {
    ImportRun.Status.CHECKING: ImportRun.Status.QUEUED,
    ImportRun.Status.COMMITTING: ImportRun.Status.COMMITTING,
}


class WorkerLost(Exception):
    """Recorded on a task whose worker stopped reporting: it will never finish."""


def _enqueue_after_commit(task, run: ImportRun, *args) -> None:
    """Queue *task* for the run once the run's row is committed; note the task on the run."""

    def send() -> None:
        result = task.enqueue(run.pk, *args)
        ImportRun.objects.filter(pk=run.pk).update(task_id=result.id)

    transaction.on_commit(send)


def _held(run: ImportRun):
    """The run, if this process still holds it (foreground runs: if no worker took it)."""
    return ImportRun.objects.filter(pk=run.pk, lease_token=run.lease_token)


def _is_locked(exc: OperationalError) -> bool:
    return "locked" in str(exc)


def import_run_claim(*, run_id: int, status: str) -> ImportRun | None:
    """Take the run for one step (checking or committing) of this task execution.

    None when it is not waiting for that step: another worker holds it, or a
    second task of the same run (a double click, a retry) came too late.
    """
    token = uuid.uuid4().hex
    fields = {"status": status, "lease_token": token, "heartbeat_at": timezone.now()}
    if status == ImportRun.Status.CHECKING:
        fields.update(progress_done=0, progress_total=0, error="")
    waiting = ImportRun.objects.filter(pk=run_id, status=WAITS_IN[status], lease_token="")
    if not waiting.update(**fields):
        return None
    return ImportRun.objects.select_related("user__org", "upload").get(pk=run_id)


@contextmanager
def import_run_heartbeat(run: ImportRun):
    """Renew the run's lease from another thread while the block runs.

    Progress reports renew it too, but a long commit reports nothing until
    it ends. Not inside a transaction (the tests'): a second connection
    could not see the run.
    """
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(run, stop), name=f"import-{run.pk}", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


def _beat(run: ImportRun, stop: threading.Event) -> None:
    interval = ImportRun.lease().total_seconds() / 4
    try:
        while not stop.wait(interval):
            try:
                _held(run).update(heartbeat_at=timezone.now())
            except OperationalError as exc:
                # SQLite: another writer kept the lock past the busy timeout; next beat.
                if not _is_locked(exc):
                    raise
    finally:
        connections.close_all()


def import_run_progress(run: ImportRun, status: str, done: int = 0, total: int = 0) -> None:
    """Progress written at once, outside any transaction, so the page sees it.

    Advisory: skipped rather than failing the check when SQLite's write lock
    stays taken past the busy timeout (another import writing).
    """
    try:
        _held(run).update(
            status=status, progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )
    except OperationalError as exc:
        if not _is_locked(exc):
            raise


def import_run_fail(run: ImportRun, message: str) -> None:
    _held(run).update(
        status=ImportRun.Status.FAILED,
        error=message,
        heartbeat_at=timezone.now(),
        lease_token="",
    )


def import_runs_sweep() -> int:
    """Mark the background runs whose worker died as interrupted, and fail their tasks.

    Run when a worker starts, every half lease while it runs, and by the
    import page. It reads first, so the usual case (nothing to do) never
    waits for SQLite's write lock. Returns how many runs it marked.
    """
    cutoff = timezone.now() - ImportRun.lease()
    swept = 0
    for runs in (ImportRun.objects.lease_expired(cutoff), ImportRun.objects.abandoned(cutoff)):
        if not runs.exists():
            continue
        try:
            swept += _mark_interrupted(runs)
        except OperationalError as exc:
            # SQLite: a long import holds the write lock; the next sweep will see.
            if not _is_locked(exc):
                raise
    return swept


@transaction.atomic
def _mark_interrupted(runs) -> int:
    # skip_locked: a run whose commit is finishing right now is not dead.
    found = list(runs.select_for_update(skip_locked=True).values_list("pk", "task_id"))
    ImportRun.objects.filter(pk__in=[pk for pk, _ in found]).update(
        status=ImportRun.Status.FAILED,
        error=INTERRUPTED,
        lease_token="",
        heartbeat_at=timezone.now(),
    )
    orphans = DBTaskResult.objects.running().filter(pk__in=[t for _, t in found if t])
    for orphan in orphans:
        orphan.set_failed(WorkerLost("执行该任务的后台进程已停止（租约过期），任务不会再完成。"))
    return len(found)


# The worker keeps the last checked plans, so the confirmation writes them
# without reading and parsing the file again; they are compared with the
# registry afresh first. Another process (or a restart) simply re-reads.
_checked_plans: dict[int, tuple[str, Plan]] = {}


def _keep_checked_plan(run: ImportRun, plan: Plan) -> None:
    while len(_checked_plans) >= 2:
        # Tolerant pops: two worker threads of one process may evict at once.
        _checked_plans.pop(next(iter(_checked_plans), None), None)
    _checked_plans[run.pk] = (run.upload.sha256, plan)


def import_run_check(*, run: ImportRun) -> None:
    """The worker's first step: read and check the stored file, then wait for confirmation."""
    import_run_progress(run, ImportRun.Status.CHECKING)
    try:
        plan = plan_import(
            data=upload_read(run.upload),
            filename=run.file_name,
            user=run.user,
            progress=lambda done, total: import_run_progress(
                run, ImportRun.Status.CHECKING, done, total
            ),
        )
    except (RosterFileError, UploadGone) as exc:
        import_run_fail(run, str(exc))
        return
    checked = _held(run).update(
        **_preview_fields(plan),
        progress_done=len(plan.rows),
        progress_total=len(plan.rows),
        error="",
        lease_token="",
    )
    if checked:
        _keep_checked_plan(run, plan)


def import_run_request_commit(*, run: ImportRun, skip_invalid: bool) -> None:
    """Confirmation of a background run: the worker writes it (once, however often clicked)."""
    if run.status != ImportRun.Status.PREVIEWED:
        raise ValidationError(ALREADY_DONE)
    if run.rows_rejected and not skip_invalid:
        raise ValidationError("有被拒绝的行；修改文件后重新导入，或明确选择只导入有效行。")
    from members.tasks import commit_import_task

    _hand_to_worker(run, ImportRun.Status.COMMITTING, commit_import_task, skip_invalid, waiting={})


def import_run_commit(*, run: ImportRun, skip_invalid: bool) -> None:
    """The worker's second step. A failure leaves the registry as it was and the run failed."""
    try:
        import_run_confirm(run=run, skip_invalid=skip_invalid)
    except (StalePreview, ValidationError, ValueError, RosterFileError) as exc:
        message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        import_run_fail(run, message)
    except Exception:
        import_run_fail(run, "写入时出错，数据未作任何改动；可以重新运行这次导入。")
        raise


def import_run_retry(*, run: ImportRun) -> None:
    """Check a failed or interrupted background run again from its stored file.

    An interrupted run qualifies as soon as its worker's lease has expired.
    """
    import_runs_sweep()
    from members.tasks import check_import

    _hand_to_worker(
        run,
        ImportRun.Status.QUEUED,
        check_import,
        waiting={"status": ImportRun.Status.FAILED},
        refused="这次导入没有失败，不需要重新运行。",
        error="",
        lease_token="",
    )


def _hand_to_worker(
    run: ImportRun, status: str, task, *args, waiting: dict, refused=ALREADY_DONE, **fields
) -> None:
    """Move the run to *status* and queue *task* for it, once however often it is asked.

    One conditional update (the run still *waiting*, by default previewed):
    a second click, tab or request finds it moved and is *refused*.
    """
    waiting = {"status": ImportRun.Status.PREVIEWED, **waiting}
    moved = ImportRun.objects.filter(pk=run.pk, **waiting).update(
        status=status, progress_done=0, progress_total=0, heartbeat_at=timezone.now(), **fields
    )
    if not moved:
        raise ValidationError(refused)
    run.status = status
    _enqueue_after_commit(task, run, *args)


def import_run_recheck(*, run: ImportRun) -> None:
    """Check a previewed run again from its stored file: the tree has changed.

    A small file is checked at once; a big one goes back to the worker.
    """
    if run.status != ImportRun.Status.PREVIEWED:
        raise ValidationError(ALREADY_DONE)
    _checked_plans.pop(run.pk, None)  # checked against the tree as it was
    if not run.in_background:
        plan = plan_import(data=upload_read(run.upload), filename=run.file_name, user=run.user)
        ImportRun.objects.filter(pk=run.pk).update(**_preview_fields(plan))
        return
    from members.tasks import check_import

    _hand_to_worker(run, ImportRun.Status.QUEUED, check_import, waiting={"lease_token": ""})


@transaction.atomic
def import_run_create_missing(*, run: ImportRun, user, nodes: list[NewNode]) -> list:
    """Create the organisations the run's file names and the tree lacks, then check it again.

    All or nothing: a node the tree refuses leaves the tree and the run as they were.
    The run is locked first: a second click, or a second tab, finds the
    organisations made and the run checked again, and creates nothing twice.
    """
    locked = ImportRun.objects.select_for_update().get(pk=run.pk)
    if locked.missing != run.missing or locked.status != ImportRun.Status.PREVIEWED:
        raise ValidationError("这次导入的预览已经更新（可能已新建了这些组织），请查看最新的预览。")
    created = organisations_create(nodes=nodes, user=user)
    import_run_recheck(run=run)
    return created


@transaction.atomic
def import_run_confirm(*, run: ImportRun, skip_invalid: bool) -> ImportRun:
    """Write a previewed import, all or nothing, if nothing changed since the preview."""
    if run.status not in (ImportRun.Status.PREVIEWED, ImportRun.Status.COMMITTING):
        raise ValidationError(ALREADY_DONE)
    # One import writes at a time: every commit locks the roots of the tree, so
    # two imports into overlapping scopes never interleave.
    list(Organization.objects.select_for_update().filter(parent__isnull=True).values("pk"))
    if not _held(run).filter(status=run.status).exists():
        raise ValidationError(ALREADY_DONE)  # written by another request while this one waited
    cached = _checked_plans.pop(run.pk, None)
    if cached is not None and cached[0] == run.upload.sha256:
        plan = cached[1]
        compare_with_registry(plan, run.user)
    else:
        plan = plan_import(data=upload_read(run.upload), filename=run.file_name, user=run.user)
    previewed = (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_rejected)
    if tuple(plan.counts.values()) != previewed:
        raise StalePreview("预览之后数据已发生变化，请重新上传并预览。")
    roster_commit(
        plan=plan,
        user=run.user,
        skip_invalid=skip_invalid,
        expected_fingerprint=run.fingerprint,
        reason=f"花名册导入：{run.file_name}（导入记录 {run.pk}）",
    )
    _mark_committed(run, skip_invalid=skip_invalid)
    return run


def _mark_committed(run: ImportRun, *, skip_invalid: bool) -> None:
    """The run's last write, fenced by its lease: a worker that lost it rolls its import back."""
    committed_at, skipped = timezone.now(), skip_invalid and run.rows_rejected > 0
    written = _held(run).update(
        status=ImportRun.Status.COMMITTED,
        committed_at=committed_at,
        skipped_invalid=skipped,
        error="",
        lease_token="",
    )
    if not written:
        raise ValidationError(ALREADY_DONE)
    run.status, run.committed_at = ImportRun.Status.COMMITTED, committed_at
    run.skipped_invalid, run.error, run.lease_token = skipped, "", ""


def own_kept_upload(user, pk) -> Upload | None:
    """*user*'s own kept spreadsheet *pk* that no roster import run holds: the file a
    smaller import (积极分子花名册, 党费收缴表) previewed, for its confirmation."""
    upload = own_upload(user, pk, purpose=Upload.Purpose.ROSTER)
    if upload is None or hasattr(upload, "import_run"):
        return None
    return upload
