"""Walking the whole site: every URL the resolver knows, filled with real objects.

Shared by the site-wide checks (scope, writes, personal data, hostile
parameters): a page added to the project is walked by all of them the day
it is added. ``build_world`` makes township A's objects, one of each kind a
URL can point at.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.admin.options import BaseModelAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from activities.assessment.services import (
    Votes,
    report_meeting_create,
    secretary_report_add,
)
from activities.ledgers.diary.services import diary_check, diary_entry_record
from activities.ledgers.duty.services import duty_assign, duty_log_record, duty_post_create
from activities.ledgers.grouprep.services import (
    branch_summary_submit,
    exchange_log,
    group_report_submit,
)
from activities.ledgers.pairs.services import pairing_create, visit_record
from activities.ledgers.pledges.services import pledge_create
from activities.ledgers.stations.services import station_check_record, station_create
from activities.ledgers.study.services import study_session_record
from activities.ledgers.talks.services import talk_record
from activities.models import (
    Activity,
    ActivityKind,
    Appraisal,
    Attachment,
    Attendance,
    BranchSummary,
    DiaryCheck,
    DiaryEntry,
    DutyAssignment,
    DutyLog,
    DutyPost,
    ExchangePresentation,
    GradeLevel,
    GroupReport,
    LastRankDecision,
    ModelSite,
    OrgGrade,
    Pairing,
    PairingVisit,
    Pledge,
    PointEntry,
    PointSource,
    Rating,
    RatingPublication,
    RectificationCase,
    RectificationMeasure,
    RectificationProgress,
    SecretaryReport,
    SecretaryReportMeeting,
    Station,
    StationCheck,
    StudyAttendance,
    StudySession,
    StudyTarget,
    Talk,
)
from activities.points.services import appraisal_save, point_entry_create
from activities.ratings.services import rating_draft_compute
from activities.rectification.services import (
    MeasureInput,
    rectification_open,
    rectification_progress_record,
)
from activities.services import Mark, activity_log
from branches.audit import acting_as
from branches.models import (
    BranchCategory,
    Candidate,
    Election,
    Organization,
    OrgKind,
    Post,
    PostTitle,
    TermLength,
    TermPostponement,
    User,
)
from branches.services import org_create, org_update, post_assign
from branches.terms.services import CandidateRow, election_record, term_postpone
from branches.uploads import upload_keep
from members.development.services import recruit_apply, recruit_talk
from members.dues.services import Action, DuesRow, dues_base_set, dues_record, dues_remit
from members.models import (
    Assessment,
    DevelopmentPlan,
    DuesBase,
    DuesCategory,
    DuesEntry,
    DuesLine,
    DuesReceipt,
    DuesRemittance,
    DuesRetention,
    DuesRule,
    ImportRun,
    Inflow,
    Member,
    Membership,
    PiiAccess,
    Recruit,
    Spell,
    Transfer,
    Vote,
    Waiver,
)
from members.services import member_transfer, member_update, pii_access_record, transfer_issue
from members.standing import inflow_register, member_away
from tests.factories import MemberFactory

ID_ARG = re.compile(r"(^|_)(id|pk)$")


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, for reverse()
    pattern: str
    callback: object
    id_args: tuple  # names of keyword id arguments, or ints for positional ones
    other_args: tuple  # keyword arguments that are not ids (app_label)


def _walk(resolver, namespace="", prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name, prefix + str(entry.pattern), entry


def _args(entry: URLPattern) -> tuple[tuple, tuple]:
    regex = entry.pattern.regex
    named = list(regex.groupindex)
    if named:
        ids = tuple(n for n in named if ID_ARG.search(n))
        return ids, tuple(n for n in named if n not in ids)
    return tuple(range(regex.groups)), ()


def routes(*, every: bool = False) -> list[Route]:
    """The routes that take an object id (*every*: all named routes)."""
    found = []
    for name, pattern, entry in _walk(get_resolver()):
        ids, others = _args(entry)
        if ids or every:
            found.append(Route(name, pattern, entry.callback, ids, others))
    return found


def model_admin_of(callback):
    """The ModelAdmin behind an admin view, through Django's and the admin's wrappers."""
    view = callback
    while view is not None:
        if isinstance(getattr(view, "model_admin", None), BaseModelAdmin):
            return view.model_admin
        if isinstance(getattr(view, "__self__", None), BaseModelAdmin):
            return view.__self__
        view = getattr(view, "__wrapped__", None)
    return None


def declared(callback, attribute):
    view = callback
    while view is not None:
        if hasattr(view, attribute):
            return getattr(view, attribute)
        view = getattr(view, "__wrapped__", None)
    return None


@dataclass
class World:
    """Township A's objects, one of each kind a URL can point at."""

    objects: dict  # model -> list of instances
    secrets: list  # strings that must never reach township B's clerk


