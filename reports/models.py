"""What the project's own processes report about themselves."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker (``manage.py worker``).

    Written when a worker starts and every half lease while it runs; read by
    ``/health/`` so a monitor sees a site whose workers have all stopped.
    """

    name = models.CharField("进程", max_length=200, unique=True)  # host:pid
    seen_at = models.DateTimeField("最近一次报告")

    class Meta:
        verbose_name = "后台进程心跳"
        verbose_name_plural = "后台进程心跳"

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls, name: str) -> None:
        from django.utils import timezone

        cls.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


class MemberStamp(models.Model):
    """How many times the members of one organisation changed: a counter kept by the
    database itself.

    Triggers on the members and memberships tables (migration 0002) add one
    for every organisation whose memberships, or whose members' fields, a
    statement touched – in the writing transaction, whatever wrote (a form,
    the admin, an import's set-based SQL). ``MemberFigures`` rows remember the
    counter they were computed at, so a report never reads figures older than
    the data. A missing row reads as 0. Not audited (derived).
    """

    # A plain id, no foreign key: triggers write these rows while an organisation may be
    # on its way out in the same transaction.
    branch_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "党员数据版本"
        verbose_name_plural = "党员数据版本"

    def __str__(self) -> str:
        return f"{self.branch_id}: {self.version}"


class MemberFigures(models.Model):
    """Derived: the overview's member figures of one organisation's members on one day.

    For a branch (or any organisation members belong to) the figures of all
    its members; for a party group, of the group's. Computed by
    ``reports.figures`` when a report first asks for that organisation and
    day, and used again while its ``MemberStamp`` still holds ``version`` and
    the figures' definition still hashes to ``layout``; ages and probation
    depend on the day, so each day has its own rows. ``counts`` holds the
    figures in the definition's order, comma-separated: 1,700 rows parse in
    a few milliseconds. Not audited (derived).
    """

    org = models.ForeignKey("branches.Organization", on_delete=models.CASCADE, related_name="+")
    # The organisation whose MemberStamp covers these figures (a group's: its branch).
    branch = models.ForeignKey("branches.Organization", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    version = models.BigIntegerField()
    layout = models.CharField(max_length=16)
    counts = models.TextField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "党员数据汇总"
        verbose_name_plural = "党员数据汇总"
        constraints = [
            models.UniqueConstraint(fields=["day", "org"], name="member_figures_day_org"),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.day}"
