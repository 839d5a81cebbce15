"""Writes to the member registry. Every change of place goes through here, so the
member's current branch and group always equal their open membership row."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from branches.models import Organization
from members.choices import MembershipReason, RosterStatus
from members.models import ImportRun, Member, Membership, PiiAccess
from members.roster_import import (
    Plan,
    RosterFileError,
    StalePreview,
    commit_import,
    compare_with_registry,
    file_sha256,
    plan_import,
)

# Roster statuses a member leaves to, with the membership end reason they record.
LEAVE_REASONS = {
    RosterStatus.TRANSFERRED_OUT: MembershipReason.TRANSFER_OUT,
    RosterStatus.LEFT_PARTY: MembershipReason.LEFT_PARTY,
    RosterStatus.DECEASED: MembershipReason.DECEASED,
}


@transaction.atomic
def member_create(
    *,
    name: str,
    id_number: str,
    branch: Organization,
    group: Organization | None = None,
    started_on: datetime.date,
    start_reason: str = MembershipReason.JOINED,
    **fields: Any,
) -> Member:
    """Put a new member on the roster and open their first membership row."""
    member = Member(name=name, id_number=id_number, branch=branch, group=group, **fields)
    member.full_clean()
    member.save()
    Membership.objects.create(
        member=member, branch=branch, group=group, started_on=started_on, start_reason=start_reason
    )
    return member


@transaction.atomic
def member_update(*, member: Member, **fields: Any) -> Member:
    """Change the member's own fields; their place changes only by ``member_transfer``."""
    if {"branch", "group", "roster_status"} & fields.keys():
        raise ValueError("use member_transfer / member_leave to change place or roster status")
    for name, value in fields.items():
        setattr(member, name, value)
    member.full_clean()
    member.save()
    return member


@transaction.atomic
def member_transfer(
    *,
    member: Member,
    branch: Organization,
    group: Organization | None = None,
    on: datetime.date,
    reason: str = MembershipReason.TRANSFER,
    note: str = "",
) -> Membership:
    """Move *member* to *branch* / *group* from date *on*, closing the open row."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.roster_status != RosterStatus.ACTIVE:
        raise ValidationError(f"{member.name}已不在册，不能转接组织关系。")
    current = member.memberships.open().get()
    if current.branch_id == branch.pk and current.group_id == (group.pk if group else None):
        raise ValidationError("新的党支部和党小组与现在相同。")
    if on < current.started_on:
        raise ValidationError(
            {"started_on": f"转接日期不能早于当前组织关系的起始日期 {current.started_on}。"}
        )
    member.branch, member.group = branch, group
    member.full_clean()
    member.save(update_fields=["branch", "group", "updated_at"])
    current.ended_on, current.end_reason = on, reason
    current.save(update_fields=["ended_on", "end_reason"])
    return Membership.objects.create(
        member=member, branch=branch, group=group, started_on=on, start_reason=reason, note=note
    )


@transaction.atomic
def member_leave(*, member: Member, status: str, on: datetime.date, reason: str) -> Member:
    """Take *member* off the roster (转出, 出党, 去世) from *on*; history stays."""
    if status not in LEAVE_REASONS:
        raise ValueError(f"not a leaving status: {status}")
    if not reason.strip():
        raise ValidationError({"left_reason": "离册必须填写原因。"})
    member = Member.objects.select_for_update().get(pk=member.pk)
    current = member.memberships.open().get()
    if on < current.started_on:
        raise ValidationError({"left_on": f"离册日期不能早于 {current.started_on}。"})
    current.ended_on, current.end_reason = on, LEAVE_REASONS[status]
    current.save(update_fields=["ended_on", "end_reason"])
    member.roster_status, member.left_on, member.left_reason = status, on, reason
    member.full_clean()
    member.save()
    return member


def pii_access_record(*, user, action: str, member: Member | None = None, detail: str = ""):
    """Log that *user* saw whole ID numbers or phones (a member's page, an export)."""
    return PiiAccess.objects.create(user=user, action=action, member=member, detail=detail)


def import_run_preview(*, user, data: bytes, file_name: str) -> tuple[ImportRun, Plan]:
    """Check an uploaded roster and keep it, with its counts and problems, for confirmation."""
    plan = plan_import(data=data, filename=file_name, user=user)
    return import_run_record(user=user, data=data, file_name=file_name, plan=plan), plan


def _preview_fields(plan: Plan) -> dict:
    """What a checked plan leaves on its import run: the preview the user confirms."""
    counts = plan.counts
    return {
        "status": ImportRun.Status.PREVIEWED,
        "rows_new": counts["new"],
        "rows_changed": counts["changed"],
        "rows_unchanged": counts["unchanged"],
        "rows_rejected": counts["rejected"],
        "problems": [str(p) for p in plan.problems],
        "fingerprint": plan.fingerprint,
    }


def import_run_record(*, user, data: bytes, file_name: str, plan: Plan) -> ImportRun:
    """Keep the file of a checked import, who sent it, its hash, counts and problems."""
    return ImportRun.objects.create(
        user=user,
        file=ContentFile(data, name=file_name),
        file_name=file_name[:200],
        file_sha256=file_sha256(data),
        **_preview_fields(plan),
    )


def import_run_upload(*, user, data: bytes, file_name: str) -> ImportRun:
    """Start an import: small files are checked at once, big ones by the worker.

    A big file's run is saved as queued and handed to the worker by its id
    once that row is committed, so the worker always finds it.
    """
    if len(data) <= settings.IMPORT_BACKGROUND_BYTES:
        return import_run_preview(user=user, data=data, file_name=file_name)[0]
    run = ImportRun.objects.create(
        user=user,
        file=ContentFile(data, name=file_name),
        file_name=file_name[:200],
        file_sha256=file_sha256(data),
        status=ImportRun.Status.QUEUED,
        in_background=True,
    )
    from members.tasks import check_import

    transaction.on_commit(lambda: check_import.enqueue(run.pk))
    return run


def import_run_progress(run: ImportRun, status: str, done: int = 0, total: int = 0) -> None:
    """Progress written at once, outside any transaction, so the page sees it."""
    ImportRun.objects.filter(pk=run.pk).update(
        status=status, progress_done=done, progress_total=total, heartbeat_at=timezone.now()
    )


def import_run_fail(run: ImportRun, message: str) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.FAILED, error=message, heartbeat_at=timezone.now()
    )


