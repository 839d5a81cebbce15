from django.core.management import call_command
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = (
        "后台任务：先删除保存期限已到的上传文件（purge_uploads），再运行 db_worker；"
        "参数与 db_worker 相同。"
    )

    def handle(self, *args, **options):
        # Uploaded rosters must not outlive their retention while the site runs
        # without cron: each start of the worker purges first.
        call_command("purge_uploads", stdout=self.stdout, verbosity=options["verbosity"])
        super().handle(*args, **options)
