"""Big roster imports: checked and written by the worker, with progress and clean failure."""

import datetime
import io
import zipfile
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook

from members import import_runs
from members.idcard import make_id_number
from members.models import ImportRun, Member, Membership
from members.tasks import check_import, commit_import_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def background(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 0  # every upload goes to the worker


def roster(rows: int, branch="甲村党支部") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份证号", "所在党支部"])
    for i in range(rows):
        number = make_id_number("131221", datetime.date(1980, 1, 1) + datetime.timedelta(i), 21)
        sheet.append([f"党员{i}", number, branch])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_worker():
    """db_worker until the queue is empty, in this test's transaction.

    The worker drops connections it finds inside a transaction (here: the
    test's own), which it would never meet in production.
    """
    with patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", batch=True, interval=0.01)


def upload(client, data: bytes, name="big.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("members:import_upload"), {"file": SimpleUploadedFile(name, data)})


def test_it_queues_a_big_file_for_the_worker_after_the_row_is_committed(
    tree, clerk_a, client, django_capture_on_commit_callbacks
):
    client.force_login(clerk_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, roster(30))

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.in_background) == (ImportRun.Status.QUEUED, True)
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [run.pk]
    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()
    assert '<meta http-equiv="refresh"' in page and "<progress" in page and "排队中" in page


def test_it_runs_the_queue_in_db_worker_to_the_preview_then_the_result(
    tree, clerk_a, client, django_capture_on_commit_callbacks
):
    client.force_login(clerk_a)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, roster(30))
    run = ImportRun.objects.get()

    run_worker()

    run.refresh_from_db()
    assert (run.status, run.rows_new, run.progress_total) == (ImportRun.Status.PREVIEWED, 30, 30)
    assert Member.objects.count() == 0  # nothing is written before the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("members:import_confirm", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTING
    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()
    assert "写入中" in page

    run_worker()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert Member.objects.count() == 30 and Membership.objects.count() == 30


def test_it_leaves_the_registry_unchanged_and_the_run_failed_when_the_commit_breaks(tree, clerk_a):

    run = import_runs.import_run_upload(user=clerk_a, data=roster(40), file_name="big.xlsx")
    check_import.call(run.pk)
    run.refresh_from_db()
    import_runs.import_run_request_commit(run=run, skip_invalid=False)
    run.refresh_from_db()

    # Half-way: the members are inserted, then their membership rows fail.
    with (
        patch(
            "members.models.MembershipQuerySet.open_for_new_members",
            side_effect=RuntimeError("disk full"),
        ),
        pytest.raises(RuntimeError),
    ):
        commit_import_task.call(run.pk, False)

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert "数据未作任何改动" in run.error
    assert Member.objects.count() == 0 and Membership.objects.count() == 0

    import_runs.import_run_retry(run=run)
    check_import.call(run.pk)
    run.refresh_from_db()
    import_runs.import_run_request_commit(run=run, skip_invalid=False)
    commit_import_task.call(run.pk, False)
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert Member.objects.count() == 40


def test_it_reports_progress_while_checking(tree, clerk_a):

    run = import_runs.import_run_upload(user=clerk_a, data=roster(4500), file_name="big.xlsx")
    seen = []
    original = import_runs.import_run_progress

    def spy(run, status, done=0, total=0):
        seen.append((status, done, total))
        original(run, status, done, total)

    with patch("members.import_runs.import_run_progress", side_effect=spy):
        check_import.call(run.pk)

    assert ("checking", 2000, 4500) in seen and ("checking", 4000, 4500) in seen
    run.refresh_from_db()
    assert (run.status, run.progress_done, run.progress_total) == ("previewed", 4500, 4500)


