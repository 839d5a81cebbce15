"""The yearly 学时 targets, the 学习达标 point rule, and the roles' 党员学习 permissions.

The targets are those of the 中国共产党党员教育管理工作条例 (2019): every member
studies at least 32 学时 a year, branch secretaries 56. From 1 January 2026 a
member whose year reaches the target earns the 学习达标 points once for that
year (activities.points.ledgers). No manual rule covers study, so none is
closed. The township clerks, the county and the system admin record sessions;
a branch secretary reads them; the system admin edits the targets. Each rule
row gets a history row, as the audit trail keeps for every edit of a rule.
Written out rather than imported, and the dates not read from the clock, so the
migration keeps doing what it did whenever it runs.
"""

import datetime

from django.db import migrations
from django.utils import timezone

TARGETS_SINCE = datetime.date(2019, 1, 1)
POINTS_SINCE = datetime.date(2026, 1, 1)
MODELS = ("studysession", "studyattendance")
READ = [f"activities.view_{model}" for model in (*MODELS, "studytarget")]
RECORD = [f"activities.{action}_{model}" for model in MODELS for action in ("add", "change")]
TARGETS = ["activities.add_studytarget", "activities.change_studytarget"]
GRANTS = {
    "县委组织部": READ + RECORD,
    "乡镇专干": READ + RECORD,
    "支部书记": READ,
    "系统管理员": READ + RECORD + TARGETS,
}
REASON = "党员学习学时要求和学习达标积分的默认规则（数据迁移）"


def _record(apps, model: str, row) -> None:
    History = apps.get_model("activities", f"Historical{model}")
    fields = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    History.objects.create(
        **fields, history_date=timezone.now(), history_type="+", history_change_reason=REASON
    )


def forwards(apps, schema_editor):
    from importlib import import_module

    StudyTarget = apps.get_model("activities", "StudyTarget")
    if not StudyTarget.objects.exists():
        target = StudyTarget.objects.create(
            valid_from=TARGETS_SINCE, member_hours=32, secretary_hours=56
        )
        _record(apps, "StudyTarget", target)
    PointRule = apps.get_model("activities", "PointRule")
    if not PointRule.objects.filter(source="study").exists():
        rule = PointRule.objects.create(
            source="study", activity_kind="", points=2, yearly_cap=2, valid_from=POINTS_SINCE
        )
        _record(apps, "PointRule", rule)
    import_module("branches.migrations.0013_terms_defaults").grant(apps, "activities", GRANTS)


class Migration(migrations.Migration):
    dependencies = [("activities", "0032_study"), ("branches", "0013_terms_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
