"""Star ratings (评星定级): the bands, the rating rule, the 民主评议 appraisal, and the
stored drafts, group ranks and frozen publications."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from activities.models.points import DatedRule
from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet
from members.choices import MemberCategory


def stars_label(stars: int) -> str:
    return "★" * stars if stars else "不合格"


class StarBand(DatedRule):
    """The lowest year total that earns a number of stars (0 stars: 不合格)."""

    stars = models.PositiveSmallIntegerField(
        "星级", choices=[(n, stars_label(n)) for n in range(6)]
    )
    min_points = models.DecimalField("最低积分", max_digits=6, decimal_places=1)

    history = audit_history()

    class Meta:
        verbose_name = "星级分档"
        verbose_name_plural = "星级分档"
        ordering = ["valid_from", "stars"]

    def __str__(self) -> str:
        return f"{self.get_stars_display()} ≥{self.min_points}"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping(stars=self.stars).exists():
            raise ValidationError({"valid_from": "同一星级的分档有效期不能重叠。"})


def _plain(value) -> str:
    """A weight as people write it: 0.50 → 0.5, 1.00 → 1."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class RankingScope(models.TextChoices):
    BRANCH = "branch", "在本支部内排名"
    TOWNSHIP = "township", "在本乡镇内排名"


class ApprovalLevel(models.TextChoices):
    COUNTY = "county", "县委组织部审批"
    TOWNSHIP = "township", "乡镇党委审批"


class RatingRule(DatedRule):
    """The settings of a year's rating: the last-ranked-group rule, the appraisal cap
    and which level approves manual point entries."""

    last_rank_enabled = models.BooleanField("启用党小组末位规则", default=True)
    # In the township by default: the county work reports describe a township-wide
    # annual assessment, and ranking inside every branch would remove about a
    # quarter of all group leaders each year. Rules valid before 2026 keep "branch".
    ranking_scope = models.CharField(
        "排名范围", max_length=10, choices=RankingScope.choices, default=RankingScope.TOWNSHIP
    )
    weight_compliance = models.DecimalField(
        "组织生活完成率权重", max_digits=4, decimal_places=2, default=0.5
    )
    weight_points = models.DecimalField(
        "党员平均积分权重", max_digits=4, decimal_places=2, default=0.5
    )
    min_groups = models.PositiveSmallIntegerField(
        "最少党小组数", default=3, help_text="参与排名的党小组少于此数时不确定末位。"
    )
    last_rank_cap_stars = models.PositiveSmallIntegerField(
        "末位党小组党员最高星级", default=4, choices=[(n, stars_label(n)) for n in range(6)]
    )
    unqualified_appraisal_caps = models.BooleanField("民主评议不合格者评为不合格", default=True)
    approval_level = models.CharField(
        "手工积分审批层级",
        max_length=10,
        choices=ApprovalLevel.choices,
        default=ApprovalLevel.TOWNSHIP,
    )

    history = audit_history()

    class Meta:
        verbose_name = "评星定级规则"
        verbose_name_plural = "评星定级规则"
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"评星定级规则（{self.valid_from:%Y-%m-%d} 起）"

    @property
    def score_formula(self) -> str:
        """The score as the ranking pages explain it, with this rule's weights."""
        return (
            f"组织生活完成率（%）× {_plain(self.weight_compliance)}"
            f" + 党员平均积分 × {_plain(self.weight_points)}"
        )

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping().exists():
            raise ValidationError({"valid_from": "评星定级规则的有效期不能重叠。"})


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    BASIC = "basic", "基本合格"
    UNQUALIFIED = "unqualified", "不合格"


class AppraisalQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "branch"


class Appraisal(models.Model):
    """A member's democratic appraisal (民主评议) grade for a year, entered by the branch.

    Probationary members take part in the appraisal but are not graded.
    """

    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    grade = models.CharField("评议等次", max_length=20, choices=AppraisalGrade.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )

    objects = AppraisalQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "民主评议结果"
        verbose_name_plural = "民主评议结果"
        ordering = ["-year", "branch__path", "member__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year"],
                name="appraisal_one_per_year",
                violation_error_message="该党员本年度已有民主评议结果。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.member} {self.get_grade_display()}"

    def clean(self) -> None:
        if self.member_id and self.member.category == MemberCategory.PROBATIONARY:
            raise ValidationError(
                {"member": f"「{self.member.name}」是预备党员：参加民主评议，但不评定等次。"}
            )