def test_it_shows_an_interrupted_run_as_failed_and_offers_to_run_it_again(tree, clerk_a, client):

    run = import_runs.import_run_upload(user=clerk_a, data=roster(5), file_name="big.xlsx")
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.COMMITTING,
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=10),
    )
    client.force_login(clerk_a)

    page = client.get(reverse("members:import_preview", args=[run.pk])).content.decode()

    assert "后台处理中断" in page and "重新运行这次导入" in page
    assert '<meta http-equiv="refresh"' not in page
    client.post(reverse("members:import_retry", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.QUEUED


def test_it_refuses_a_zip_bomb_in_well_under_a_second(tree, clerk_a, client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>")
    client.force_login(clerk_a)

    started = timezone.now()
    with patch("django.conf.settings.IMPORT_BACKGROUND_BYTES", 10**9):
        response = upload(client, buffer.getvalue(), name="bomb.xlsx")

    assert (timezone.now() - started).total_seconds() < 1
    assert "解压后有 300 MB" in response.content.decode()
    assert not Member.objects.exists()


def test_it_refuses_more_than_the_row_limit_before_checking_them(tree, clerk_a, settings):
    from members import roster_plan
    from members.roster_parse import RosterFileError
    from members.roster_plan import plan_import

    with patch.object(roster_plan, "MAX_ROWS", 10), pytest.raises(RosterFileError, match="超过"):
        plan_import(data=roster(11), filename="big.xlsx", user=clerk_a)


def test_it_compares_a_kept_plan_with_the_registry_again_before_writing(tree, clerk_a):
    from members import services
    from tests.factories import MemberFactory

    member = MemberFactory(branch=tree.village_a)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份证号", "所在党支部", "手机号"])
    sheet.append([member.name, member.id_number, "甲村党支部", "13912345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    run = import_runs.import_run_upload(user=clerk_a, data=buffer.getvalue(), file_name="a.xlsx")
    check_import.call(run.pk)
    run.refresh_from_db()
    assert run.rows_changed == 1
    assert run.pk in import_runs._checked_plans

    services.member_update(member=member, address="新地址")  # edited after the preview
    import_runs.import_run_request_commit(run=run, skip_invalid=False)
    commit_import_task.call(run.pk, False)

    run.refresh_from_db()
    member.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert "重新上传并预览" in run.error
    assert member.mobile_phone != "13912345678"


def test_it_reads_a_sheet_with_a_million_formatted_blank_rows_quickly(tree, clerk_a):
    from members.roster_plan import plan_import

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份证号", "所在党支部"])
    sheet.append(["王五", make_id_number("131221", datetime.date(1970, 1, 1), 11), "甲村党支部"])
    # What LibreOffice leaves behind: formatted cells down to the last row, no values.
    sheet.cell(row=1_048_576, column=3).number_format = "@"
    sheet.cell(row=1_048_576, column=1, value="")
    buffer = io.BytesIO()
    workbook.save(buffer)

    started = timezone.now()
    plan = plan_import(data=buffer.getvalue(), filename="lo.xlsx", user=clerk_a)

    assert (timezone.now() - started).total_seconds() < 2
    assert plan.counts["new"] == 1 and len(plan.rows) == 1


def test_it_refuses_a_file_over_20_mb_before_reading_it(tree, clerk_a, client):
    from branches.spreadsheets import forms

    client.force_login(clerk_a)
    with patch.object(forms, "MAX_UPLOAD_BYTES", 1000):
        response = upload(client, roster(50))

    assert "超过 20 MB 的上限" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_it_locks_the_tree_while_an_import_writes(tree, clerk_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run, _ = import_runs.import_run_preview(user=clerk_a, data=roster(3), file_name="a.xlsx")
    with CaptureQueriesContext(connection) as queries:
        import_runs.import_run_confirm(run=run, skip_invalid=False)

    lock = [
        q["sql"] for q in queries if "branches_organization" in q["sql"] and "IS NULL" in q["sql"]
    ]
    assert lock, "the roots of the tree are read for the lock"
    # PostgreSQL locks them (FOR UPDATE) so a second import waits; SQLite lets
    # only one writer in at a time by itself.
    assert ("FOR UPDATE" in lock[0]) == connection.features.has_select_for_update
