"""The models of branches/: the tree, its posts and accounts, and 换届 (terms, elections).

Split by subject; every name is importable from ``branches.models`` as before.
"""

from branches.models.terms import (  # noqa: F401
    TERM_KINDS,
    Candidate,
    Election,
    ElectionMethod,
    TermLength,
    TermPostponement,
)
from branches.models.tree import (  # noqa: F401
    ALLOWED_PARENTS,
    CATEGORISED_KINDS,
    COMMITTEE_KINDS,
    COMMITTEE_TITLES,
    LEGACY_CATEGORY_LABELS,
    PICKABLE_CATEGORIES,
    POST_KINDS,
    VILLAGE_CATEGORIES,
    BranchCategory,
    Organization,
    OrganizationQuerySet,
    OrgKind,
    Post,
    PostEndReason,
    PostQuerySet,
    PostTitle,
    ScopedUserManager,
    StoredFile,
    Upload,
    UploadQuerySet,
    User,
    UserQuerySet,
    county_unit_q,
    is_county_unit,
    open_posts_q,
    parent_error,
    upload_path,
    village_top_q,
)