# The secret member's personal data, and an earlier mobile number its history keeps.
MOBILE, OLD_MOBILE, LANDLINE = "13912345678", "13698765432", "0311-87654321"


def build_world(tree, clerk_a) -> World:
    member = MemberFactory(
        group=tree.group_a1, name="甲村秘密党员", mobile_phone=OLD_MOBILE, landline=LANDLINE
    )
    member = member_update(member=member, mobile_phone=MOBILE)
    moved = MemberFactory(group=tree.group_a2, name="甲村调动党员")
    member_transfer(member=moved, branch=tree.organ_a, on=datetime.date(2025, 5, 1))
    post = post_assign(
        org=tree.village_a,
        member=member,
        title=PostTitle.SECRETARY,
        started_on=datetime.date(2024, 1, 1),
    )
    log = pii_access_record(user=clerk_a, action=PiiAccess.Action.VIEW, member=member)
    with acting_as(clerk_a):
        activity = activity_log(
            org=tree.group_a1,
            kind=ActivityKind.GROUP_MEETING,
            held_on=datetime.date(2025, 6, 3),
            marks=[Mark(member.pk, "present")],
            recorded_by=clerk_a,
            topic="甲村秘密会议",
        )
    attachment = Attachment.objects.create(
        activity=activity,
        file=ContentFile(b"%PDF-1.4 secret", name="sheet.pdf"),
        original_name="甲村签到表.pdf",
        content_type="application/pdf",
        size=15,
        uploaded_by=clerk_a,
    )
    roster = f"姓名,公民身份证号,所在党支部\n{member.name},{member.id_number},甲村党支部\n"
    upload = upload_keep(
        user=clerk_a, purpose="roster", data=roster.encode(), file_name="甲村秘密花名册.csv"
    )
    run = ImportRun.objects.create(
        user=clerk_a,
        upload=upload,
        status=ImportRun.Status.PREVIEWED,
        rows_unchanged=1,
    )
    manual = point_entry_create(
        member=member,
        source=PointSource.VOLUNTEER,
        date=datetime.date(2025, 6, 4),
        points=None,
        reason="甲村秘密志愿服务",
        by=clerk_a,
    )
    with acting_as(clerk_a):
        appraisal = appraisal_save(
            appraisal=Appraisal(member=member, year=2025, grade="excellent"), by=clerk_a
        )
        rating_draft_compute(node=tree.township_a, year=2025, today=datetime.date(2025, 12, 31))
        publication = RatingPublication.objects.create(
            year=2025,
            org=tree.township_a,
            published_by=clerk_a,
            published_at=timezone.now(),
            member_count=2,
        )
    # A 待确定 category and a joint branch over its cap of units: the tree page and
    # the county's overview list them, so every walk reads those lists too.
    joint = org_create(
        kind=OrgKind.BRANCH,
        name="甲镇联合党支部",
        code="A-J",
        parent=tree.township_a,
        category=BranchCategory.UNDECIDED,
        units_covered=6,
    )
    # Away since June: the register of members away lists them.
    member_away(member=member, on=datetime.date(2025, 6, 10), destination="甲村秘密外出地")
    inflow = inflow_register(
        branch=tree.village_a,
        name="甲村秘密流入党员",
        origin_org="外省某党委",
        arrived_on=datetime.date(2025, 3, 1),
    )
    # A letter out of the county: only township A's side exists, so B sees none of it.
    letter = transfer_issue(
        member=moved,
        kind=Transfer.Kind.OUT,
        letter_number="甲-2025-秘001",
        letter_date=datetime.date(2025, 6, 5),
        user=clerk_a,
        outside_org="邻县秘密党委",
    )
    # Someone in the 发展党员 procedure, and the township's plan.
    recruit = recruit_apply(
        name="甲村秘密申请人",
        id_number="110105200001010032",
        branch=tree.village_a,
        applied_on=datetime.date(2025, 3, 1),
    )
    recruit_talk(recruit=recruit, talk_on=datetime.date(2025, 3, 10), talk_by="甲村秘密谈话人")
    plan = DevelopmentPlan.objects.create(
        township=tree.township_a, year=timezone.localdate().year, planned=7
    )
    # A month of dues paid, with its receipt, and what the branch passed upward.
    base = dues_base_set(
        member=member,
        starts=datetime.date(2025, 1, 1),
        category=DuesCategory.WAGE,
        income=Decimal("4321"),
        note="甲村秘密基数",
    )
    month = timezone.localdate().replace(day=1)
    (receipt,) = dues_record(
        month=month,
        rows=[DuesRow(member=member, action=Action.FULL)],
        paid_on=timezone.localdate(),
        by=clerk_a,
    )
    remittance = dues_remit(
        from_org=tree.village_a,
        to_org=tree.township_a,
        month_from=month,
        month_to=month,
        amount=Decimal("43.21"),
        remitted_on=timezone.localdate(),
        note="甲村秘密上缴",
        by=clerk_a,
    )
    # A 述职评议会 with one report, and a grade (activities.assessment).
    with acting_as(clerk_a):
        report_meeting = report_meeting_create(
            org=tree.township_a,
            year=2025,
            quarter=None,
            held_on=datetime.date(2025, 12, 20),
            evaluators=9,
            note="甲镇秘密述职会",
            by=clerk_a,
        )
        secretary_report_add(
            meeting=report_meeting,
            org=tree.village_a,
            secretary=member,
            summary="甲村秘密述职要点",
            votes=Votes(good=5, fairly_good=2),
            evaluation="good",
        )
        grade = OrgGrade.objects.create(
            org=tree.village_a,
            year=2025,
            level=GradeLevel.objects.get(rank=1),
            reasons="甲村秘密定级理由",
            graded_by=clerk_a,
            graded_at=timezone.now(),
        )
    # 换届: a term begun in 2021, a 补选 of a deputy secretary (the world's secretary
    # keeps the post) with its candidate and post, and an approved postponement.
    org_update(org=tree.village_a, term_started_on=datetime.date(2021, 5, 1))
    election = election_record(
        org=tree.village_a,
        held_on=datetime.date(2025, 6, 20),
        by_election=True,
        method="direct",
        electors=10,
        present=9,
        approval_document="甲镇秘密批复",
        note="甲村秘密补选",
        candidates=[CandidateRow(member, PostTitle.DEPUTY_SECRETARY, 8, True)],
        by=clerk_a,
    )
    postponement = term_postpone(
        org=tree.village_a,
        until=datetime.date(2026, 12, 31),
        approved_on=datetime.date(2025, 12, 1),
        document="县组秘密延期文号",
        reason="甲村秘密延期原因",
        by=clerk_a,
    )
    # A 软弱涣散 case with an overdue measure and a progress entry, and a 示范点
    # (activities.rectification).
    case = rectification_open(
        org=tree.village_a,
        year=2025,
        identified_on=datetime.date(2025, 3, 1),
        reasons=["no_activity"],
        reason_note="甲村秘密软弱表现",
        county_leader="秘密包联县领导",
        township_cadre="秘密包联镇干部",
        plan="甲村秘密整顿方案",
        measures=[MeasureInput("甲村秘密整改措施", datetime.date(2025, 6, 30))],
        by=clerk_a,
    )
    rectification_progress_record(
        case=case,
        on=datetime.date(2025, 4, 1),
        text="甲村秘密整顿进展",
        measure=case.measures.get(),
        today=timezone.localdate(),
        by=clerk_a,
    )
    site = ModelSite.objects.create(
        org=tree.village_a, year=2025, level="county", title="甲村秘密示范点"
    )
    # A 公开承诺 of the secret member (activities.ledgers).
    pledge = pledge_create(
        org=tree.village_a,
        member=member,
        made_on=datetime.date(2025, 3, 1),
        category="public",
        text="甲村秘密承诺事项",
        due_on=datetime.date(2025, 12, 31),
        by=clerk_a,
    )
    # A 设岗定责 post of 甲村 held by the secret member, with a 履职记录 (activities.ledgers).
    duty_post = duty_post_create(
        org=tree.village_a,
        name="甲村秘密岗位",
        duty="甲村秘密岗位职责",
        set_up_on=datetime.date(2025, 3, 1),
        by=clerk_a,
    )
    duty_held = duty_assign(
        post=duty_post, member=member, started_on=datetime.date(2025, 3, 1), by=clerk_a
    )
    duty_log = duty_log_record(
        assignment=duty_held,
        done_on=datetime.date(2025, 4, 1),
        text="甲村秘密履职情况",
        by=clerk_a,
    )
    # A 结对帮扶 of the secret member with a household of 甲村, and a visit
    # (activities.ledgers.pairs).
    pairing = pairing_create(
        org=tree.village_a,
        member=member,
        helper_unit="",
        partner_kind="household",
        partner_name="甲村秘密户主",
        address="甲村秘密住址",
        difficulty="illness",
        started_on=datetime.date(2025, 3, 1),
        by=clerk_a,
    )
    visit = visit_record(
        pairing=pairing,
        visited_on=datetime.date(2025, 4, 1),
        kind="goods",
        help_given="甲村秘密帮扶内容",
        value_note="",
        by=clerk_a,
    )
    # A 民情日志 entry the secret member (甲村's secretary) wrote, and their check of the
    # month (activities.ledgers.diary).
    diary_entry = diary_entry_record(
        org=tree.village_a,
        cadre=member,
        date=datetime.date(2025, 3, 5),
        household="甲村秘密农户",
        concern="甲村秘密民情诉求",
        action="甲村秘密办理情况",
        outcome="reported",
        passed_to="甲村秘密上报单位",
        by=clerk_a,
    )
    diary_check(
        org=tree.village_a,
        month=datetime.date(2025, 3, 1),
        checked_on=datetime.date(2025, 4, 1),
        checked_by=member,
        comment="甲村秘密审阅意见",
        by=clerk_a,
    )
    # A 谈心谈话 of the secret member (甲村's secretary) with the member who later moved
    # away, while both were in 甲村 (activities.ledgers.talks).
    talk = talk_record(
        org=tree.village_a,
        initiator=member,
        partner=moved,
        talked_on=datetime.date(2025, 3, 20),
        summary="甲村秘密谈话摘要",
        by=clerk_a,
    )
    # 甲村's 远程教育 station kept by the secret member, and its check of March
    # (activities.ledgers.stations).
    station = station_create(
        org=tree.village_a,
        name="甲村秘密远程教育站点",
        address="甲村秘密站点地址",
        manager=member,
        opened_on=datetime.date(2025, 3, 1),
        has_tv=True,
        equipment_note="甲村秘密设备",
        by=clerk_a,
    )
    station_check_record(
        station=station,
        month=datetime.date(2025, 3, 1),
        checked_on=datetime.date(2025, 3, 20),
        state="fault",
        playbacks=2,
        comment="甲村秘密故障情况",
        by=clerk_a,
    )
    # 甲村第一党小组's report of June 2025, 甲村's summary of that quarter, and 甲镇's
    # 经验交流会 at which the group presented (activities.ledgers.grouprep).
    group_report_submit(
        org=tree.group_a1,
        month=datetime.date(2025, 6, 1),
        work="甲村秘密月报情况",
        plans="甲村秘密下月打算",
        by=clerk_a,
    )
    branch_summary_submit(
        org=tree.village_a, quarter=datetime.date(2025, 4, 1), text="甲村秘密季度小结", by=clerk_a
    )
    with acting_as(clerk_a):
        exchange = exchange_log(
            township=tree.township_a,
            held_on=datetime.date(2025, 11, 20),
            topic="甲镇秘密经验交流会",
            groups=[tree.group_a1],
            by=clerk_a,
        )
    # A study session of 甲村 the secret member attended (activities.ledgers.study).
    study = study_session_record(
        org=tree.village_a,
        date=datetime.date(2025, 3, 6),
        topic="甲村秘密学习主题",
        form="lesson",
        hours=Decimal("2.5"),
        members=[member],
        by=clerk_a,
    )
    objects = {
        StudySession: [study],
        Talk: [talk],
        DiaryEntry: [diary_entry],
        DutyLog: [duty_log],
        PairingVisit: [visit],
        Pledge: [pledge],
        Station: [station],
        DutyPost: [duty_post],
        Pairing: [pairing],
        RectificationCase: [case],
        ModelSite: [site],
        Election: [election],
        TermPostponement: [postponement],
        SecretaryReportMeeting: [report_meeting],
        OrgGrade: [grade],
        Organization: [tree.township_a, tree.village_a, tree.group_a1, joint],
        DuesBase: [base],
        DuesLine: list(DuesLine.objects.filter(member=member)),
        DuesEntry: list(DuesEntry.objects.filter(member=member)),
        DuesReceipt: [receipt],
        DuesRemittance: [remittance],
        Recruit: [recruit],
        DevelopmentPlan: [plan],
        Transfer: [letter],
        Inflow: [inflow],
        PointEntry: list(PointEntry.objects.filter(member=member)),
        Appraisal: [appraisal],
        RatingPublication: [publication],
        Member: [member, moved],
        Membership: list(Membership.objects.filter(member__in=[member, moved])),
        Post: [post, election.candidates.get().post],
        User: [clerk_a],
        PiiAccess: [log],
        Activity: [activity, exchange],
        Attendance: list(Attendance.objects.filter(activity=activity)),
        Rating: list(Rating.objects.filter(member=member)),
        Attachment: [attachment],
        ImportRun: [run],
    }
    secrets = [
        member.name,
        member.id_number,
        MOBILE,
        OLD_MOBILE,
        LANDLINE,
        moved.name,
        moved.id_number,
        tree.village_a.name,
        tree.group_a1.name,
        tree.township_a.name,
        joint.name,
        clerk_a.username,
        activity.topic,
        attachment.original_name,
        # The attachment's bytes, whole: the admin's 书记述职评议会 pages hold "secret" in
        # their URL (secretaryreportmeeting).
        "%PDF-1.4 secret",
        run.file_name,
        manual.reason,
        letter.letter_number,
        "甲村秘密外出地",
        inflow.name,
        recruit.name,
        recruit.id_number,
        "甲村秘密谈话人",
        "甲村秘密上缴",
        "甲镇秘密述职会",
        "甲村秘密述职要点",
        "甲村秘密定级理由",
        "甲镇秘密批复",
        "甲村秘密补选",
        "县组秘密延期文号",
        "甲村秘密延期原因",
        "甲村秘密软弱表现",
        "秘密包联县领导",
        "秘密包联镇干部",
        "甲村秘密整顿方案",
        "甲村秘密整改措施",
        "甲村秘密整顿进展",
        "甲村秘密示范点",
        "甲村秘密承诺事项",
        "甲村秘密月报情况",
        "甲村秘密下月打算",
        "甲村秘密季度小结",
        "甲镇秘密经验交流会",
        "甲村秘密岗位",
        "甲村秘密岗位职责",
        "甲村秘密户主",
        "甲村秘密住址",
        "甲村秘密帮扶内容",
        "甲村秘密履职情况",
        "甲村秘密农户",
        "甲村秘密民情诉求",
        "甲村秘密办理情况",
        "甲村秘密上报单位",
        "甲村秘密审阅意见",
        "甲村秘密学习主题",
    ]
    return World(objects=objects, secrets=secrets)


