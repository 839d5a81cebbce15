"""The models of activities/: meetings (三会一课), points (积分), ratings (评星定级) and the
yearly assessment of organisations (述职评议, 定级, 软弱涣散整顿).

Split by subject; every name is importable from ``activities.models`` as before.
"""

from activities.models.assessment import (  # noqa: F401
    Evaluation,
    GradeLevel,
    ModelSite,
    ModelSiteLevel,
    OrgGrade,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
    SecretaryReport,
    SecretaryReportMeeting,
    WeakReason,
)
from activities.models.ledgers import (  # noqa: F401
    MAX_ASSESSORS,
    Fulfilment,
    Pledge,
    PledgeCategory,
    PledgeQuerySet,
)
from activities.models.meetings import (  # noqa: F401
    KINDS_FOR_ORG,
    MEETING_ORG_KINDS,
    SECRETARY_LESSON_LABEL,
    SPEAKER_KINDS,
    Activity,
    ActivityKind,
    ActivityQuerySet,
    ActivityTally,
    ActivityYearTally,
    Attachment,
    AttachmentQuerySet,
    Attendance,
    AttendanceQuerySet,
    AttendanceStatus,
    CadenceRule,
    Period,
    TallyQuerySet,
    attachment_path,
)
from activities.models.points import (  # noqa: F401
    COUNTED_STATUSES,
    DEDUCTION_SOURCES,
    DERIVED_SOURCES,
    LEDGER_SOURCES,
    MANUAL_SOURCES,
    DatedRule,
    EntryStatus,
    PointEntry,
    PointEntryQuerySet,
    PointRule,
    PointSource,
    in_force_q,
)
from activities.models.ratings import (  # noqa: F401
    Appraisal,
    AppraisalGrade,
    AppraisalQuerySet,
    ApprovalLevel,
    GroupRank,
    GroupRankQuerySet,
    LastRankDecision,
    LastRankDecisionQuerySet,
    RankingScope,
    Rating,
    RatingPublication,
    RatingPublicationQuerySet,
    RatingQuerySet,
    RatingRule,
    RatingTally,
    StarBand,
    stars_label,
)
