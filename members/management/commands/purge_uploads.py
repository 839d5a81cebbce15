from django.core.management.base import BaseCommand

from members.retention import uploads_purge


class Command(BaseCommand):
    help = (
        "删除保存期限已到的上传文件：花名册在导入结束（已导入或失败）"
        "IMPORT_RETENTION_DAYS（默认 7）天后删除，"
        "未确认的上传和组织树表格一天后删除；导入记录保留。后台任务启动时和每天由 cron 运行。"
    )

    def handle(self, *args, **options):
        purged = uploads_purge()
        self.stdout.write(
            f"已删除 {purged.runs} 个花名册导入文件、{purged.tree_files} 个组织树表格、"
            f"{purged.pipeline_files} 个未确认的积极分子花名册、"
            f"{purged.stray_files} 个无记录的上传文件。"
        )
