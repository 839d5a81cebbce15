"""The pages ``manage.py bench`` measures. Later features add their pages here.

Each entry names a page, how to build its URL from the demo data, the
account that requests it and a time budget for its median at city scale:
``REPORT_MS`` for the report pages, the clerk's worklist and the member list
(read every day, by many), ``PAGE_MS`` for every other page. Spreadsheet
exports are listed apart (``EXPORTS``), each with its own budget: they write
every row, not a page of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from activities.models import DutyPost, Pairing, Pledge, RectificationCase, Station, StudySession
from branches.models import Election, Organization, OrgKind
from members.choices import RosterStatus
from members.models import DuesEntry, DuesReceipt, Member

REPORT_MS = 100
PAGE_MS = 150


@dataclass(frozen=True)
class BenchPage:
    name: str
    url: Callable[[], str]
    budget_ms: int
    username: str = "admin"


def _member_search_url() -> str:
    name = Member.objects.order_by("pk").values_list("name", flat=True).first()
    return reverse("admin:members_member_changelist") + "?" + urlencode({"q": name})


def _member_township_url() -> str:
    township = Organization.objects.filter(kind=OrgKind.TOWNSHIP).order_by("path").first()
    return reverse("admin:members_member_changelist") + "?" + urlencode({"township": township.pk})


def _member_attendance_url() -> str:
    member = Member.objects.filter(group__isnull=False).order_by("pk").first()
    return reverse("activities:member_attendance", args=[member.pk])


def _ledger_url() -> str:
    branch = Organization.objects.filter(kind=OrgKind.BRANCH).order_by("path").first()
    return reverse("activities:ledger", args=[branch.pk])


def _log_form_url() -> str:
    """The form a clerk logs a branch meeting with: the branch's members to mark."""
    branch = _first_township_branch()
    return reverse("activities:activity_log") + "?" + urlencode({"org": branch.pk})


def _member_change_url() -> str:
    member = Member.objects.filter(branch=_first_township_branch()).order_by("pk").first()
    return reverse("admin:members_member_change", args=[member.pk])


def _first_township_branch() -> Organization:
    township = _first_township()
    return (
        Organization.objects.filter(kind=OrgKind.BRANCH, path__startswith=township.path)
        .order_by("path")
        .first()
    )


def _first_township_group() -> Organization:
    township = _first_township()
    return (
        Organization.objects.filter(kind=OrgKind.GROUP, path__startswith=township.path)
        .order_by("path")
        .first()
    )


def _first_township() -> Organization:
    return Organization.objects.filter(kind=OrgKind.TOWNSHIP).order_by("path").first()


def _group_ranking_url() -> str:
    return reverse("activities:group_ranking", args=[_first_township().pk])


def _statement_url() -> str:
    township = _first_township()
    member = (
        Member.objects.filter(branch__path__startswith=township.path, group__isnull=False)
        .order_by("pk")
        .first()
    )
    return reverse("activities:points_statement", args=[member.pk])


def _rating_draft_url() -> str:
    county = Organization.objects.filter(kind=OrgKind.COUNTY).order_by("path").first()
    return reverse("activities:rating_draft", args=[county.pk])


def _rating_publish_url() -> str:
    """The county's confirmation page for the year the demo holds: its draft is summed and
    explained (the year is under way, so the page also says why it cannot be published)."""
    county = Organization.objects.filter(kind=OrgKind.COUNTY).order_by("path").first()
    return reverse("activities:rating_publish", args=[county.pk])


def _grading_url() -> str:
    """The first township's yearly grading: every 党委, 党总支 and 党支部 with its figures."""
    return reverse("activities:grading", args=[_first_township().pk])


def _report_meetings_url() -> str:
    """The county's 述职评议 list: its meetings and every secretary who has not reported."""
    county = Organization.objects.filter(kind=OrgKind.COUNTY).order_by("path").first()
    return reverse("activities:report_meetings") + "?" + urlencode({"org": county.pk})


def _report_url(name: str) -> Callable[[], str]:
    def url() -> str:
        county = Organization.objects.filter(kind=OrgKind.COUNTY).order_by("path").first()
        return reverse(name, args=[county.pk])

    return url