class RatingPublicationQuerySet(ScopedQuerySet):
    scope_through = "org"

    def in_force(self):
        """Publications not withdrawn: the ones that count as the year's result."""
        return self.filter(withdrawn_at__isnull=True)


class RatingPublication(models.Model):
    """A year's ratings published for a node: the frozen snapshot its rows belong to.

    County staff may withdraw a publication, with a reason, within
    ``RATING_WITHDRAW_DAYS`` of publishing; the row and its frozen copy stay
    as the record of what was published, the year counts as unpublished
    again and can be published anew. After the period a publication is final.
    """

    year = models.PositiveSmallIntegerField("年度")
    org = models.ForeignKey(
        "branches.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField("发布时间")
    member_count = models.PositiveIntegerField("党员数")
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdraw_reason = models.CharField("撤回理由", max_length=200, blank=True)

    objects = RatingPublicationQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "评星定级发布"
        verbose_name_plural = "评星定级发布"
        ordering = ["-year", "org__path"]
        permissions = [("publish_rating", "发布年度评星定级")]
        constraints = [
            # Withdrawn publications stay on record beside the one published again.
            models.UniqueConstraint(
                fields=["year", "org"],
                condition=Q(withdrawn_at__isnull=True),
                name="publication_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        withdrawn = "（已撤回）" if self.withdrawn_at else ""
        return f"{self.year}年度 {self.org} 评星定级{withdrawn}"

    @property
    def withdrawable_until(self) -> datetime.datetime:
        return self.published_at + datetime.timedelta(days=settings.RATING_WITHDRAW_DAYS)


class RatingQuerySet(ScopedQuerySet):
    scope_through = "org"


class Rating(models.Model):
    """A member's rating for a year: a draft row (no publication) or a published, frozen one.

    Drafts are recomputed from the ledger by ``activities.ratings``; published
    rows are copies that nothing rewrites. ``org`` is the member's group (or
    branch) at the year's end. ``capped`` is what the per-rule caps took off;
    ``note`` explains any cap on the stars.
    """

    year = models.PositiveSmallIntegerField("年度")
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "branches.Organization", verbose_name="组织", on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    publication = models.ForeignKey(
        RatingPublication,
        verbose_name="发布",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ratings",
    )
    base = models.DecimalField("基础分", max_digits=6, decimal_places=1)
    additions = models.DecimalField("加分", max_digits=6, decimal_places=1)
    deductions = models.DecimalField("扣分", max_digits=6, decimal_places=1)
    capped = models.DecimalField("超出上限未计", max_digits=6, decimal_places=1)
    total = models.DecimalField("总分", max_digits=6, decimal_places=1)
    points_stars = models.PositiveSmallIntegerField("按积分星级")
    appraisal = models.CharField(
        "民主评议", max_length=20, choices=AppraisalGrade.choices, blank=True
    )
    stars = models.PositiveSmallIntegerField("评定星级")
    note = models.CharField("说明", max_length=300, blank=True)
    computed_at = models.DateTimeField("计算时间")

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "党员评星"
        verbose_name_plural = "党员评星"
        permissions = [("compute_rating", "计算评星定级草稿")]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "member"],
                condition=Q(publication__isnull=True),
                name="rating_one_draft_per_year",
            ),
            models.UniqueConstraint(
                fields=["publication", "member"], name="rating_one_per_publication"
            ),
        ]
        indexes = [models.Index(fields=["year", "org"], name="rating_year_org")]

    def __str__(self) -> str:
        return f"{self.year} {self.member_id} {self.total} {self.stars}★"


