"""Demo 换届 and the yearly assessment of organisations, as a county has them in December.

Terms: villages and communities elected in the spring of the five-yearly round
(2021, 2026, …) and most have held this round's election; a few are late, some
of those with an approved postponement. Township committees follow their own
five-yearly round in the autumn; the other committees' three-year terms fall
anywhere, so some are due within six months and a few are overdue. The
elections carry their candidates and votes, and the posts they filled start
on their dates. Village secretaries are mostly filed with the county, most of
them also chair the village committee (一肩挑).

Assessment: last year's 述职评议 (held in January), last year's grades (a few
先进, most 一般, a few 后进), this year's 软弱涣散 cases opened from last year's 后进
(some closed, some with measures overdue), and the 示范点 the county and the
city named.

Bulk-written without history rows, like the rest of the tree: a city's county
has about 1,800 committees.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter, defaultdict
from collections.abc import Callable

from django.db import models
from django.utils import timezone

from activities.models import (
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
from branches.models import (
    COMMITTEE_KINDS,
    TERM_KINDS,
    VILLAGE_CATEGORIES,
    Candidate,
    Election,
    ElectionMethod,
    Organization,
    OrgKind,
    Post,
    PostEndReason,
    PostTitle,
    TermPostponement,
)
from members.choices import MemberCategory
from members.models import Member

COUNTY = "桐溪县"
VILLAGE_ROUND = (2021, 3)  # 村（社区）“两委”换届: a spring, every five years
TOWNSHIP_ROUND = (2021, 9)  # 乡镇党委换届: an autumn, every five years
COUNTY_LEADERS = (
    "周建国（县委书记）",
    "孙立平（县长）",
    "吴海涛（县委副书记）",
    "郑晓梅（县委常委、组织部部长）",
    "冯振华（县委常委、纪委书记）",
    "陈光明（县委常委、宣传部部长）",
    "褚卫东（县委常委、政法委书记）",
    "卫红霞（县委常委、统战部部长）",
    "蒋志刚（县委常委、常务副县长）",
    "沈国庆（县人大常委会主任）",
)
MEASURES = (
    "调整充实村“两委”班子，选优配强党组织书记",
    "严格落实“三会一课”，每月召开支部主题党日",
    "县、乡两级包联领导每月到村督导不少于一次",
    "开展矛盾纠纷集中排查化解，建立台账逐件销号",
    "规范党员管理，清理失联党员，补齐党费收缴",
    "制定村集体经济发展规划，落实一个增收项目",
    "完善村务公开栏，按月公开党务村务财务",
    "开展党员集中轮训，组织书记外出学习考察",
)
PROGRESS = (
    "包联领导到村召开专题会议，研究整顿措施",
    "已完成班子调整，新任书记到岗履职",
    "本月主题党日按时召开，党员到会率明显提高",
    "排查矛盾纠纷12件，已化解9件",
    "已补齐上半年党费，清理失联党员2名",
    "村集体光伏项目已立项，预计年底见效",
    "镇党委组织委员到村检查整顿进展",
)
CLOSING = "经县乡两级验收，班子团结有力，组织生活正常，群众满意度测评达到要求，同意销号。"
SITE_TITLES = ("党建示范点", "基层党建示范村", "红色美丽村庄示范点", "“五星”支部示范点")
REPORT_POINTS = (
    "一年来带领班子落实“三会一课”，全年召开支部党员大会{n}次，发展党员1名；"
    "存在的不足是党员教育形式单一，明年将推行分类学习。",
    "抓班子带队伍，组织开展主题党日{n}次，推动村集体经济增收；不足是对流动党员联系不够经常。",
    "履行党建第一责任人职责，落实“四议两公开”，全年解决群众急难愁盼问题{n}件；"
    "不足是后备力量培养偏慢。",
)


def build_leadership(
    *, rng: random.Random, today: datetime.date, users: dict, names: Callable[[], str]
) -> dict[str, int]:
    """Terms, elections, filings, 述职评议, grades, 软弱涣散 cases and 示范点; counts.

    *names* gives a person's name (for the township cadres who 包联).
    """
    orgs = list(
        Organization.objects.filter(kind__in=TERM_KINDS, dissolved_on__isnull=True)
        .select_related("parent")
        .order_by("path")
    )
    posts = defaultdict(list)
    for post in Post.objects.filter(ended_on__isnull=True).exclude(title=PostTitle.GROUP_LEADER):
        posts[post.org_id].append(post)
    joined = dict(Member.objects.values_list("pk", "joined_on"))
    voters = Counter(
        Member.objects.filter(category=MemberCategory.FULL).values_list("branch_id", flat=True)
    )
    counts, overdue = _terms(rng, today, orgs, posts, joined, voters, users)
    counts |= _assessment(rng, today, orgs, posts, users, names, weak=overdue)
    return counts


def _round_start(today: datetime.date, first: tuple[int, int]) -> datetime.date:
    """The first day of the latest round of a five-yearly election that has begun by *today*."""
    year = first[0] + (today.year - first[0]) // 5 * 5
    start = datetime.date(year, first[1], 1)
    return start if start <= today else datetime.date(year - 5, first[1], 1)


def _in_round(rng, start: datetime.date, months: int) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange(months * 30))


def _is_village(org: Organization) -> bool:
    parent_village = org.parent.category in VILLAGE_CATEGORIES if org.parent_id else False
    return org.category in VILLAGE_CATEGORIES and not parent_village


def _terms(rng, today, orgs, posts, joined, voters, users) -> tuple[dict[str, int], set[int]]:
    """The terms and their elections; counts, and the villages left overdue on purpose."""
    village_round = _round_start(today, VILLAGE_ROUND)
    township_round = _round_start(today, TOWNSHIP_ROUND)
    clerk = users["admin"]
    elections, candidates, postponements, moved = [], [], [], []
    # Every township has a late village, and some postponed: what a clerk's worklist shows.
    villages = defaultdict(list)
    for org in orgs:
        if org.parent.kind == OrgKind.TOWNSHIP and _is_village(org):
            villages[org.parent_id].append(org)
    overdue = {v[0].pk for v in villages.values() if v}
    postponed = {v[1].pk for v in villages.values() if len(v) > 1}
    late_ones = overdue | postponed
    for org in orgs:
        five = org.kind == OrgKind.TOWNSHIP or org.category in VILLAGE_CATEGORIES
        if org.kind == OrgKind.TOWNSHIP:
            held = _in_round(rng, township_round, 3)
            late = held > today or rng.random() < 0.15
            previous = _in_round(rng, datetime.date(township_round.year - 5, 9, 1), 3)
        elif five:
            held = _in_round(rng, village_round, 4)
            late = held > today or rng.random() < 0.07 or org.pk in late_ones
            previous = _in_round(rng, datetime.date(village_round.year - 5, 3, 1), 4)
        else:
            if rng.random() < 0.03:  # a term nobody has entered yet
                continue
            held = today - datetime.timedelta(days=rng.randrange(int(3.3 * 365)))
            late, previous = False, None
        start = previous if late else held
        org.term_started_on = start
        if org.pk in postponed or (late and org.pk not in overdue and rng.random() < 0.5):
            postponements.append(
                TermPostponement(
                    org=org,
                    term_started_on=start,
                    until=datetime.date(today.year + 1, rng.choice((3, 4, 6)), 30),
                    approved_on=today - datetime.timedelta(days=rng.randint(20, 200)),
                    document=f"{COUNTY}组字〔{today.year}〕{rng.randint(10, 90)}号",
                    reason=rng.choice(
                        (
                            "村集体经济合作社清产核资未完成，待完成后一并换届",
                            "原书记因病去世，待选好配强人选后换届",
                            "村庄合并调整区划，待新村设立后换届",
                        )
                    ),
                    recorded_by=users["county"],
                )
            )
        electors = (
            rng.randint(180, 260)  # a township's 党代表
            if org.kind == OrgKind.TOWNSHIP
            else max(3, voters.get(org.pk, 0) or rng.randint(8, 30))
        )
        absent = rng.randint(0, max(0, (electors - 1) // 5 - 1)) if electors > 5 else 0
        election = Election(
            org=org,
            held_on=start,
            method=(
                ElectionMethod.CONGRESS
                if org.kind in COMMITTEE_KINDS
                else rng.choices(
                    [ElectionMethod.DIRECT, ElectionMethod.OPEN_DIRECT], weights=[4, 1]
                )[0]
            ),
            electors=electors,
            present=electors - absent,
            approval_document=f"{org.parent.short_name or org.parent.name[:4]}党发〔{start.year}〕"
            f"{rng.randint(3, 60)}号",
            recorded_by=clerk,
        )
        elections.append(election)
        for index, post in enumerate(posts.get(org.pk, [])):
            if post.started_on >= start or joined[post.member_id] > start:
                continue  # took the post after the election: appointed, not elected then
            # Re-elected: the post held before ends on the election's day and the new one
            # starts on it, so the holder is in post without a gap (the meetings built
            # earlier count the secretary's lessons by the posts' dates).
            post.ended_on, post.end_reason = start, PostEndReason.ELECTION
            moved.append(post)
            again = Post(org=org, member_id=post.member_id, title=post.title, started_on=start)
            posts[org.pk][index] = again
            votes = rng.randint(election.present // 2 + 1, election.present)
            candidates.append((election, again, votes))
    models.QuerySet(Organization).bulk_update(
        [o for o in orgs if o.term_started_on], ["term_started_on"], batch_size=2000
    )
    Election.objects.bulk_create(elections, batch_size=2000, audit=False)
    TermPostponement.objects.bulk_create(postponements, audit=False)
    # Without history rows, like the posts the builder wrote.
    models.QuerySet(Post).bulk_update(moved, ["ended_on", "end_reason"], batch_size=2000)
    Post.objects.bulk_create(
        [post for _election, post, _votes in candidates], batch_size=2000, audit=False
    )
    Candidate.objects.bulk_create(
        [
            Candidate(
                election=election,
                member_id=post.member_id,
                title=post.title,
                votes=votes,
                elected=True,
                post=post,
            )
            for election, post, votes in candidates
        ],
        batch_size=2000,
    )
    filed = _village_secretaries(rng, today, orgs, posts)
    counts = {
        "elections": len(elections),
        "postponements": len(postponements),
        "village_secretaries_filed": filed,
    }
    return counts, overdue


def _village_secretaries(rng, today, orgs, posts) -> int:
    """一肩挑 for most village secretaries, and the county's filing after the election."""
    changed = []
    for org in orgs:
        if not _is_village(org):
            continue
        for post in posts.get(org.pk, []):
            if post.title != PostTitle.SECRETARY:
                continue
            post.chairs_village_committee = rng.random() < 0.86
            filed_on = post.started_on + datetime.timedelta(days=rng.randint(15, 60))
            if filed_on <= today and rng.random() < 0.93:
                post.filed_on = filed_on
                post.filed_document = f"{COUNTY}组备〔{filed_on.year}〕{rng.randint(1, 40)}号"
            changed.append(post)
    models.QuerySet(Post).bulk_update(
        changed, ["chairs_village_committee", "filed_on", "filed_document"], batch_size=2000
    )
    return sum(1 for p in changed if p.filed_on)