def _missing_run_url(username: str) -> Callable[[], str]:
    """A roster naming 20 branches the tree lacks, previewed for *username*: the page
    that creates them (for a tree editor) or lists them (for a clerk)."""

    def url() -> str:
        from branches.models import User
        from members.idcard import make_id_number
        from members.import_runs import import_run_preview
        from reports.demo.builder import COUNTY_AREA_CODE

        user = User.objects.select_related("org").get(username=username)
        township = user.org if user.org.kind == OrgKind.TOWNSHIP else _first_township()
        lines = ["姓名,公民身份证号,所在党支部"]
        for i in range(20):
            number = make_id_number(COUNTY_AREA_CODE, datetime.date(1960, 1, 1 + i), 21)
            lines.append(f"党员{i},{number},{township.name}/新设{i}村党支部")
        data = "\n".join(lines).encode()
        run, _plan = import_run_preview(user=user, data=data, file_name="bench.csv")
        return reverse("members:import_missing", args=[run.pk])

    return url


def _letter_url(name: str) -> Callable[[], str]:
    """A page of the first letter the demo issued inside the county (clerk_a's side)."""

    def url() -> str:
        from members.models import Transfer

        letter = Transfer.objects.filter(kind=Transfer.Kind.WITHIN).order_by("pk").first()
        return reverse(name, args=[letter.pk])

    return url


def _standing_url() -> str:
    """The 流动、失联与党籍 page of the first member of clerk_a's township who is away."""
    from members.models import Spell

    township = _first_township()
    spell = (
        Spell.objects.filter(kind=Spell.Kind.AWAY, member__branch__path__startswith=township.path)
        .order_by("pk")
        .first()
    )
    return reverse("members:member_standing", args=[spell.member_id])


def _recruit_url(name: str) -> Callable[[], str]:
    """A page of the first 预备党员 of clerk_a's township: a record through every stage
    up to the 支部大会, with its assessments, its vote and its roster member."""

    def url() -> str:
        from members.models import Recruit, Stage

        recruit = (
            Recruit.objects.filter(
                stage=Stage.PROBATIONARY, branch__path__startswith=_first_township().path
            )
            .order_by("pk")
            .first()
        )
        return reverse(name, args=[recruit.pk])

    return url


def _dues_branch() -> Organization:
    """The first branch of clerk_a's township with 40 to 80 members on the roster (a village
    branch as large as most: its month a page of some sixty rows); the largest if none."""
    active = Q(branch_members__roster_status=RosterStatus.ACTIVE)
    branches = Organization.objects.filter(
        kind=OrgKind.BRANCH, path__startswith=_first_township().path
    ).annotate(size=Count("branch_members", filter=active))
    return (
        branches.filter(size__gte=40, size__lte=80).order_by("path").first()
        or branches.order_by("-size", "path").first()
    )


def _dues_ledger_url() -> str:
    """The branch's last month in the dues ledger, as the township's clerk opens it to
    record late payments: every member has the month's line (the current month may
    have just begun)."""
    month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    query = urlencode({"branch": _dues_branch().pk, "month": month})
    return reverse("members:dues_ledger") + "?" + query


def _dues_member_url() -> str:
    """The dues statement of the branch's first member: two years of lines and entries."""
    member = Member.objects.filter(branch=_dues_branch()).order_by("pk").first()
    return reverse("members:dues_member", args=[member.pk])


def _dues_receipt_url() -> str:
    """The receipt of the branch's latest payment, to print."""
    receipt = DuesReceipt.objects.filter(org=_dues_branch()).order_by("-pk").first()
    return reverse("members:dues_receipt", args=[receipt.pk])


def _dues_correct_url() -> str:
    """The correction form of the branch's latest payment entry."""
    entry = DuesEntry.objects.filter(org=_dues_branch(), kind="pay").order_by("-pk").first()
    return reverse("members:dues_correct", args=[entry.pk])


def _dues_remit_url() -> str:
    """The branch's 上缴 form with its latest remittances."""
    return reverse("members:dues_remit") + "?" + urlencode({"org": _dues_branch().pk})


def _dues_report_url(export: bool = False) -> Callable[[], str]:
    """The county's dues report for the whole year (every township's lines summed)."""

    def url() -> str:
        query = {"year": timezone.localdate().year, **({"format": "xlsx"} if export else {})}
        return _report_url("reports:dues")() + "?" + urlencode(query)

    return url


