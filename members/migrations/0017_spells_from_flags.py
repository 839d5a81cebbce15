"""Spells for the members whose flags already said they were away, lost or suspended.

Written out with the historical models, as migrations must be: 外出 from the
day this runs (nothing recorded when they left), 失联 from its recorded date,
停止党籍 six months after that (the earliest the rule allows), or today.
"""

import calendar
import datetime

from django.db import migrations
from django.utils import timezone


def _six_months_later(day):
    index = day.year * 12 + day.month - 1 + 6
    first = datetime.date(index // 12, index % 12 + 1, 1)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Spell = apps.get_model("members", "Spell")
    today = timezone.localdate()
    rows = []
    on_roster = Member.objects.filter(roster_status="active")
    for member in on_roster.filter(is_mobile=True).iterator():
        rows.append(
            Spell(
                member=member, kind="away", started_on=today, destination=member.mobile_destination
            )
        )
    for member in on_roster.filter(lost_contact=True).iterator():
        rows.append(
            Spell(
                member=member,
                kind="lost",
                started_on=member.lost_contact_on or today,
                efforts="（启用本功能前已登记为失联）",
            )
        )
    for member in on_roster.filter(party_status="suspended").iterator():
        since = member.lost_contact_on
        since = min(_six_months_later(since), today) if since else today
        rows.append(Spell(member=member, kind="suspended", started_on=since))
    Spell.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("members", "0016_spells")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