# The worker keeps the last checked plans, so the confirmation writes them
# without reading and parsing the file again; they are compared with the
# registry afresh first. Another process (or a restart) simply re-reads.
_checked_plans: dict[int, tuple[str, Plan]] = {}


def _keep_checked_plan(run: ImportRun, plan: Plan) -> None:
    while len(_checked_plans) >= 2:
        _checked_plans.pop(next(iter(_checked_plans)))
    _checked_plans[run.pk] = (run.file_sha256, plan)


def import_run_check(*, run: ImportRun) -> None:
    """The worker's first step: read and check the stored file, then wait for confirmation."""
    import_run_progress(run, ImportRun.Status.CHECKING)
    try:
        with run.file.open("rb") as handle:
            data = handle.read()
        plan = plan_import(
            data=data,
            filename=run.file_name,
            user=run.user,
            progress=lambda done, total: import_run_progress(
                run, ImportRun.Status.CHECKING, done, total
            ),
        )
    except RosterFileError as exc:
        import_run_fail(run, str(exc))
        return
    _keep_checked_plan(run, plan)
    ImportRun.objects.filter(pk=run.pk).update(
        **_preview_fields(plan),
        progress_done=len(plan.rows),
        progress_total=len(plan.rows),
        error="",
    )


def import_run_request_commit(*, run: ImportRun, skip_invalid: bool) -> None:
    """Confirmation of a background run: the worker writes it."""
    if run.status != ImportRun.Status.PREVIEWED:
        raise ValidationError("这次导入已经处理过了。")
    if run.rows_rejected and not skip_invalid:
        raise ValidationError("有被拒绝的行；修改文件后重新导入，或明确选择只导入有效行。")
    import_run_progress(run, ImportRun.Status.COMMITTING)
    from members.tasks import commit_import_task

    transaction.on_commit(lambda: commit_import_task.enqueue(run.pk, skip_invalid))


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
    """Check a failed or interrupted background run again from its stored file."""
    if run.status != ImportRun.Status.FAILED and not run.is_stalled:
        raise ValidationError("这次导入没有失败，不需要重新运行。")
    import_run_progress(run, ImportRun.Status.QUEUED)
    from members.tasks import check_import

    transaction.on_commit(lambda: check_import.enqueue(run.pk))


@transaction.atomic
def import_run_confirm(*, run: ImportRun, skip_invalid: bool) -> ImportRun:
    """Write a previewed import, all or nothing, if nothing changed since the preview."""
    if run.status not in (ImportRun.Status.PREVIEWED, ImportRun.Status.COMMITTING):
        raise ValidationError("这次导入已经处理过了。")
    # One import writes at a time: every commit locks the roots of the tree, so
    # two imports into overlapping scopes never interleave.
    list(Organization.objects.select_for_update().filter(parent__isnull=True).values("pk"))
    cached = _checked_plans.pop(run.pk, None)
    if cached is not None and cached[0] == run.file_sha256:
        plan = cached[1]
        compare_with_registry(plan, run.user)
    else:
        with run.file.open("rb") as handle:
            data = handle.read()
        plan = plan_import(data=data, filename=run.file_name, user=run.user)
    previewed = (run.rows_new, run.rows_changed, run.rows_unchanged, run.rows_rejected)
    if tuple(plan.counts.values()) != previewed:
        raise StalePreview("预览之后数据已发生变化，请重新上传并预览。")
    commit_import(
        plan=plan,
        user=run.user,
        skip_invalid=skip_invalid,
        expected_fingerprint=run.fingerprint,
        reason=f"花名册导入：{run.file_name}（导入记录 {run.pk}）",
    )
    run.status, run.committed_at = ImportRun.Status.COMMITTED, timezone.now()
    run.skipped_invalid = skip_invalid and run.rows_rejected > 0
    run.error = ""
    run.save(update_fields=["status", "committed_at", "skipped_invalid", "error"])
    return run