def _term_url(name: str) -> Callable[[], str]:
    """A page of the first branch of clerk_a's township under 换届: its term, committee and
    elections, or the election form listing the branch's members to pick candidates from."""

    def url() -> str:
        return reverse(name, args=[_first_township_branch().pk])

    return url


def _rectification_case_url() -> str:
    """The demo's first 软弱涣散 case: its measures, progress and forms."""
    case = RectificationCase.objects.order_by("pk").first()
    return reverse("activities:rectification_detail", args=[case.pk])


def _election_record_url() -> str:
    """The demo's first election's 选举结果报告单, printed on A4."""
    election = Election.objects.order_by("pk").first()
    return reverse("terms:election_detail", args=[election.pk])


def _township_election_url() -> str:
    """The first township committee's election form: too many members to list, typed."""
    return reverse("terms:election_record", args=[_first_township().pk])


def _pledge_url() -> str:
    """One of the first township's pledges, as its clerk opens it from the ledger."""
    township = _first_township()
    pledge = (
        Pledge.objects.filter(org__path__startswith=township.path, member__isnull=False)
        .order_by("pk")
        .first()
    )
    return reverse("activities:pledge_detail", args=[pledge.pk])


def _duty_post_url() -> str:
    """The first township's first duty post, with its holders and their 履职记录."""
    post = DutyPost.objects.filter(org__path__startswith=_first_township().path).order_by("pk")
    return reverse("activities:duty_post_detail", args=[post.first().pk])


def _station_url() -> str:
    """The first township's first 远程教育 station: its year of checks and two forms."""
    station = Station.objects.filter(org__path__startswith=_first_township().path).order_by("pk")
    return reverse("activities:station_detail", args=[station.first().pk])


def _pairing_url() -> str:
    """One of the first township's members' pairings, as its clerk opens it from the list."""
    township = _first_township()
    pairing = (
        Pairing.objects.filter(org__path__startswith=township.path, member__isnull=False)
        .order_by("pk")
        .first()
    )
    return reverse("activities:pair_detail", args=[pairing.pk])


def _study_session() -> StudySession:
    """The first township's first branch's latest study session, as its clerk opens it."""
    return (
        StudySession.objects.filter(org=_first_township_branch()).order_by("-date", "-pk").first()
    )


def _export_url(name: str) -> Callable[[], str]:
    report = _report_url(name)
    return lambda: report() + "?format=xlsx"