def _assessment(rng, today, orgs, posts, users, names, *, weak: set[int]) -> dict[str, int]:
    """*weak*: organisations graded 后进 whatever the draw (the villages late to elect)."""
    last_year = today.year - 1
    county_user = users["county"]
    now = timezone.now()
    graded = [o for o in orgs if o.kind != OrgKind.TOWNSHIP]
    # 述职评议: every committee heard its secretaries in January; a few missed it.
    meetings, reports = [], []
    by_parent = defaultdict(list)
    for org in graded:
        if org.parent.kind in COMMITTEE_KINDS:
            by_parent[org.parent_id].append(org)
    parents = {o.parent_id: o.parent for o in graded}
    for parent_id, children in by_parent.items():
        evaluators = rng.randint(22, 45)
        meeting = SecretaryReportMeeting(
            org=parents[parent_id],
            year=last_year,
            held_on=datetime.date(today.year, 1, rng.randint(8, 26)),
            evaluators=evaluators,
            note="",
            recorded_by=county_user,
        )
        meetings.append(meeting)
        for org in children:
            secretary = next(
                (p for p in posts.get(org.pk, []) if p.title == PostTitle.SECRETARY), None
            )
            if secretary is None or rng.random() < 0.04:
                continue
            votes = _votes(rng, evaluators)
            reports.append(
                SecretaryReport(
                    meeting=meeting,
                    org=org,
                    secretary_id=secretary.member_id,
                    summary=rng.choice(REPORT_POINTS).format(n=rng.randint(4, 14)),
                    **votes,
                    evaluation=max(votes, key=votes.get),
                )
            )
    SecretaryReportMeeting.objects.bulk_create(meetings, audit=False)
    SecretaryReport.objects.bulk_create(reports, batch_size=2000, audit=False)

    # Last year's grades: a few 先进, most 一般, a few 后进.
    levels = list(GradeLevel.objects.order_by("rank"))
    grades = []
    for org in graded:
        level = rng.choices(levels, weights=[12, 82, 6][: len(levels)])[0]
        if org.pk in weak:
            level = levels[-1]
        grades.append(
            OrgGrade(
                org=org,
                year=last_year,
                level=level,
                reasons=_grade_reason(level),
                suggested=level,
                basis={},
                graded_by=county_user,
                graded_at=now,
            )
        )
    OrgGrade.objects.bulk_create(grades, batch_size=2000, audit=False)

    cases, measures, progress = _cases(rng, today, grades, users, names)
    sites = [
        ModelSite(
            org=org,
            year=rng.choice((last_year - 1, last_year)),
            level=rng.choices(
                [ModelSiteLevel.COUNTY, ModelSiteLevel.CITY, ModelSiteLevel.PROVINCE],
                weights=[14, 5, 1],
            )[0],
            title=rng.choice(SITE_TITLES),
            document=f"{COUNTY}组字〔{last_year}〕{rng.randint(20, 99)}号",
        )
        for org, grade in zip(graded, grades, strict=True)
        if grade.level.rank == 1 and rng.random() < 0.4
    ]
    ModelSite.objects.bulk_create(sites, audit=False)
    return {
        "secretary_reports": len(reports),
        "org_grades": len(grades),
        "rectification_cases": cases,
        "rectification_measures": measures,
        "rectification_progress": progress,
        "model_sites": len(sites),
    }


