"""党员教育: study sessions with their attendance, and the yearly target of 学时.

A session is held by a branch or by a township (or another committee) for its
members; each member who attended gets the session's hours. A member's year is
the sum of the hours of the sessions they attended in it, held to the target
in force on the year's 1 January (``StudyTarget``): the branch secretaries'
target for members holding a 书记 post, the members' target for the others.
Reaching it earns the 学习达标 points (``activities.points.ledgers``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history
from branches.dated import DatedRule
from branches.scoping import ScopedQuerySet

MIN_HOURS, MAX_HOURS, HOURS_STEP = Decimal("0.5"), Decimal("8"), Decimal("0.5")


class StudyForm(models.TextChoices):
    CLASS = "class", "集中学习"
    REMOTE = "remote", "远程教育"
    ONLINE = "online", "网络学习"
    LESSON = "lesson", "党课"


class StudySessionQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class StudySession(models.Model):
    """One study session (党员教育) an organisation held: the day, topic, form and 学时.

    ``org`` is the branch or the township committee that held it (the scope);
    every member in ``attendance`` gets ``hours`` (0.5 to 8, in half hours)
    towards their year. Saving a session rewrites its members' 学习达标 points.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField("学习日期")
    topic = models.CharField("学习主题", max_length=200)
    form = models.CharField("学习形式", max_length=10, choices=StudyForm.choices)
    hours = models.DecimalField("学时", max_digits=3, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = StudySessionQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "党员学习教育"
        verbose_name_plural = "党员学习教育"
        ordering = ["org__path", "date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=MIN_HOURS, hours__lte=MAX_HOURS),
                name="studysession_hours_in_range",
                violation_error_message="学时应在0.5至8之间。",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "date"], name="studysession_org_date"),
            models.Index(fields=["date"], name="studysession_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.topic[:20]}"

    def clean(self) -> None:
        if self.hours is not None and self.hours % HOURS_STEP:
            raise ValidationError({"hours": "学时按半小时计，应为0.5的整数倍。"})


class StudyAttendanceQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "session__org"


class StudyAttendance(models.Model):
    """A member who attended a study session: they get its 学时 for the year."""

    session = models.ForeignKey(
        StudySession, verbose_name="学习", on_delete=models.CASCADE, related_name="attendance"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )

    objects = StudyAttendanceQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "党员学习参加人员"
        verbose_name_plural = "党员学习参加人员"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"],
                name="studyattendance_once",
                violation_error_message="该党员已在本次学习的参加人员中。",
            ),
        ]
        indexes = [models.Index(fields=["member", "session"], name="studyattendance_member")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.member_id}"


class StudyTarget(DatedRule):
    """The yearly target of 学时: for members, and for those holding a 书记 post.

    A year is held to the row in force on its 1 January. A member is held to
    the secretaries' target when they hold a 书记 post (of any organisation) on
    the year's last day, or today while the year is under way.
    """

    member_hours = models.DecimalField("党员年度学时", max_digits=4, decimal_places=1)
    secretary_hours = models.DecimalField("书记年度学时", max_digits=4, decimal_places=1)

    history = audit_history()

    class Meta:
        verbose_name = "党员学习学时要求"
        verbose_name_plural = "党员学习学时要求"
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member_hours__gt=0, secretary_hours__gt=0),
                name="studytarget_hours_positive",
                violation_error_message="学时要求必须大于0。",
            ),
        ]

    def __str__(self) -> str:
        return f"学时要求（{self.valid_from:%Y-%m-%d} 起）"

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.overlapping().exists():
            raise ValidationError(
                {"valid_from": "学时要求的有效期不能重叠：请先给旧规则填写失效日期。"}
            )