PAGES: list[BenchPage] = [
    BenchPage("admin_member_list", lambda: reverse("admin:members_member_changelist"), REPORT_MS),
    BenchPage("admin_member_search", _member_search_url, REPORT_MS),
    BenchPage("admin_member_township", _member_township_url, REPORT_MS),
    BenchPage(
        "admin_tree_list", lambda: reverse("admin:branches_organization_changelist"), PAGE_MS
    ),
    BenchPage(
        "admin_member_list_clerk",
        lambda: reverse("admin:members_member_changelist"),
        REPORT_MS,
        "clerk_a",
    ),
    BenchPage("home_county", lambda: reverse("home"), PAGE_MS, "county"),
    # The tree page checks the sizing rules over the whole county and lists the breaches.
    BenchPage("tree_sizing_county", lambda: reverse("tree_import"), PAGE_MS, "county"),
    BenchPage("worklist_clerk", lambda: reverse("activities:worklist"), REPORT_MS, "clerk_a"),
    BenchPage("worklist_county", lambda: reverse("activities:worklist"), REPORT_MS, "county"),
    BenchPage("member_attendance", _member_attendance_url, PAGE_MS, "clerk_a"),
    BenchPage("meeting_log_form", _log_form_url, PAGE_MS, "clerk_a"),
    BenchPage("admin_change_member_clerk", _member_change_url, PAGE_MS, "clerk_a"),
    BenchPage("ledger_branch", _ledger_url, PAGE_MS, "clerk_a"),
    BenchPage("group_ranking_township", _group_ranking_url, PAGE_MS, "clerk_a"),
    BenchPage("points_statement", _statement_url, PAGE_MS, "clerk_a"),
    BenchPage("rating_draft_county", _rating_draft_url, PAGE_MS, "county"),
    BenchPage("rating_publish_county", _rating_publish_url, PAGE_MS, "county"),
    BenchPage("report_overview_county", _report_url("reports:overview"), REPORT_MS, "county"),
    BenchPage("report_compliance_county", _report_url("reports:compliance"), REPORT_MS, "county"),
    BenchPage("report_stars_county", _report_url("reports:stars"), REPORT_MS, "county"),
    BenchPage("report_summary_county", _report_url("reports:summary"), REPORT_MS, "county"),
    BenchPage("report_changes_county", _report_url("reports:changes"), REPORT_MS, "county"),
    BenchPage("import_missing_admin", _missing_run_url("admin"), PAGE_MS),
    BenchPage("import_missing_clerk", _missing_run_url("clerk_a"), PAGE_MS, "clerk_a"),
    BenchPage("transfer_list_clerk", lambda: reverse("members:transfer_list"), PAGE_MS, "clerk_a"),
    BenchPage("transfer_detail", _letter_url("members:transfer_detail"), PAGE_MS, "clerk_a"),
    BenchPage("transfer_letter", _letter_url("members:transfer_letter"), PAGE_MS, "clerk_a"),
    BenchPage("member_standing", _standing_url, PAGE_MS, "clerk_a"),
    BenchPage(
        "standing_register_clerk", lambda: reverse("members:standing_register"), PAGE_MS, "clerk_a"
    ),
    BenchPage(
        "inflow_register_clerk",
        lambda: reverse("members:standing_register") + "?kind=inflow",
        PAGE_MS,
        "clerk_a",
    ),
    # 发展党员: the county's plan beside each unit's pipeline, a township's 积极分子, one
    # person's record with the forms of their next steps, and its printed 纪实表.
    BenchPage(
        "development_plan_county", lambda: reverse("members:development_plan"), PAGE_MS, "county"
    ),
    BenchPage("recruit_list_clerk", lambda: reverse("members:recruit_list"), PAGE_MS, "clerk_a"),
    BenchPage("recruit_detail", _recruit_url("members:recruit_detail"), PAGE_MS, "clerk_a"),
    BenchPage("recruit_sheet", _recruit_url("members:recruit_sheet"), PAGE_MS, "clerk_a"),
    # 党费: a branch's month as the clerk records it, a member's statement, the county's year.
    BenchPage("dues_ledger_branch", _dues_ledger_url, PAGE_MS, "clerk_a"),
    BenchPage("dues_member", _dues_member_url, PAGE_MS, "clerk_a"),
    BenchPage("dues_receipt", _dues_receipt_url, PAGE_MS, "clerk_a"),
    BenchPage("dues_correct", _dues_correct_url, PAGE_MS, "clerk_a"),
    BenchPage("dues_remit", _dues_remit_url, PAGE_MS, "clerk_a"),
    # The township's members whose base is missing or a year old (the first 500).
    BenchPage("dues_review", lambda: reverse("members:dues_review"), PAGE_MS, "clerk_a"),
    BenchPage("dues_import", lambda: reverse("members:dues_import"), PAGE_MS, "clerk_a"),
    BenchPage("report_dues_county", _dues_report_url(), REPORT_MS, "county"),
    # 换届: the county's terms (every committee's term computed), a branch's page, its form.
    BenchPage("report_terms_county", _report_url("reports:terms"), REPORT_MS, "county"),
    BenchPage("term_org", _term_url("terms:term_org"), PAGE_MS, "clerk_a"),
    BenchPage("election_form", _term_url("terms:election_record"), PAGE_MS, "clerk_a"),
    BenchPage("election_form_township", _township_election_url, PAGE_MS, "clerk_a"),
    BenchPage("election_record", _election_record_url, PAGE_MS, "clerk_a"),
    BenchPage("assessment_grading_township", _grading_url, PAGE_MS, "county"),
    BenchPage("assessment_report_meetings_county", _report_meetings_url, PAGE_MS, "county"),
    BenchPage(
        "assessment_report_meetings_clerk",
        lambda: reverse("activities:report_meetings"),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "assessment_report_meeting_form",
        lambda: reverse("activities:report_meeting_add"),
        PAGE_MS,
        "clerk_a",
    ),
    # 软弱涣散整顿: the county's register (every case's measures counted in one query) and
    # one case.
    BenchPage(
        "rectification_register_county",
        lambda: reverse("activities:rectification_list"),
        PAGE_MS,
        "county",
    ),
    BenchPage("rectification_case", _rectification_case_url, PAGE_MS, "county"),
    # Opening a case: every 党委, 党总支 and 党支部 of the county in the picker.
    BenchPage(
        "rectification_open_county",
        lambda: reverse("activities:rectification_add"),
        PAGE_MS,
        "county",
    ),
    # The working ledgers (公开承诺): the yearly summaries of the county and of a township
    # (summed by child in the database), the ledger as a clerk and as the county read it
    # (a page of 100 of some 60,000 rows), one pledge with its three forms, the form.
    BenchPage(
        "report_pledges_county",
        _report_url("activities:pledge_summary"),
        REPORT_MS,
        "county",
    ),
    BenchPage(
        "report_pledges_township",
        lambda: reverse("activities:pledge_summary", args=[_first_township().pk]),
        REPORT_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_pledge_list_clerk", lambda: reverse("activities:pledge_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage(
        "ledger_pledge_list_county", lambda: reverse("activities:pledge_list"), PAGE_MS, "county"
    ),
    BenchPage("ledger_pledge_detail", _pledge_url, PAGE_MS, "clerk_a"),
    # 设岗定责: the summaries count every active member against their 班子职务 and duty
    # posts; the ledger lists a page of posts with their holders.
    BenchPage("report_duty_county", _report_url("activities:duty_summary"), REPORT_MS, "county"),
    BenchPage(
        "report_duty_township",
        lambda: reverse("activities:duty_summary", args=[_first_township().pk]),
        REPORT_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_duty_list_clerk", lambda: reverse("activities:duty_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage("ledger_duty_post", _duty_post_url, PAGE_MS, "clerk_a"),
    BenchPage(
        "ledger_pledge_form",
        lambda: reverse("activities:pledge_add") + f"?branch={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    # 结对帮扶: the county's yearly summary (pairings and visits summed by child), the list
    # as a township's clerk reads it (a page of 100 with the year's visit counts), one
    # pairing with its visits and two forms.
    BenchPage("report_pairs_county", _report_url("activities:pair_summary"), REPORT_MS, "county"),
    BenchPage(
        "ledger_pair_list_clerk", lambda: reverse("activities:pair_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage("ledger_pair_detail", _pairing_url, PAGE_MS, "clerk_a"),
    # 民情日志: the county's yearly summary (branch-months counted in the database) and the
    # township's diary as its clerk reads it (a page of 100 of some 4,000 rows).
    BenchPage("report_diary_county", _report_url("activities:diary_summary"), REPORT_MS, "county"),
    BenchPage(
        "ledger_diary_list_clerk", lambda: reverse("activities:diary_list"), PAGE_MS, "clerk_a"
    ),
    # The ledgers' forms as a clerk opens them for the first township's first branch: its
    # members to choose from; and that branch's 民情日志 month with its check.
    BenchPage(
        "ledger_duty_post_form",
        lambda: reverse("activities:duty_post_add") + f"?branch={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_pair_form",
        lambda: reverse("activities:pair_add") + f"?branch={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_diary_form",
        lambda: reverse("activities:diary_add") + f"?branch={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_diary_month",
        lambda: reverse("activities:diary_check", args=[_first_township_branch().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    # 谈心谈话: the county's yearly summary (talks and members in talks summed by child),
    # the first township's (each branch's cycle and its required pairs, in a fixed number
    # of queries), the township's talks as its clerk reads them, the form, and the first
    # branch's cycle with its missing pairs.
    BenchPage("report_talks_county", _report_url("activities:talk_summary"), REPORT_MS, "county"),
    BenchPage(
        "report_talks_township",
        lambda: reverse("activities:talk_summary", args=[_first_township().pk]),
        REPORT_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_talk_list_clerk", lambda: reverse("activities:talk_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage(
        "ledger_talk_form",
        lambda: reverse("activities:talk_add") + f"?branch={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_talk_branch",
        lambda: reverse("activities:talk_branch", args=[_first_township_branch().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    # 远程教育站点: the county's yearly summary (stations and their checks summed by child),
    # the township's check sheet as its clerk reads it (each station's twelve months), one
    # station with its year and its forms.
    BenchPage(
        "report_stations_county", _report_url("activities:station_summary"), REPORT_MS, "county"
    ),
    BenchPage(
        "ledger_station_list_clerk", lambda: reverse("activities:station_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage("ledger_station_detail", _station_url, PAGE_MS, "clerk_a"),
    # 小组月报: the county's yearly summary (every group's months due counted from the
    # groups' dates), the township's groups for last month as its clerk reads them, the
    # first township's first group's month and its branch's last quarter.
    BenchPage(
        "report_grouprep_county", _report_url("activities:grouprep_summary"), REPORT_MS, "county"
    ),
    BenchPage(
        "ledger_grouprep_list_clerk",
        lambda: reverse("activities:grouprep_list"),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_group_month",
        lambda: reverse("activities:group_month", args=[_first_township_group().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_branch_quarter",
        lambda: reverse("activities:branch_quarter", args=[_first_township_branch().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    # 党员学习: the county's yearly summary (every member's 学时 against their target,
    # grouped by child in the database), a township's sessions as its clerk reads them,
    # the first branch's members' 学时 and its form with the members to tick.
    BenchPage("report_study_county", _report_url("activities:study_summary"), REPORT_MS, "county"),
    BenchPage(
        "ledger_study_list_clerk", lambda: reverse("activities:study_list"), PAGE_MS, "clerk_a"
    ),
    BenchPage(
        "ledger_study_members",
        lambda: reverse("activities:study_members", args=[_first_township_branch().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_study_form",
        lambda: reverse("activities:study_add") + f"?org={_first_township_branch().pk}",
        PAGE_MS,
        "clerk_a",
    ),
    # A session's page, its correction form and the admin's confirmation of its deletion
    # (the attendees counted, not listed).
    BenchPage(
        "ledger_study_detail",
        lambda: reverse("activities:study_detail", args=[_study_session().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "ledger_study_edit",
        lambda: reverse("activities:study_edit", args=[_study_session().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    BenchPage(
        "admin_study_delete_clerk",
        lambda: reverse("admin:activities_studysession_delete", args=[_study_session().pk]),
        PAGE_MS,
        "clerk_a",
    ),
    # The ledgers' records in the admin, where one logged by mistake is deleted: the first
    # page of each (50 rows, no full count; the years of the date filter over every row in
    # scope) as a township's clerk and as the county read it.
    *(
        BenchPage(
            f"admin_{model}_list_{who}",
            (lambda model=model: reverse(f"admin:activities_{model}_changelist")),
            PAGE_MS,
            user,
        )
        for model in ("talk", "studysession", "diaryentry", "dutylog", "pairingvisit")
        for who, user in (("clerk", "clerk_a"), ("county", "county"))
    ),
]

# Spreadsheets: a county's every row (the compliance export lists every gap), a
# township's roster of some 3,500 members.
EXPORTS: list[BenchPage] = [
    BenchPage("xlsx_overview_county", _export_url("reports:overview"), 300, "county"),
    BenchPage("xlsx_compliance_county", _export_url("reports:compliance"), 1500, "county"),
    BenchPage("xlsx_stars_county", _export_url("reports:stars"), 300, "county"),
    BenchPage("xlsx_changes_county", _export_url("reports:changes"), 300, "county"),
    BenchPage("xlsx_roster_clerk", lambda: reverse("members:roster_export"), 3000, "clerk_a"),
    BenchPage("xlsx_dues_county", _dues_report_url(export=True), 300, "county"),
    BenchPage(
        "xlsx_rectification_county",
        lambda: reverse("activities:rectification_list") + "?format=xlsx",
        300,
        "county",
    ),
    BenchPage("xlsx_terms_county", _export_url("reports:terms"), 300, "county"),
    # A township's year of pledges, some 3,000 rows.
    BenchPage(
        "xlsx_pledges_township",
        lambda: reverse("activities:pledge_list") + "?format=xlsx",
        1500,
        "clerk_a",
    ),
]
