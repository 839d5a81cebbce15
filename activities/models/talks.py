"""谈心谈话: the one-to-one talks a branch's members hold before the yearly 组织生活会.

A talk is one more working ledger (see ``activities.models.ledgers``): a row tied to
the branch it belongs to (``org``, the scope) and to the two members who talked.
Which pairs must talk in a cycle, and which of them have, is read from these rows
by ``activities.ledgers.talks.selectors``; nothing else is entered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from branches.audit import AuditedQuerySet, audit_history
from branches.scoping import ScopedQuerySet


class TalkQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


class Talk(models.Model):
    """One 谈心谈话 between two members of a branch, on a day.

    ``org`` is the branch (the scope); ``initiator`` (谈话人) is the member who
    sought the talk, ``partner`` (谈话对象) the other one; both belonged to the
    branch on ``talked_on``. ``summary`` is a short note of what was talked about
    (谈话内容摘要), not the talk itself. A talk meets the pair of the two
    members whichever of them initiated it.
    """

    org = models.ForeignKey(
        "branches.Organization", verbose_name="党支部", on_delete=models.PROTECT, related_name="+"
    )
    talked_on = models.DateField("谈话日期")
    initiator = models.ForeignKey(
        "members.Member", verbose_name="谈话人", on_delete=models.PROTECT, related_name="+"
    )
    partner = models.ForeignKey(
        "members.Member", verbose_name="谈话对象", on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField("谈话内容摘要", max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    objects = TalkQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "谈心谈话"
        verbose_name_plural = "谈心谈话"
        ordering = ["org__path", "talked_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(initiator=F("partner")),
                name="talk_between_two_members",
                violation_error_message="谈话人和谈话对象不能是同一名党员。",
            ),
        ]
        indexes = [models.Index(fields=["org", "talked_on"], name="talk_org_talked_on")]

    def __str__(self) -> str:
        # What was talked about tells one talk of a day from another (the admin's
        # confirmation of a deletion names it), without reading the two members.
        about = f"：{self.summary[:20]}" if self.summary else ""
        return f"{self.talked_on} 谈心谈话{about}"
