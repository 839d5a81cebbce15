from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from branches.models import User
from branches.spreadsheets.cells import grouped
from members.import_runs import import_run_fail, import_run_record
from members.roster_parse import RosterFileError
from members.roster_plan import plan_import
from members.services import roster_commit


class Command(BaseCommand):
    help = (
        "导入党员花名册（.xlsx、.xls、.csv），规则和范围与该用户在网页上导入时相同。"
        "有被拒绝的行时不写入任何数据并以非零状态退出，除非给出 --skip-invalid。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="花名册文件")
        parser.add_argument("--user", required=True, help="以哪个用户的身份和范围导入")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="跳过被拒绝的行，只导入有效行"
        )

    def handle(self, *args, file, user, dry_run, skip_invalid, **options):
        account = User.objects.select_related("org").filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"没有启用的用户「{user}」。")
        if not account.has_perm("members.import_member"):
            raise CommandError(f"用户「{user}」没有导入党员的权限。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件「{file}」。")
        data = path.read_bytes()
        try:
            plan = plan_import(data=data, filename=path.name, user=account)
        except RosterFileError as exc:
            raise CommandError(str(exc)) from None
        # As the import page says them: an organisation the tree lacks, or a
        # word kept as written, once for all its rows.
        for line in grouped(plan.problems):
            self.stdout.write(line)
        for line in grouped(plan.warnings, kinds=("review",)):
            self.stdout.write(f"警告 {line}")
        for column in plan.unknown_columns:
            self.stdout.write(f"忽略无法识别的列「{column}」。")
        counts = plan.counts
        summary = (
            "新增 {new} 行，变更 {changed} 行，未变 {unchanged} 行，拒绝 {rejected} 行".format(
                **counts
            )
        )
        if dry_run:
            self.stdout.write(f"检查完毕（未写入）：{summary}。")
            return
        if counts["rejected"] and not skip_invalid:
            raise CommandError(
                f"{summary}；有被拒绝的行，未写入任何数据。修改后重试，或加 --skip-invalid 只导入有效行。"
            )
        run = import_run_record(user=account, data=data, file_name=path.name, plan=plan)
        try:
            roster_commit(
                plan=plan,
                user=account,
                skip_invalid=skip_invalid,
                reason=f"花名册导入：{path.name}（导入记录 {run.pk}，命令行）",
            )
        except Exception as exc:
            # The write rolled back whole; the run says so instead of staying "previewed".
            import_run_fail(run, f"写入失败，数据未作任何改动：{exc}")
            raise CommandError(f"写入失败，数据未作任何改动：{exc}") from None
        run.status, run.committed_at = run.Status.COMMITTED, timezone.now()
        run.skipped_invalid = bool(counts["rejected"])
        run.save(update_fields=["status", "committed_at", "skipped_invalid"])
        self.stdout.write(f"已导入：{summary}。")
