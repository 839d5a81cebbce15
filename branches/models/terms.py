"""换届: how long each committee's term runs, its elections, and approved postponements."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.models.tree import BranchCategory, Organization, OrgKind, PostTitle
from branches.scoping import ScopedQuerySet

# The organisations that elect a committee for a term: a 党小组 has a leader, not a
# committee, and the county's 工委 are appointed.
TERM_KINDS = (
    OrgKind.TOWNSHIP,
    OrgKind.PRIMARY_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
)


class TermLength(models.Model):
    """How many years a committee's term runs (任期), for a kind of organisation.

    A row with a category applies to that category of the kind (a village's
    党支部) and wins over the row without one (every other 党支部). The
    defaults (migration 0020) are five years for township committees and for
    village and community organisations, three for the others; the county
    edits them in the admin.
    """

    kind = models.CharField(
        "组织类别", max_length=20, choices=[(k.value, k.label) for k in TERM_KINDS]
    )
    category = models.CharField(
        "支部类型",
        max_length=20,
        choices=BranchCategory.choices,
        blank=True,
        help_text="留空表示该组织类别的其他各类。",
    )
    years = models.PositiveSmallIntegerField(
        "任期（年）", validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    objects = AuditedQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "任期年限"
        verbose_name_plural = "任期年限"
        ordering = ["kind", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "category"],
                name="termlength_one_per_kind_category",
                violation_error_message="该组织类别和支部类型已有任期年限。",
            ),
            models.CheckConstraint(
                condition=Q(years__gte=1, years__lte=10),
                name="termlength_years_range",
                violation_error_message="任期应为1至10年。",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_kind_display()
        if self.category:
            what = f"{self.get_category_display()}{what}"
        return f"{what}：{self.years}年"


class TermPostponementQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class TermPostponement(models.Model):
    """An approved postponement (延期换届) of one committee's election.

    It belongs to the term that began on ``term_started_on``: a new election
    starts a new term, and the postponement no longer applies. The latest one
    for the current term sets the due date.
    """

    org = models.ForeignKey(
        Organization, verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    term_started_on = models.DateField("所延期任期的开始日期")
    until = models.DateField("延期至")
    approved_on = models.DateField("批准日期")
    document = models.CharField("批准文号", max_length=100)
    reason = models.CharField("延期原因", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = TermPostponementQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "延期换届"
        verbose_name_plural = "延期换届"
        ordering = ["org__path", "-approved_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__gt=models.F("term_started_on")),
                name="postponement_after_term_start",
                violation_error_message="延期至的日期应晚于本届任期开始日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} 延期换届至{self.until:%Y-%m-%d}"


class ElectionMethod(models.TextChoices):
    DIRECT = "direct", "直接选举"
    OPEN_DIRECT = "open_direct", "公推直选"
    TWO_RECOMMENDATIONS = "two_recommendations", "两推一选"
    CONGRESS = "congress", "党员代表大会选举"


class ElectionQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Election(models.Model):
    """One election of an organisation's committee (换届选举, or a 补选 within a term).

    Records who had a vote (应到会), who attended (实到会) and each
    candidate's votes. ``branches.terms.services.election_record`` refuses an
    invalid result by the rules of the 基层组织选举工作条例 (2020): more than
    four fifths of those with a vote present, and a candidate elected with
    more than half of the votes of those present. A 换届选举 starts a new term
    on its date; a 补选 fills posts within the term.
    """

    org = models.ForeignKey(
        Organization, verbose_name="党组织", on_delete=models.PROTECT, related_name="elections"
    )
    held_on = models.DateField("选举日期")
    by_election = models.BooleanField("补选", default=False, help_text="补选不开始新一届任期。")
    method = models.CharField("选举方式", max_length=30, choices=ElectionMethod.choices)
    electors = models.PositiveIntegerField("应到会有选举权党员数")
    present = models.PositiveIntegerField("实到会有选举权党员数")
    approval_document = models.CharField("上级批复文号", max_length=100, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = ElectionQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "换届选举"
        verbose_name_plural = "换届选举"
        ordering = ["org__path", "-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(electors__gt=0),
                name="election_has_electors",
                violation_error_message="应到会有选举权党员数须大于0。",
            ),
            models.CheckConstraint(
                condition=Q(present__lte=models.F("electors")),
                name="election_present_within_electors",
                violation_error_message="实到会人数不能多于应到会人数。",
            ),
        ]

    def __str__(self) -> str:
        kind = "补选" if self.by_election else "换届选举"
        return f"{self.org} {self.held_on:%Y-%m-%d} {kind}"

    @property
    def quorate(self) -> bool:
        """More than four fifths of those with a vote attended."""
        return self.present * 5 > self.electors * 4


class CandidateQuerySet(ScopedQuerySet):
    scope_through = "election__org"


class Candidate(models.Model):
    """A candidate (候选人) in an election for one post, their votes, and whether elected.

    An elected candidate's post (``post``) starts on the election's date.
    """

    election = models.ForeignKey(
        Election, verbose_name="选举", on_delete=models.CASCADE, related_name="candidates"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="候选人", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(
        "拟任职务",
        max_length=30,
        choices=[(t.value, t.label) for t in PostTitle if t != PostTitle.GROUP_LEADER],
    )
    votes = models.PositiveIntegerField("得票数")
    elected = models.BooleanField("当选", default=False)
    post = models.OneToOneField(
        "branches.Post",
        verbose_name="任职记录",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="candidate",
    )

    objects = CandidateQuerySet.as_manager()

    class Meta:
        verbose_name = "候选人"
        verbose_name_plural = "候选人"
        ordering = ["election", "title", "-votes", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "member", "title"],
                name="candidate_once_per_post",
                violation_error_message="同一候选人在同一次选举中对同一职务只登记一次。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.get_title_display()} {self.votes}票"

    def clean(self) -> None:
        if self.election_id and self.votes > self.election.present:
            raise ValidationError({"votes": "得票数不能多于实到会有选举权的人数。"})
