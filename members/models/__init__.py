"""The member registry: the roster and its history (``roster``), roster imports
(``imports``), 组织关系转接 (``transfers``), the dated spells of
流动, 失联 and 停止党籍 (``standing``) and 发展党员 (``development``)."""

from members.models.development import (
    PIPELINE,
    Assessment,
    CalendarDay,
    DevelopmentPlan,
    DevelopmentSettings,
    LeaveKind,
    Recruit,
    RecruitQuerySet,
    Rule,
    Stage,
    Vote,
    Waiver,
    stages_on,
)
from members.models.imports import ImportRun, ImportRunQuerySet, import_file_path
from members.models.roster import (
    DESCRIPTIVE_FIELDS,
    Member,
    MemberQuerySet,
    Membership,
    MembershipQuerySet,
    PiiAccess,
    PiiAccessQuerySet,
    needs_review_q,
)
from members.models.standing import Inflow, InflowQuerySet, Spell, SpellQuerySet
from members.models.transfers import Transfer, TransferQuerySet

__all__ = [
    "PIPELINE",
    "Assessment",
    "CalendarDay",
    "DevelopmentPlan",
    "DevelopmentSettings",
    "LeaveKind",
    "Recruit",
    "RecruitQuerySet",
    "Rule",
    "Stage",
    "Vote",
    "Waiver",
    "DESCRIPTIVE_FIELDS",
    "ImportRun",
    "ImportRunQuerySet",
    "Inflow",
    "InflowQuerySet",
    "Member",
    "MemberQuerySet",
    "Membership",
    "MembershipQuerySet",
    "PiiAccess",
    "PiiAccessQuerySet",
    "Spell",
    "SpellQuerySet",
    "Transfer",
    "TransferQuerySet",
    "import_file_path",
    "stages_on",
    "needs_review_q",
]
