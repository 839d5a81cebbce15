"""Dated spells of a member's standing: working away (流动), lost contact (失联), suspended (停止党籍)."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet


class SpellQuerySet(ScopedQuerySet, AuditedQuerySet):
    # A member's spells are seen wherever the member is.
    scope_through = "member__branch"

    def open(self) -> SpellQuerySet:
        return self.filter(ended_on__isnull=True)

    def on(self, day: datetime.date) -> SpellQuerySet:
        """Spells in force on *day*: begun on or before it and not ended by it."""
        return self.filter(started_on__lte=day).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=day)
        )


class Spell(models.Model):
    """One stretch of a member's standing, dated like ``Membership`` rows: ``[started_on, ended_on)``.

    外出 (working away from home): where, for whom, how to reach them, and
    whether they joined a 流动党员党组织 there; it ends on their return. 失联
    (lost contact): since when and what was tried; it ends when contact is
    regained. 停止党籍 (suspended): the branch's decision on a member lost
    for six months, with its date and number; it ends with 恢复党籍 or, two
    years on, 除名. The member's current flags (是否为流动党员, 是否为失联党员,
    党籍状态) follow the open spells; reports for a past date read the spells.
    Written only by ``members.services``.
    """

    class Kind(models.TextChoices):
        AWAY = "away", "外出流动"
        LOST = "lost", "失联"
        SUSPENDED = "suspended", "停止党籍"

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="spells"
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)
    # 外出
    destination = models.CharField("外出地点", max_length=200, blank=True)
    employer = models.CharField("工作单位", max_length=200, blank=True)
    contact = models.CharField("联系方式", max_length=100, blank=True)
    mobile_org = models.CharField(
        "参加的流动党员党组织", max_length=200, blank=True, help_text="未参加的留空。"
    )
    # 失联
    efforts = models.CharField("查找情况", max_length=500, blank=True)
    # 停止党籍, and how a spell ended
    decision_number = models.CharField("决定文号", max_length=50, blank=True)
    end_note = models.CharField("终止情况", max_length=200, blank=True)
    end_decision_number = models.CharField("终止决定文号", max_length=50, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = SpellQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "流动、失联与党籍记录"
        verbose_name_plural = "流动、失联与党籍记录"
        ordering = ["member", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=Q(ended_on__isnull=True),
                name="spell_one_open_per_kind",
                violation_error_message="该党员已有一条未结束的同类记录。",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="spell_ends_after_start",
                violation_error_message="终止日期不能早于起始日期。",
            ),
        ]
        indexes = [models.Index(fields=["kind", "started_on"], name="spell_kind_start")]

    def __str__(self) -> str:
        end = self.ended_on or "至今"
        return f"{self.member} {self.get_kind_display()} {self.started_on}—{end}"


class InflowQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "branch"

    def present_on(self, day: datetime.date) -> InflowQuerySet:
        return self.filter(arrived_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gt=day))


class Inflow(models.Model):
    """流入党员: a member of an organisation elsewhere who lives or works here for a while.

    Not on the roster (their membership stays with their own organisation);
    registered with the branch that looks after them here, so they can join
    its organisational life, from the day they arrived until they leave.
    """

    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("公民身份证号", max_length=18, blank=True)
    mobile_phone = models.CharField("手机号", max_length=20, blank=True)
    origin_org = models.CharField("原党组织", max_length=200)
    origin_place = models.CharField("原党组织所在地", max_length=100, blank=True)
    employer = models.CharField("在本地的工作单位或住址", max_length=200, blank=True)
    branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="联系的党支部",
        on_delete=models.PROTECT,
        related_name="+",
    )
    arrived_on = models.DateField("流入日期")
    left_on = models.DateField("离开日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = InflowQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "流入党员"
        verbose_name_plural = "流入党员"
        ordering = ["branch", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("arrived_on")),
                name="inflow_leaves_after_arrival",
                violation_error_message="离开日期不能早于流入日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.origin_org}）"