class RatingTally(models.Model):
    """Derived: how many of one organisation's ratings of a year (a draft's, or one
    publication's) have each number of stars, and their points.

    The stars report rolls these up by path instead of counting a county's
    70,000 ratings on every request. Written with the ratings, in the same
    transaction (``activities.ratings.services.rating_tally_refresh``): a draft's
    when it is computed, a publication's when it is frozen. Not audited (derived).
    """

    year = models.PositiveSmallIntegerField()
    publication = models.ForeignKey(
        RatingPublication, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    org = models.ForeignKey("branches.Organization", on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=12, decimal_places=1)
    computed_at = models.DateTimeField()

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = "评星汇总"
        verbose_name_plural = "评星汇总"
        indexes = [
            models.Index(fields=["year", "publication", "org"], name="rating_tally_year_pub_org")
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.org_id} {self.stars}★: {self.count}"

    @property
    def stars_text(self) -> str:
        return stars_label(self.stars)

    @property
    def points_stars_text(self) -> str:
        return stars_label(self.points_stars)


class GroupRankQuerySet(ScopedQuerySet):
    scope_through = "group"


class GroupRank(models.Model):
    """A party group's place in the year's ranking (a draft row, or part of a publication).

    Score = compliance (percent of due meetings held) × its weight + the
    members' average points × its weight; ranked within the branch or the
    township as the rating rule says. When the ranking applies (enough
    groups), ``is_last`` marks the one group at the bottom; when several share
    the lowest score they are ``tied`` and none is last until a person decides
    (``decision``, a ``LastRankDecision``).
    """

    year = models.PositiveSmallIntegerField("年度")
    group = models.ForeignKey(
        "branches.Organization", verbose_name="党小组", on_delete=models.PROTECT, related_name="+"
    )
    scope_org = models.ForeignKey(
        "branches.Organization", verbose_name="排名范围", on_delete=models.PROTECT, related_name="+"
    )
    publication = models.ForeignKey(
        RatingPublication,
        verbose_name="发布",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_ranks",
    )
    member_count = models.PositiveIntegerField("党员数")
    compliance = models.DecimalField(
        "组织生活完成率", max_digits=5, decimal_places=4, null=True, blank=True
    )
    average_points = models.DecimalField("平均积分", max_digits=6, decimal_places=2)
    score = models.DecimalField("综合得分", max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField("名次")
    group_count = models.PositiveIntegerField("参与排名党小组数")
    is_last = models.BooleanField("末位", default=False)
    tied = models.BooleanField("并列末位", default=False)
    decision = models.ForeignKey(
        "LastRankDecision",
        verbose_name="末位决定",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    leader = models.ForeignKey(
        "members.Member",
        verbose_name="党小组长",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    computed_at = models.DateTimeField("计算时间")

    objects = GroupRankQuerySet.as_manager()

    class Meta:
        verbose_name = "党小组排名"
        verbose_name_plural = "党小组排名"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "group"],
                condition=Q(publication__isnull=True),
                name="grouprank_one_draft_per_year",
            ),
        ]
        indexes = [models.Index(fields=["year", "scope_org"], name="grouprank_year_scope")]

    def __str__(self) -> str:
        return f"{self.year} {self.group_id} 第{self.rank}名"

    @property
    def undecided(self) -> bool:
        return self.tied and self.decision_id is None


class LastRankDecisionQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "scope_org"


class LastRankDecision(models.Model):
    """A person's decision which of the groups tied at the bottom of a ranking are last.

    The rule marks no group last when several share the lowest score: county
    staff or the township clerk choose which (possibly none) and say why. A
    decision holds for the tie it was made for – the same groups tied at the
    bottom of the same ranking in the same year – so a draft recomputed after
    the scores moved asks again. Decisions are never edited: a later one for
    the same tie supersedes an earlier one, and both stay on record.
    """

    year = models.PositiveSmallIntegerField("年度")
    scope_org = models.ForeignKey(
        "branches.Organization", verbose_name="排名范围", on_delete=models.PROTECT, related_name="+"
    )
    # Ids, sorted: a snapshot of the tie as it was shown, compared with each recompute.
    tied_group_ids = models.JSONField("并列末位的党小组")
    last_group_ids = models.JSONField("确定为末位的党小组")
    reason = models.CharField("理由", max_length=300)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("决定时间")

    objects = LastRankDecisionQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "并列末位决定"
        verbose_name_plural = "并列末位决定"
        ordering = ["-decided_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.year}年度 {self.scope_org} 并列末位决定"