class Writes:
    """The rows each statement of a request inserted, updated or deleted, by table.

    Installed with ``connection.execute_wrapper``, so it sees every statement
    Django sends (the ORM's and raw cursors' alike) and counts the rows each
    actually changed: a statement that matches nothing is no write. Sessions
    are left out: every request saves its own.
    """

    def __init__(self) -> None:
        self.rows: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        words = sql.lstrip().split(None, 3)
        if words and words[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
            table = table.strip('"`')
            rows = context["cursor"].rowcount
            if rows <= 0 and words[0].upper() == "INSERT" and "RETURNING" in sql.upper():
                rows = 1  # SQLite counts the rows of INSERT … RETURNING only once they are read
            if table != "django_session" and rows:
                self.rows[table] += max(rows, 1)
        return result


def snapshot() -> dict:
    return {
        model._meta.label: sorted(map(repr, model.objects.order_by("pk").values_list()))
        for model in (
            Organization,
            Member,
            Membership,
            Post,
            User,
            PiiAccess,
            Activity,
            Attendance,
            Attachment,
            ImportRun,
            Transfer,
            Spell,
            Inflow,
            Recruit,
            Assessment,
            Vote,
            Waiver,
            DevelopmentPlan,
            DuesBase,
            DuesLine,
            DuesEntry,
            DuesReceipt,
            DuesRemittance,
            DuesRule,
            DuesRetention,
            PointEntry,
            Appraisal,
            Rating,
            RatingPublication,
            LastRankDecision,
            SecretaryReportMeeting,
            SecretaryReport,
            GradeLevel,
            OrgGrade,
            Election,
            Candidate,
            TermPostponement,
            TermLength,
            RectificationCase,
            RectificationMeasure,
            RectificationProgress,
            ModelSite,
            Pledge,
            DutyPost,
            DutyAssignment,
            DutyLog,
            Pairing,
            PairingVisit,
            DiaryEntry,
            DiaryCheck,
            Talk,
            Station,
            StationCheck,
            GroupReport,
            BranchSummary,
            ExchangePresentation,
            StudySession,
            StudyAttendance,
            StudyTarget,
        )
    }


def urls_for(route: Route, model_admin, world: World) -> list[str]:
    """Every URL of *route* filled with one of A's objects (and its history rows)."""
    if model_admin is not None:
        model = model_admin.model
    else:
        model = declared(route.callback, "scope_model")
    if route.id_args == ("content_type_id", "object_id"):
        return [
            reverse(
                route.name,
                kwargs={
                    "content_type_id": ContentType.objects.get_for_model(m).pk,
                    "object_id": o.pk,
                },
            )
            for m, objs in world.objects.items()
            for o in objs
        ]
    urls = []
    for obj in world.objects[model]:
        values = [obj.pk]
        if len(route.id_args) == 2:  # <object_id>/history/<version_id>/
            values.append(obj.history.order_by("history_id").first().history_id)
        if isinstance(route.id_args[0], int):
            urls.append(reverse(route.name, args=values))
        else:
            urls.append(reverse(route.name, kwargs=dict(zip(route.id_args, values, strict=True))))
    return urls


def page_urls(world: World) -> list[str]:
    """Every page of the site, objects filled in from *world*: what a user can open."""
    from django.contrib import admin

    urls = []
    for route in routes(every=True):
        model_admin = model_admin_of(route.callback)
        if route.id_args:
            model = model_admin.model if model_admin else declared(route.callback, "scope_model")
            if model in world.objects or route.id_args == ("content_type_id", "object_id"):
                urls += urls_for(route, model_admin, world)
        elif route.other_args == ("app_label",):
            labels = {m._meta.app_label for m in admin.site._registry}
            urls += [reverse(route.name, kwargs={"app_label": label}) for label in labels]
        elif not route.other_args:
            urls.append(reverse(route.name))
    return urls
