"""Build the working ledgers' tallies for the rows already recorded.

A copy of ``activities.ledgers.tallies``' counting as it stands (migrations must
not import code that will change), every year at once; it only inserts, so it
runs on the empty tables 0035 made. ``manage.py ledger_tally_rebuild`` recounts
with the current code at any time.
"""

from collections import defaultdict

from django.db import migrations
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear


def _tenths(hours):
    return int((hours or 0) * 10)


def build(apps, schema_editor):
    get = lambda name: apps.get_model("activities", name)  # noqa: E731
    Pledge, DutyLog, PairingVisit = get("Pledge"), get("DutyLog"), get("PairingVisit")
    DiaryEntry, DiaryCheck, Talk = get("DiaryEntry"), get("DiaryCheck"), get("Talk")
    StudySession, StudyAttendance = get("StudySession"), get("StudyAttendance")
    LedgerTally, LedgerMemberTally = get("LedgerTally"), get("LedgerMemberTally")
    org_rows, member_rows = [], []

    def keep(ledger, rows, key, metrics, convert=lambda m, v: v or 0):
        for row in rows:
            for metric in metrics:
                value = convert(metric, row[metric])
                if value:
                    org_rows.append(
                        LedgerTally(
                            org_id=row[key], year=row["y"], ledger=ledger, metric=metric, value=value
                        )
                    )

    pledges = {
        "made": Count("pk"),
        "members": Count("member", distinct=True),
        "done": Count("pk", filter=Q(fulfilment="done")),
        "on_time": Count("pk", filter=Q(fulfilment="done", fulfilled_on__lte=F("due_on"))),
        "partly": Count("pk", filter=Q(fulfilment="partly")),
        "satisfied": Sum("satisfied"),
        "fairly_satisfied": Sum("fairly_satisfied"),
        "dissatisfied": Sum("dissatisfied"),
    }
    keep(
        "pledges",
        Pledge.objects.values("org_id", y=F("year")).annotate(**pledges).order_by(),
        "org_id",
        pledges,
    )
    keep(
        "duty",
        DutyLog.objects.values(org=F("assignment__post__org_id"), y=ExtractYear("done_on"))
        .annotate(logs=Count("pk"))
        .order_by(),
        "org",
        ["logs"],
    )
    year = ExtractYear("visited_on")
    running = Q(pairing__started_on__year__lte=year) & (
        Q(pairing__ended_on__isnull=True) | Q(pairing__ended_on__year__gte=year)
    )
    keep(
        "pairs",
        PairingVisit.objects.values(org=F("pairing__org_id"), y=year)
        .annotate(visits=Count("pk"), visited=Count("pairing", distinct=True, filter=running))
        .order_by(),
        "org",
        ["visits", "visited"],
    )
    checked = Exists(
        DiaryCheck.objects.filter(
            org=OuterRef("org"),
            month__year=ExtractYear(OuterRef("date")),
            month__month=ExtractMonth(OuterRef("date")),
        )
    )
    diary = {
        "entries": Count("pk"),
        "resolved": Count("pk", filter=Q(outcome="resolved")),
        "reported": Count("pk", filter=Q(outcome="reported")),
        "following": Count("pk", filter=Q(outcome="following")),
        "months": Count(ExtractMonth("date"), distinct=True),
        "checked": Count(ExtractMonth("date"), distinct=True, filter=Q(checked)),
    }
    keep(
        "diary",
        DiaryEntry.objects.values("org_id", y=ExtractYear("date")).annotate(**diary).order_by(),
        "org_id",
        diary,
    )
    talks = Talk.objects.values("org_id", y=ExtractYear("talked_on")).annotate(
        talks=Count("pk"), branches=Count("org", distinct=True)
    )
    keep("talks", talks.order_by(), "org_id", ["talks", "branches"])
    keep(
        "study",
        StudySession.objects.values("org_id", y=ExtractYear("date"))
        .annotate(sessions=Count("pk"), hours=Sum("hours"))
        .order_by(),
        "org_id",
        ["sessions", "hours"],
        lambda m, v: _tenths(v) if m == "hours" else v,
    )
    GroupReport = get("GroupReport")
    keep(
        "grouprep",
        GroupReport.objects.values("org_id", y=ExtractYear("month"))
        .annotate(submitted=Count("pk"), on_time=Count("pk", filter=Q(on_time=True)))
        .order_by(),
        "org_id",
        ["submitted", "on_time"],
    )
    places = (
        Pledge.objects.filter(member__isnull=False)
        .values(who=F("member_id"), y=F("year"))
        .annotate(places=Count("org", distinct=True))
        .filter(places__gt=1)
        .order_by()
    )
    member_rows += [
        LedgerMemberTally(member_id=r["who"], year=r["y"], ledger="pledges", value=r["places"] - 1)
        for r in places
    ]
    spoke = defaultdict(int)
    for side in ("initiator", "partner"):
        rows = Talk.objects.values(who=F(f"{side}_id"), y=ExtractYear("talked_on"))
        for row in rows.annotate(n=Count("pk")).order_by():
            spoke[(row["who"], row["y"])] += row["n"]
    member_rows += [
        LedgerMemberTally(member_id=who, year=y, ledger="talks", value=n)
        for (who, y), n in spoke.items()
    ]
    hours = (
        StudyAttendance.objects.values(who=F("member_id"), y=ExtractYear("session__date"))
        .annotate(hours=Sum("session__hours"))
        .order_by()
    )
    member_rows += [
        LedgerMemberTally(member_id=r["who"], year=r["y"], ledger="study", value=_tenths(r["hours"]))
        for r in hours
        if _tenths(r["hours"])
    ]
    LedgerTally.objects.bulk_create(org_rows, batch_size=2000)
    LedgerMemberTally.objects.bulk_create(member_rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("activities", "0035_ledger_tallies")]

    operations = [migrations.RunPython(build, migrations.RunPython.noop)]
