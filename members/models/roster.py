"""The member registry (党员花名册) and the dated history of where each member belonged."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q

from branches.audit import AuditedQuerySet, audit_history, pk_batches
from branches.models import OrgKind
from branches.scoping import ScopedQuerySet
from members import pii
from members.choices import (
    ETHNICITY_CHOICES,
    HAN,
    DatePrecision,
    Education,
    MemberCategory,
    MembershipReason,
    Occupation,
    PartyStatus,
    RosterStatus,
    Sex,
)
from members.dates import MONTH_PRECISION_FIELDS, date_problems, stored
from members.idcard import IdNumberError, parse_id_number

# Coded columns that a roster may give in words no code fits: kept as written (待规范).
DESCRIPTIVE_FIELDS = ("occupation", "education", "ethnicity")


def needs_review_q() -> Q:
    """Members with a description kept as written (待规范)."""
    return ~Q(occupation_as_written="") | ~Q(education_as_written="") | ~Q(ethnicity_as_written="")


class MemberQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "branch"
    # Kept by members.dues.services from the ledger, not edited: not audited.
    derived_fields = frozenset({"monthly_dues", "dues_paid_until", "dues_opening"})

    def active(self) -> MemberQuerySet:
        return self.filter(roster_status=RosterStatus.ACTIVE)


class Member(models.Model):
    """A party member on the roster, with every column of the national collection form.

    ``branch`` and ``group`` are the member's current place, kept equal to the
    open ``Membership`` row by ``members.services`` so lists and counts need no
    history join. Members leave the roster (``roster_status``) with a date and
    reason; their records stay. ``id_number`` is stored normalised to 18
    characters; one member on the roster per number.
    """

    name = models.CharField("姓名", max_length=50)
    branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="所在党支部",
        on_delete=models.PROTECT,
        related_name="branch_members",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    group = models.ForeignKey(
        "branches.Organization",
        verbose_name="所在党小组",
        on_delete=models.PROTECT,
        related_name="group_members",
        null=True,
        blank=True,
        limit_choices_to={"kind": OrgKind.GROUP},
    )
    id_number = models.CharField("公民身份证号", max_length=18, db_index=True)
    id_check_override = models.BooleanField(
        "身份证号校验位例外",
        default=False,
        help_text="号码校验位不符但经核实无误时勾选，并填写原因。",
    )
    id_check_override_reason = models.CharField("例外原因", max_length=200, blank=True)
    # blank: derived from the ID number by clean() when left empty.
    sex = models.CharField(
        "性别", max_length=1, choices=Sex.choices, blank=True, help_text="留空则按身份证号填写。"
    )
    ethnicity = models.CharField(
        "民族", max_length=10, choices=ETHNICITY_CHOICES, default=HAN, blank=True
    )
    birth_date = models.DateField("出生日期", blank=True, help_text="留空则按身份证号填写。")
    education = models.CharField("学历", max_length=30, choices=Education.choices, blank=True)
    category = models.CharField(
        "人员类别", max_length=20, choices=MemberCategory.choices, default=MemberCategory.FULL
    )
    joined_on = models.DateField("加入党组织日期", null=True, blank=True)
    joined_on_precision = models.CharField(
        "加入党组织日期精确到",
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    full_member_on = models.DateField("转为正式党员日期", null=True, blank=True)
    full_member_on_precision = models.CharField(
        "转为正式党员日期精确到",
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    occupation = models.CharField("工作岗位", max_length=20, choices=Occupation.choices, blank=True)
    # What a roster said where no code fits (待规范): kept as written, beside the
    # empty code, until a clerk picks the code. Statistics count them as 未填.
    occupation_as_written = models.CharField(
        "工作岗位（原填写，待规范）", max_length=50, blank=True
    )
    education_as_written = models.CharField("学历（原填写，待规范）", max_length=50, blank=True)
    ethnicity_as_written = models.CharField("民族（原填写，待规范）", max_length=50, blank=True)
    mobile_phone = models.CharField("手机号", max_length=20, blank=True, db_index=True)
    landline = models.CharField("固定电话", max_length=30, blank=True)
    address = models.CharField("家庭住址", max_length=200, blank=True)
    party_status = models.CharField(
        "党籍状态", max_length=20, choices=PartyStatus.choices, default=PartyStatus.NORMAL
    )
    lost_contact = models.BooleanField("是否为失联党员", default=False)
    lost_contact_on = models.DateField("失去联系日期", null=True, blank=True)
    lost_contact_on_precision = models.CharField(
        "失去联系日期精确到", max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    is_mobile = models.BooleanField("是否为流动党员", default=False)
    mobile_destination = models.CharField("外出流向", max_length=200, blank=True)
    employer = models.CharField("工作单位及职务", max_length=200, blank=True)
    native_place = models.CharField("籍贯", max_length=100, blank=True)
    monthly_dues = models.DecimalField(
        "月应缴纳党费（元）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    # Both derived from the dues ledger (members.dues.services).
    dues_paid_until = models.DateField(
        "党费缴至年月", null=True, blank=True, help_text="记为所缴月份的1日。"
    )
    dues_opening = models.DateField(
        "期初党费缴至年月",
        null=True,
        blank=True,
        help_text="党费台账开始前已交到的月份（导入花名册或台账开始时确定），记为该月1日。",
    )
    roster_status = models.CharField(
        "在册状态", max_length=20, choices=RosterStatus.choices, default=RosterStatus.ACTIVE
    )
    left_on = models.DateField("离册日期", null=True, blank=True)
    left_reason = models.CharField("离册原因", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MemberQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["branch__path", "name", "id"]
        permissions = [
            ("view_pii", "查看完整身份证号和手机号"),
            ("import_member", "导入党员花名册"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(roster_status="active"),
                name="member_unique_active_id_number",
                violation_error_message="已有在册党员使用该身份证号。",
            ),
            models.CheckConstraint(
                condition=Q(id_check_override=False) | ~Q(id_check_override_reason=""),
                name="member_override_has_reason",
                violation_error_message="身份证号校验位例外必须填写原因。",
            ),
            models.CheckConstraint(
                condition=Q(roster_status="active") | Q(left_on__isnull=False),
                name="member_left_has_date",
                violation_error_message="离册必须填写离册日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="member_name"),
            models.Index(fields=["branch", "roster_status"], name="member_branch_status"),
            # The roster's counts over a county (active members by child, 无职党员, each
            # member's kept 学时 joined to the roster) read this small index, not the
            # members' wide rows: 27 to 18 ms for the county's 无职党员 on a post.
            models.Index(
                fields=["branch", "id"],
                name="member_active_branch",
                condition=Q(roster_status="active"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return pii.masked("id_number", self.id_number)

    @property
    def mobile_phone_masked(self) -> str:
        return pii.masked("mobile_phone", self.mobile_phone)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self._clean_id_number(errors)
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            errors["branch"] = f"「{self.branch.name}」不是党支部，党员只能登记在党支部。"
        if self.group_id:
            if self.group.kind != OrgKind.GROUP:
                errors["group"] = f"「{self.group.name}」不是党小组。"
            elif self.group.parent_id != self.branch_id:
                errors["group"] = (
                    f"党小组「{self.group.name}」属于「{self.group.parent}」，"
                    f"不在所在党支部「{self.branch}」内。"
                )
        if self.category == MemberCategory.PROBATIONARY and self.full_member_on:
            errors["full_member_on"] = "预备党员不应有转为正式党员日期。"
        self._normalise_descriptions()
        for field, message, decided in date_problems(lambda name: getattr(self, name)):
            if decided:
                errors.setdefault(field, message)
        if self.lost_contact != bool(self.lost_contact_on):
            errors["lost_contact_on"] = "失联党员须填写失去联系日期；未失联则不填。"
        if self.mobile_destination and not self.is_mobile:
            errors["mobile_destination"] = "只有流动党员填写外出流向。"
        if self.id_check_override and not self.id_check_override_reason.strip():
            errors["id_check_override_reason"] = "身份证号校验位例外必须填写原因。"
        if errors:
            raise ValidationError(errors)

    def _normalise_descriptions(self) -> None:
        # A month-only date is kept as its month's last day (members.dates); a
        # description picked from the code list replaces the text as written.
        for name in MONTH_PRECISION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, stored(value, getattr(self, f"{name}_precision")))
        for name in DESCRIPTIVE_FIELDS:
            if getattr(self, name):
                setattr(self, f"{name}_as_written", "")

    def _clean_id_number(self, errors: dict[str, str]) -> None:
        try:
            info = parse_id_number(self.id_number, allow_bad_check=self.id_check_override)
        except IdNumberError as exc:
            errors["id_number"] = str(exc)
            return
        self.id_number = info.number
        if self.birth_date is None:
            self.birth_date = info.birth_date
        elif self.birth_date != info.birth_date:
            errors["birth_date"] = (
                f"出生日期 {self.birth_date:%Y-%m-%d} 与身份证号中的 "
                f"{info.birth_date:%Y-%m-%d} 不一致。"
            )
        if not self.sex:
            self.sex = info.sex
        elif self.sex != info.sex:
            errors["sex"] = (
                f"性别「{self.get_sex_display()}」与身份证号（第17位"
                f"{'奇数为男' if info.sex == Sex.MALE else '偶数为女'}）不一致。"
            )


class MembershipQuerySet(ScopedQuerySet, AuditedQuerySet):
    # A member's whole history is visible wherever the member is.
    scope_through = "member__branch"

    def on(self, date) -> MembershipQuerySet:
        """Rows in force on *date*: started on or before it and not ended by it."""
        return self.filter(started_on__lte=date).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=date)
        )

    def open(self) -> MembershipQuerySet:
        return self.filter(ended_on__isnull=True)

    def open_for_new_members(self, member_pks: list, *, since, reason: str, note: str) -> None:
        """The first membership row of each new member, copied from the member rows.

        ``INSERT … SELECT`` in the database (with its audit rows) rather than
        a model instance per row: a roster import adds tens of thousands.
        Starts on the joining date, else *since*.
        """
        connection = connections[self.db]
        quote = connection.ops.quote_name
        table, members = quote(self.model._meta.db_table), quote(Member._meta.db_table)
        since = connection.ops.adapt_datefield_value(since)
        created = []
        with connection.cursor() as cursor:
            for condition, params in pk_batches(connection, member_pks):
                cursor.execute(
                    f"INSERT INTO {table} (member_id, branch_id, group_id, started_on, ended_on,"
                    f" start_reason, end_reason, note) SELECT id, branch_id, group_id,"
                    f" COALESCE(joined_on, %s), NULL, %s, '', %s FROM {members}"
                    f" WHERE id {condition} ORDER BY id RETURNING id",
                    [since, reason, note, *params],
                )
                created += [pk for (pk,) in cursor.fetchall()]
        self._record_history(created, "+")


class Membership(models.Model):
    """One stretch of a member's belonging to a branch (and a group in it).

    Rows are half-open date ranges ``[started_on, ended_on)``: a transfer on a
    day ends the old row and starts the new one on that day, so the member is
    counted once, in the new place. A member on the roster has exactly one
    open row. Written only by ``members.services``.
    """

    member = models.ForeignKey(
        Member, verbose_name="党员", on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        "branches.Organization",
        verbose_name="党支部",
        on_delete=models.PROTECT,
        related_name="branch_memberships",
    )
    group = models.ForeignKey(
        "branches.Organization",
        verbose_name="党小组",
        on_delete=models.PROTECT,
        related_name="group_memberships",
        null=True,
        blank=True,
    )
    started_on = models.DateField("起始日期")
    ended_on = models.DateField("终止日期", null=True, blank=True)
    start_reason = models.CharField("起始原因", max_length=20, choices=MembershipReason.choices)
    end_reason = models.CharField(
        "终止原因", max_length=20, choices=MembershipReason.choices, blank=True
    )
    note = models.CharField("备注", max_length=200, blank=True)

    objects = MembershipQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "组织关系记录"
        verbose_name_plural = "组织关系记录"
        ordering = ["member", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="membership_one_open_per_member",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
                violation_error_message="终止日期不能早于起始日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "started_on"], name="membership_group_start"),
            models.Index(fields=["branch", "started_on"], name="membership_branch_start"),
        ]

    def __str__(self) -> str:
        end = self.ended_on or "至今"
        return f"{self.member} {self.branch} {self.started_on}—{end}"


class PiiAccessQuerySet(ScopedQuerySet):
    # A log entry belongs where the account that looked belongs.
    scope_through = "user__org"


class PiiAccess(models.Model):
    """One look at whole ID numbers and phones: a member's page opened, a search, or an export.

    Kept so the department can answer who saw whose personal data, and when.
    Written by ``members.services.pii_access_record``; never edited.
    """

    class Action(models.TextChoices):
        VIEW = "view", "查看完整信息"
        SEARCH = "search", "按个人信息查找"
        EXPORT = "export", "导出个人信息"

    user = models.ForeignKey(
        "branches.User", verbose_name="用户", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    action = models.CharField("操作", max_length=10, choices=Action.choices)
    member = models.ForeignKey(
        Member,
        verbose_name="党员",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.CharField("说明", max_length=300, blank=True)

    objects = PiiAccessQuerySet.as_manager()

    class Meta:
        verbose_name = "个人信息查看记录"
        verbose_name_plural = "个人信息查看记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
