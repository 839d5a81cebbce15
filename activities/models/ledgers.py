"""The township's working ledgers (工作台账) that inspectors ask to see beside the
meeting records: 公开承诺 first.

Every ledger follows one pattern: a row tied to the organisation it belongs
to (``org``, the scope) and, where it concerns a person, to a member; a
clerk's form; a list with filters, an export and an A4 print; a yearly
summary per node. The records feed the points (``activities.points.ledgers``)
so a clerk never enters the same fact twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet

# A village's assessment meeting: a few hundred villagers at most; the bound keeps a
# typing slip (an extra zero) out of the satisfaction rate.
MAX_ASSESSORS = 5000


class PledgeCategory(models.TextChoices):
    DEVELOPMENT = "development", "带头致富"
    PUBLIC = "public", "公益服务"
    POLICY = "policy", "政策宣传"
    ENVIRONMENT = "environment", "环境整治"
    MEDIATION = "mediation", "矛盾调解"
    HELP = "help", "帮扶济困"
    OTHER = "other", "其他"


class Fulfilment(models.TextChoices):
    PENDING = "pending", "未到期"
    DONE = "done", "已兑现"
    PARTLY = "partly", "部分兑现"
    NOT = "not", "未兑现"


class PledgeQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Pledge(models.Model):
    """One thing publicly pledged (公开承诺) for a year, by a member or by an organisation.

    ``org`` is where the pledge is kept: the member's party group (or branch,
    outside any group) when it was made, or the organisation that pledged.
    The leader's comment (领导点评), the villagers' assessment (群众评议: how
    many were 满意, 基本满意, 不满意) and the fulfilment (践诺) are recorded
    on the same row as they happen; a member's pledge marked 已兑现 earns the
    兑现承诺 points.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member",
        verbose_name="承诺党员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="留空为党组织的承诺。",
    )
    year = models.PositiveSmallIntegerField("承诺年度")
    made_on = models.DateField("公开承诺日期")
    category = models.CharField("类别", max_length=20, choices=PledgeCategory.choices)
    text = models.CharField("承诺事项", max_length=300)
    due_on = models.DateField("完成时限")
    comment_by = models.CharField("点评领导", max_length=50, blank=True)
    comment_on = models.DateField("点评日期", null=True, blank=True)
    comment = models.CharField("领导点评", max_length=500, blank=True)
    assessed_on = models.DateField("群众评议日期", null=True, blank=True)
    satisfied = models.PositiveSmallIntegerField(
        "满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    fairly_satisfied = models.PositiveSmallIntegerField(
        "基本满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    dissatisfied = models.PositiveSmallIntegerField(
        "不满意", default=0, validators=[MaxValueValidator(MAX_ASSESSORS)]
    )
    fulfilment = models.CharField(
        "兑现情况", max_length=10, choices=Fulfilment.choices, default=Fulfilment.PENDING
    )
    fulfilled_on = models.DateField("兑现日期", null=True, blank=True)
    evidence = models.CharField("兑现情况说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = PledgeQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "公开承诺"
        verbose_name_plural = "公开承诺"
        ordering = ["-year", "org__path", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("made_on")),
                name="pledge_due_after_made",
                violation_error_message="完成时限不能早于公开承诺日期。",
            ),
            models.CheckConstraint(
                condition=Q(fulfilment="pending", fulfilled_on__isnull=True)
                | Q(fulfilment__in=["done", "partly", "not"], fulfilled_on__isnull=False),
                name="pledge_fulfilment_dated",
                violation_error_message="登记兑现情况须同时填写日期。",
            ),
            models.CheckConstraint(
                condition=Q(fulfilled_on__isnull=True) | Q(fulfilled_on__gte=F("made_on")),
                name="pledge_fulfilled_after_made",
                violation_error_message="兑现日期不能早于公开承诺日期。",
            ),
        ]
        indexes = [models.Index(fields=["year", "org"], name="pledge_year_org")]

    def __str__(self) -> str:
        return f"{self.year} {self.text[:20]}"

    @property
    def assessors(self) -> int:
        return self.satisfied + self.fairly_satisfied + self.dissatisfied

    @property
    def on_time(self) -> bool:
        return self.fulfilment == Fulfilment.DONE and self.fulfilled_on <= self.due_on
