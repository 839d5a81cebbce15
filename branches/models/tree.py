"""The organisation tree (党组织), posts held in it, and the accounts attached to it."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from branches.audit import AuditedQuerySet, audit_history
from branches.paths import subtree_q
from branches.scoping import ScopedQuerySet


class OrgKind(models.TextChoices):
    CITY = "city", "市委"
    COUNTY = "county", "县委"
    TOWNSHIP = "township", "乡镇党委"
    # 县直机关工委, 教育工委, 非公工委: the county's working committees over a sector.
    WORK_COMMITTEE = "work_committee", "工委"
    # 党的基层委员会: a department's, enterprise's or school's committee under the
    # county or a 工委, and a village's or company's 党委 under a township.
    PRIMARY_COMMITTEE = "primary_committee", "基层党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


# The committees that have 党委, 党总支 and 党支部 under them.
COMMITTEE_KINDS = (OrgKind.TOWNSHIP, OrgKind.WORK_COMMITTEE, OrgKind.PRIMARY_COMMITTEE)

# Which kinds may sit directly above each kind; None means "may be a root". As the
# 支部工作条例 and county practice have it: a county has townships, 工委 and the
# 基层党委 of its departments, enterprises and schools; each of those has 党委,
# 党总支 and 党支部; a 党总支 has 党支部; a 党支部 has 党小组.
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    OrgKind.CITY: (None,),
    OrgKind.COUNTY: (None, OrgKind.CITY),
    OrgKind.TOWNSHIP: (OrgKind.COUNTY,),
    OrgKind.WORK_COMMITTEE: (OrgKind.COUNTY,),
    OrgKind.PRIMARY_COMMITTEE: (OrgKind.COUNTY, *COMMITTEE_KINDS),
    OrgKind.GENERAL_BRANCH: COMMITTEE_KINDS,
    OrgKind.BRANCH: (*COMMITTEE_KINDS, OrgKind.GENERAL_BRANCH),
    OrgKind.GROUP: (OrgKind.BRANCH,),
}

# Kinds that carry a statistics category (农村, 社区, …): a 基层党委 is counted by
# its unit's type like the branches under it (a village's, a department's).
CATEGORISED_KINDS = (OrgKind.PRIMARY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)

# Kinds that hold posts (书记, 委员…) and so a committee of their own.
POST_KINDS = (OrgKind.PRIMARY_COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH, OrgKind.GROUP)


def county_unit_q(prefix: str = "") -> Q:
    """The county's direct subdivisions – townships, 工委 and the 基层党委 under it.

    What "the township" means to the rankings, the rating drafts, the approval
    of manual points and the county's pickers: each is one unit of the county's
    work, whatever its kind. A 党委 under a township belongs to its township.
    """
    return Q(**{f"{prefix}parent__kind": OrgKind.COUNTY})


def is_county_unit(org: Organization) -> bool:
    return org.parent_id is not None and org.parent.kind == OrgKind.COUNTY


class BranchCategory(models.TextChoices):
    """The unit types the party statistics count organisations by (党内统计).

    ``UNDECIDED`` holds what the move from the older categories (企事业, 两新组织,
    学校, 其他, which mixed levels) could not settle, and what a spreadsheet still
    gives in those words: listed on the tree page until someone picks
    (``branches.selectors.orgs_undecided``). The order is the reports' order.
    """

    VILLAGE = "village", "农村"
    COMMUNITY = "community", "社区"
    TOWNSHIP = "township", "乡镇（街道）"
    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"
    PUBLIC_ENTERPRISE = "public_enterprise", "公有制企业"
    PRIVATE_ENTERPRISE = "private_enterprise", "非公有制企业"
    SOCIAL_ORG = "social_org", "社会组织"
    UNDECIDED = "undecided", "待确定"


# Villages and communities: their committees' terms follow the 村（居）民委员会's five years.
VILLAGE_CATEGORIES = (BranchCategory.VILLAGE, BranchCategory.COMMUNITY)


def village_top_q(prefix: str = "") -> Q:
    """A village's or community's own party organisation, not the branches inside it:
    a 农村 or 社区 node whose parent is neither. Its secretary is the 村党组织书记."""
    return Q(**{f"{prefix}category__in": VILLAGE_CATEGORIES}) & ~Q(
        **{f"{prefix}parent__category__in": VILLAGE_CATEGORIES}
    )


# What a person picks for a new organisation: 待确定 is only for what old data left open.
PICKABLE_CATEGORIES = [(v, label) for v, label in BranchCategory.choices if v != "undecided"]

# The categories before the statistics' unit types (migration 0010): what each old
# label means now, where a spreadsheet or an old export still gives it. 学校 are
# public institutions; the others mixed two unit types and wait for a person.
LEGACY_CATEGORY_LABELS = {
    "企事业": BranchCategory.UNDECIDED,
    "学校": BranchCategory.INSTITUTION,
    "两新组织": BranchCategory.UNDECIDED,
    "其他": BranchCategory.UNDECIDED,
}


class OrganizationQuerySet(ScopedQuerySet, AuditedQuerySet):
    derived_fields = frozenset({"path", "depth"})

    def subtree(self, org: Organization, *, include_self: bool = True) -> OrganizationQuerySet:
        return self.filter(subtree_q(org.path, include_self=include_self))

    def live(self) -> OrganizationQuerySet:
        return self.filter(dissolved_on__isnull=True)


class Organization(models.Model):
    """A node of the organisation tree: committee, general branch, branch or party group.

    Every record of the app hangs from a node. ``path`` is a materialized path
    of fixed-width digit segments (one per level, root first) kept by the
    services in ``branches.services``; a subtree is one indexed range query.
    Nodes are dissolved (``dissolved_on``), never deleted while history
    points at them.
    """

    kind = models.CharField("组织类别", max_length=20, choices=OrgKind.choices)
    name = models.CharField("组织名称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    code = models.CharField("组织代码", max_length=50, unique=True)
    category = models.CharField(
        "支部类型",
        max_length=20,
        choices=BranchCategory.choices,
        blank=True,
        help_text="基层党委、党总支、党支部填写，用于统计。",
    )
    # A joint branch (联合党支部) serves several units; the sizing rules cap them at 5.
    units_covered = models.PositiveSmallIntegerField(
        "覆盖单位数",
        null=True,
        blank=True,
        help_text="联合党支部填写所覆盖的单位个数。",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField("路径", max_length=64, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField("层级", editable=False, default=1)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    # When the node was entered here: where an organisation without a 成立日期
    # starts owing meetings (activities.cadence), so it owes none from before.
    created_at = models.DateTimeField("录入时间", default=timezone.now, editable=False)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)
    # Set by recording an election (branches.terms); entered by hand for terms that
    # began before the project, so their due dates are known from the first day.
    term_started_on = models.DateField(
        "本届任期开始日期",
        null=True,
        blank=True,
        help_text="最近一次换届选举的日期；登记换届选举后自动更新。",
    )

    objects = OrganizationQuerySet.as_manager()
    # created_at never changes after the first history row, which records it anyway.
    history = audit_history(excluded_fields=["path", "depth", "created_at"])

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(dissolved_on__isnull=True),
                name="org_unique_live_sibling_name",
                violation_error_message="同一上级组织下已有同名的未撤销组织。",
            ),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True)
                | Q(founded_on__isnull=True)
                | Q(dissolved_on__gte=models.F("founded_on")),
                name="org_dissolved_after_founded",
                violation_error_message="撤销日期不能早于成立日期。",
            ),
        ]
        indexes = [models.Index(fields=["kind", "path"], name="org_kind_path")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.dissolved_on is None

    @property
    def label(self) -> str:
        """甲镇/甲村党支部/第一党小组: how lists name the node (``branches.labels``)."""
        if not hasattr(self, "_label"):
            from branches.labels import attach_labels

            attach_labels([self])
        return self._label

    def clean(self) -> None:
        errors: dict[str, str] = {}
        parent_kind = self.parent.kind if self.parent_id else None
        allowed = ALLOWED_PARENTS.get(self.kind, ())
        if parent_kind not in allowed:
            errors["parent"] = parent_error(self.kind, parent_kind)
        if self.kind in CATEGORISED_KINDS and not self.category:
            errors["category"] = "基层党委、党总支和党支部必须选择支部类型。"
        if self.kind not in CATEGORISED_KINDS and self.category:
            errors["category"] = f"{self.get_kind_display()}不填写支部类型。"
        if self.units_covered is not None and self.kind != OrgKind.BRANCH:
            errors["units_covered"] = "只有党支部（联合党支部）填写覆盖单位数。"
        if self.parent_id and self.parent.dissolved_on and not self.dissolved_on:
            errors["parent"] = f"上级组织「{self.parent.name}」已撤销，不能在其下设立组织。"
        if errors:
            raise ValidationError(errors)


def parent_error(kind: str, parent_kind: str | None) -> str:
    label = OrgKind(kind).label
    allowed = ALLOWED_PARENTS.get(kind, ())
    names = "、".join(OrgKind(k).label if k else "无上级（顶级）" for k in allowed)
    given = OrgKind(parent_kind).label if parent_kind else "无上级"
    return f"{label}的上级只能是：{names}；不能设在{given}之下。"


class PostTitle(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANIZATION = "organization", "组织委员"
    PUBLICITY = "publicity", "宣传委员"
    DISCIPLINE = "discipline", "纪检委员"
    GROUP_LEADER = "group_leader", "党小组长"


# The committee's posts an election fills (a 党小组长 is chosen by the group, not elected).
COMMITTEE_TITLES = (
    PostTitle.SECRETARY,
    PostTitle.DEPUTY_SECRETARY,
    PostTitle.ORGANIZATION,
    PostTitle.PUBLICITY,
    PostTitle.DISCIPLINE,
)


class PostEndReason(models.TextChoices):
    ELECTION = "election", "换届"
    REMOVED = "removed", "撤销职务"
    OTHER = "other", "调离或其他"


class PostQuerySet(ScopedQuerySet, AuditedQuerySet):
    scope_through = "org"


def open_posts_q(on, prefix: str = "") -> Q:
    """Posts held on *on*: begun by then and not yet ended (``ended_on`` is the first day
    off the post)."""
    return Q(**{f"{prefix}started_on__lte": on}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})
    )


class Post(models.Model):
    """A post (班子职务) held by a member in an organisation, with its term dates.

    The committee of a branch on a date is the set of posts open on that date;
    a post ends (``ended_on``) rather than being deleted, so past committees
    stay answerable.
    """

    org = models.ForeignKey(
        Organization, verbose_name="所在组织", on_delete=models.PROTECT, related_name="posts"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="posts"
    )
    title = models.CharField("职务", max_length=30, choices=PostTitle.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)
    end_reason = models.CharField(
        "离任原因", max_length=20, choices=PostEndReason.choices, blank=True
    )
    end_note = models.CharField("离任说明", max_length=200, blank=True)
    # 村党组织书记县级备案: the county files each village secretary, with its document.
    filed_on = models.DateField("县级备案日期", null=True, blank=True)
    filed_document = models.CharField("备案文号", max_length=100, blank=True)
    # 一肩挑: a village or community secretary who also chairs the 村（居）民委员会.
    chairs_village_committee = models.BooleanField("兼任村（居）委会主任", default=False)

    objects = PostQuerySet.as_manager()
    history = audit_history()

    class Meta:
        verbose_name = "班子职务"
        verbose_name_plural = "班子职务"
        ordering = ["org__path", "title", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="post_ended_after_started",
                violation_error_message="离任日期不能早于任职日期。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.get_title_display()} {self.member}"

    def clean(self) -> None:
        if not self.org_id:
            return
        is_group = self.org.kind == OrgKind.GROUP
        if is_group != (self.title == PostTitle.GROUP_LEADER):
            raise ValidationError({"title": "党小组只设党小组长；党小组长只能设在党小组。"})
        if self.org.kind not in POST_KINDS:
            raise ValidationError({"org": "班子职务只登记在基层党委、党总支、党支部和党小组。"})
        if self.chairs_village_committee and not (
            self.title == PostTitle.SECRETARY and self.org.category in VILLAGE_CATEGORIES
        ):
            raise ValidationError(
                {"chairs_village_committee": "只有村（社区）党组织书记登记兼任村（居）委会主任。"}
            )
        if bool(self.filed_on) != bool(self.filed_document):
            raise ValidationError({"filed_document": "县级备案须同时填写备案日期和备案文号。"})


class UserQuerySet(ScopedQuerySet):
    scope_through = "org"

    def visible_to(self, user):
        visible = super().visible_to(user)
        # Nobody but a superuser sees (and so can edit) a superuser account.
        return visible if user.is_superuser else visible.filter(is_superuser=False)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """An account of the app, attached to one node of the tree.

    The node bounds what the account may see: the node and everything under
    it. Superusers see the whole tree; other accounts without a node see
    nothing.
    """

    org = models.ForeignKey(
        Organization,
        verbose_name="所属组织",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )

    objects = ScopedUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"


# --- Uploaded files -------------------------------------------------------------------------------


class StoredFile(models.Model):
    """The bytes of one stored file (an uploaded spreadsheet, a photo of a sign-in sheet).

    Kept in the database, which every application process and worker shares
    and the backups cover, rather than on one machine's disk: see
    ``branches.storage.DatabaseStorage``, the project's default storage.
    """

    name = models.CharField("文件路径", max_length=255, unique=True)
    content = models.BinaryField("内容")
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    created_at = models.DateTimeField("保存时间", auto_now_add=True)

    class Meta:
        verbose_name = "存储文件"
        verbose_name_plural = "存储文件"

    def __str__(self) -> str:
        return self.name


class UploadQuerySet(ScopedQuerySet):
    # An upload belongs where the account that sent it belongs.
    scope_through = "user__org"


def upload_path(instance, filename: str) -> str:
    # Uploaded spreadsheets hold personal data: stored under a random name.
    return f"uploads/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Upload(models.Model):
    """A spreadsheet a user sent for an import: the one way an upload is kept from its
    preview to its confirmation, for the roster and the organisation tree alike.

    Records who sent which file (name and hash) and when; the file itself is
    deleted when its time is up (``members.retention``), the record stays.
    Only the account that sent it may use it.
    """

    class Purpose(models.TextChoices):
        ROSTER = "roster", "党员花名册"
        TREE = "tree", "组织树表格"

    user = models.ForeignKey(
        User, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField("用途", max_length=10, choices=Purpose.choices)
    file = models.FileField("文件", upload_to=upload_path, blank=True)
    file_name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("文件SHA-256", max_length=64)
    size = models.PositiveIntegerField("大小（字节）", default=0)
    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        verbose_name = "上传文件"
        verbose_name_plural = "上传文件"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_purged(self) -> bool:
        return not self.file
