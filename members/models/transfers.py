"""组织关系转接: a member's move from one branch to another, with its 介绍信."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.models import OrgKind
from branches.scoping import ScopedQuerySet, scope_q


class TransferQuerySet(ScopedQuerySet, AuditedQuerySet):
    def visible_to(self, user):
        """Both sides see a transfer: the sending branch's, and the receiving node's.

        The receiving side sees the transfer and its letter – the member it
        names – and nothing else of the sender: the member's own page stays
        404 to them until the receipt moves the member into their tree.
        """
        sides = [scope_q(user, prefix=p) for p in ("from_branch", "to_org", "to_branch")]
        if Q() in sides:  # the whole tree: ORed, an empty Q would vanish
            return self.all()
        return self.filter(sides[0] | sides[1] | sides[2])

    def open(self) -> TransferQuerySet:
        return self.filter(state=Transfer.State.ISSUED)


class Transfer(models.Model):
    """One 组织关系转接 and its 介绍信: who, from where, to where, and how it ended.

    Three kinds. Inside the county (县内) one record is seen by both sides: the
    sending clerk issues the letter to a node of the tree, the member stays in
    the sending branch (转出中) until the receiving clerk records the receipt
    and picks the branch, and the member moves on that day. Out of the county
    (转出县外) the letter names the receiving organisation; the member leaves
    the roster when its 回执 comes back. Into the county from outside (县外转入)
    is recorded on arrival, with the member put on the roster. An open letter
    past its validity stays open until a clerk records it 过期 or 退回.
    Written only by ``members.services``.
    """

    class Kind(models.TextChoices):
        WITHIN = "within", "县内转接"
        OUT = "out", "转出县外"
        IN = "in", "从县外转入"

    class State(models.TextChoices):
        ISSUED = "issued", "已开出"
        RECEIVED = "received", "已接收"
        RETURNED = "returned", "已退回"
        EXPIRED = "expired", "已过期"

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField("转接类型", max_length=10, choices=Kind.choices)
    state = models.CharField(
        "状态", max_length=10, choices=State.choices, default=State.ISSUED, db_index=True
    )
    from_branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="转出党支部",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    to_org = models.ForeignKey(
        "branches.Organization",
        verbose_name="接收党组织",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="县内转接：介绍信抬头的党组织（乡镇党委或党支部）。",
    )
    to_branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="转入党支部",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    outside_org = models.CharField(
        "县外党组织",
        max_length=100,
        blank=True,
        help_text="转出县外：接收党组织；县外转入：原党组织。",
    )
    outside_place = models.CharField("县外党组织所在地", max_length=100, blank=True)
    letter_number = models.CharField("介绍信编号", max_length=30)
    letter_date = models.DateField("开具日期")
    valid_until = models.DateField("有效期至")
    dues_paid_until = models.DateField(
        "党费缴至年月", null=True, blank=True, help_text="记为所缴月份的1日。"
    )
    received_on = models.DateField("接收日期", null=True, blank=True)
    closed_on = models.DateField("退回或过期日期", null=True, blank=True)
    close_reason = models.CharField("退回或过期原因", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    issued_by = models.ForeignKey(
        "branches.User", verbose_name="经办人", on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.ForeignKey(
        "branches.User",
        verbose_name="接收经办人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = TransferQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-letter_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state="issued"),
                name="transfer_one_open_per_member",
                violation_error_message="该党员已有一封未办结的组织关系介绍信。",
            ),
            models.CheckConstraint(
                condition=Q(state="issued")
                | Q(received_on__isnull=False)
                | Q(closed_on__isnull=False),
                name="transfer_closed_has_date",
                violation_error_message="已办结的转接必须有接收、退回或过期日期。",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("letter_date")),
                name="transfer_valid_after_issue",
                violation_error_message="有效期不能早于开具日期。",
            ),
        ]
        indexes = [models.Index(fields=["state", "valid_until"], name="transfer_state_valid")]

    def __str__(self) -> str:
        return f"{self.member} {self.get_kind_display()} {self.letter_number}"

    def is_past_validity(self, today: datetime.date) -> bool:
        return self.state == self.State.ISSUED and self.valid_until < today

    @property
    def destination(self) -> str:
        if self.kind == self.Kind.OUT:
            return " ".join(filter(None, [self.outside_place, self.outside_org]))
        target = self.to_branch or self.to_org
        return target.name if target else ""

    @property
    def origin(self) -> str:
        if self.kind == self.Kind.IN:
            return " ".join(filter(None, [self.outside_place, self.outside_org]))
        return self.from_branch.name if self.from_branch else ""
