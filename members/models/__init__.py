"""The member registry: the roster and its history (``roster``), roster imports
(``imports``) and 组织关系转接 (``transfers``)."""

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
from members.models.transfers import Transfer, TransferQuerySet

__all__ = [
    "DESCRIPTIVE_FIELDS",
    "ImportRun",
    "ImportRunQuerySet",
    "Member",
    "MemberQuerySet",
    "Membership",
    "MembershipQuerySet",
    "PiiAccess",
    "PiiAccessQuerySet",
    "Transfer",
    "TransferQuerySet",
    "import_file_path",
    "needs_review_q",
]
