"""The 远程教育 stations (党员干部现代远程教育终端站点) of the branches and their monthly
check: one more working ledger, on the pattern of ``activities.models.ledgers``.

A station is a branch's room with a television and a set-top box (or a
computer, a projector) where members watch the study programmes; the
township's clerk (乡镇专干) visits each station once a month and writes down
whether it works and how often it was used. Stations earn no points: they are
not a member's deed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet

# Playbacks (播放次数) a month: a station shows a programme a few times a week at
# most; the bound keeps a slip of the keyboard out of the year's sum.
MAX_PLAYBACKS = 99

# The equipment a station may hold, as the county's forms list it: (field, label).
EQUIPMENT = (
    ("has_tv", "电视机"),
    ("has_set_top_box", "机顶盒"),
    ("has_computer", "电脑"),
    ("has_projector", "投影仪"),
)


class StationState(models.TextChoices):
    NORMAL = "normal", "正常"
    FAULT = "fault", "设备故障"
    IDLE = "idle", "未开展"


class StationQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Station(models.Model):
    """A branch's 远程教育 station (终端站点): where it is, what it holds, who keeps it.

    ``org`` is the branch it belongs to (the scope), usually a village's; the
    equipment is four ticks and a short note, the manager (管理员) a member of
    the branch. A station is opened on a day and closed (停用) on a day, never
    deleted: its months' checks stay in the ledger.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("站点名称", max_length=100)
    address = models.CharField("站点地址", max_length=200)
    has_tv = models.BooleanField("电视机", default=False)
    has_set_top_box = models.BooleanField("机顶盒", default=False)
    has_computer = models.BooleanField("电脑", default=False)
    has_projector = models.BooleanField("投影仪", default=False)
    equipment_note = models.CharField("其他设备", max_length=100, blank=True)
    manager = models.ForeignKey(
        "members.Member", verbose_name="管理员", on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField("建站日期")
    closed_on = models.DateField("停用日期", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = StationQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "远程教育站点"
        verbose_name_plural = "远程教育站点"
        ordering = ["org__path", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "name"],
                name="station_unique_name_in_branch",
                violation_error_message="该党支部已有同名的远程教育站点。",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="station_closed_after_opened",
                violation_error_message="停用日期不能早于建站日期。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def equipment(self) -> str:
        """The equipment as the paper ledger writes it: 电视机、机顶盒、其他."""
        held = [label for name, label in EQUIPMENT if getattr(self, name)]
        if self.equipment_note:
            held.append(self.equipment_note)
        return "、".join(held)


class StationCheckQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "station__org"


class StationCheck(models.Model):
    """The clerk's monthly check (检查) of a station: its state and how often it was used.

    One per station and month: ``month`` is the month's first day,
    ``checked_by`` the account that recorded the check (the township's clerk),
    ``playbacks`` how many times the station played study programmes that
    month. A 设备故障 month says what is broken; a 未开展 month played nothing.
    Whoever holds the permission may correct a month's check; the history keeps
    what it said before.
    """

    station = models.ForeignKey(
        Station, verbose_name="站点", on_delete=models.PROTECT, related_name="checks"
    )
    month = models.DateField("月份", help_text="该月的第一天。")
    checked_on = models.DateField("检查日期")
    state = models.CharField("运行情况", max_length=10, choices=StationState.choices)
    playbacks = models.PositiveSmallIntegerField(
        "播放次数", validators=[MaxValueValidator(MAX_PLAYBACKS)]
    )
    comment = models.CharField("检查情况", max_length=200, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="检查人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = StationCheckQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "远程教育站点检查"
        verbose_name_plural = "远程教育站点检查"
        ordering = ["station_id", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["station", "month"],
                name="stationcheck_one_per_month",
                violation_error_message="该站点这个月已检查。",
            ),
            models.CheckConstraint(
                condition=Q(checked_on__gte=F("month")),
                name="stationcheck_checked_after_month_began",
                violation_error_message="检查日期不能早于该月第一天。",
            ),
            models.CheckConstraint(
                condition=Q(playbacks__lte=MAX_PLAYBACKS),
                name="stationcheck_playbacks_bounded",
                violation_error_message=f"播放次数不能超过{MAX_PLAYBACKS}次。",
            ),
            models.CheckConstraint(
                condition=~Q(state="idle") | Q(playbacks=0),
                name="stationcheck_idle_played_nothing",
                violation_error_message="未开展的月份播放次数应为0。",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="stationcheck_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%-m月}"

    def clean(self) -> None:
        # A month is kept as its first day, so "one per month" is one per row.
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "月份应为该月的第一天。"})