def _votes(rng, evaluators: int) -> dict[str, int]:
    voted = evaluators - rng.randint(0, 3)
    good = rng.randint(voted // 2, voted)
    fairly = rng.randint(0, voted - good)
    average = rng.randint(0, voted - good - fairly)
    return {
        Evaluation.GOOD: good,
        Evaluation.FAIRLY_GOOD: fairly,
        Evaluation.AVERAGE: average,
        Evaluation.POOR: voted - good - fairly - average,
    }


def _grade_reason(level: GradeLevel) -> str:
    if level.rank == 1:
        return "班子团结有力，组织生活规范，党员星级评定整体靠前。"
    if level.lagging:
        return "组织生活不正常，党小组排名靠后，群众反映问题较多。"
    return "各项工作基本落实，组织生活基本规范。"


def _cases(rng, today, grades, users, names) -> tuple[int, int, int]:
    """This year's cases from last year's 后进: opened in March, some closed by now."""
    lagging = [g for g in grades if g.level.lagging]
    identified = datetime.date(today.year, 3, rng.randint(5, 25))
    if identified > today:
        return 0, 0, 0
    cases = []
    for grade in lagging:
        reasons = rng.sample(
            [r for r in WeakReason.values if r != WeakReason.OTHER], k=rng.randint(1, 2)
        )
        cases.append(
            RectificationCase(
                org=grade.org,
                year=today.year,
                identified_on=identified,
                grade=grade,
                reasons=reasons,
                reason_note="上年度定级为后进，" + WeakReason(reasons[0]).label + "。",
                county_leader=rng.choice(COUNTY_LEADERS),
                township_cadre=f"{names()}（镇党委副书记）",
                plan="一村一策，县乡两级包联，限期整顿，验收销号。",
                recorded_by=users["county"],
            )
        )
    RectificationCase.objects.bulk_create(cases, audit=False)
    measures, progress = [], []
    for index, case in enumerate(cases):
        # The first case is open with its first measure late: the register's red line.
        closing = index > 0 and rng.random() < 0.35
        last_done = identified
        for number, text in enumerate(rng.sample(MEASURES, k=rng.randint(3, 5))):
            days = 45 if index == 0 and number == 0 else rng.randint(45, 330)
            deadline = identified + datetime.timedelta(days=days)
            late = index == 0 and number == 0
            done = deadline <= today and not late and (closing or rng.random() < 0.75)
            done_on = min(deadline - datetime.timedelta(days=rng.randint(0, 30)), today)
            if closing and not done:
                done, done_on = True, min(today, identified + datetime.timedelta(days=200))
            measure = RectificationMeasure(
                case=case, text=text, deadline=deadline, done_on=done_on if done else None
            )
            measures.append(measure)
            if done:
                last_done = max(last_done, done_on)
        if closing and last_done + datetime.timedelta(days=20) <= today:
            case.closed_on = last_done + datetime.timedelta(days=20)
            case.closing_decision = f"{COUNTY}组发〔{today.year}〕{rng.randint(30, 80)}号"
            case.closing_assessment = CLOSING
    RectificationMeasure.objects.bulk_create(measures, batch_size=2000, audit=False)
    RectificationCase.objects.bulk_update(
        [c for c in cases if c.closed_on],
        ["closed_on", "closing_decision", "closing_assessment"],
    )
    for measure in measures:
        if measure.done_on:
            progress.append(
                RectificationProgress(
                    case=measure.case,
                    measure=measure,
                    on=measure.done_on,
                    text=rng.choice(PROGRESS),
                    recorded_by=users["clerk_a"],
                )
            )
    RectificationProgress.objects.bulk_create(progress, batch_size=2000)
    return len(cases), len(measures), len(progress)
