"""Demo working ledgers: a year of 公开承诺, 设岗定责 and 结对帮扶 as a county keeps them.

Early in the year (February and March, after the 组织生活会) about seven
members in ten publicly pledge one thing, a third of them two; each branch
pledges one or two things of its own. Most pledges run to the end of the
year, some to the end of June or September. The township's or the branch's
leader comments on most within weeks; the villagers assess a pledge once it
is due (most 满意, a few 不满意). Of the pledges due, most are fulfilled by
their date, some partly or late, a few not, and a few are still unrecorded
(逾期); a third of those not yet due are already fulfilled.

设岗定责: each branch has three to six posts, set up in February (a third
of them in an earlier year and kept since), and about half of its members
without an office (无职党员) hold one, one to four on a post; a few left in
the year. Each holder's 履职记录 come every month or two.

结对帮扶: about a third of the members each pair with one or two households
in difficulty (most since an earlier year), and each village is paired with
one or two county units (县财政局, 县农业农村局, …) through its branch. Every
pairing is visited every month or two up to the build's day; a few ended in
the year.

民情日志: in each village and community branch the cadres (members holding a
post in it) write two to six villagers' concerns a month – roads, irrigation,
低保, disputes, 医保 – most resolved, some passed on to the township's offices,
a few still followed up; the secretary checked nine months in ten of the
months past, early in the month after, with a word on what is still open.

Bulk-written without history rows, like the rest of the demo; the 兑现公开承诺,
设岗定责履职 and 结对帮扶走访 points are derived afterwards by
``points_recompute`` (reports.demo.points).
"""

from __future__ import annotations

import datetime
import random
from typing import NamedTuple

from django.db.models import F
from django.utils import timezone

from activities.models import (
    DiaryCheck,
    DiaryEntry,
    DiaryOutcome,
    Difficulty,
    DutyAssignment,
    DutyLog,
    DutyPost,
    Fulfilment,
    Pairing,
    PairingVisit,
    PartnerKind,
    Pledge,
    PledgeCategory,
    VisitKind,
)
from branches.dated import months_later
from branches.models import BranchCategory, Organization, OrgKind, Post, PostTitle
from members.models import Member, Membership
from reports.demo.bulk import insert_rows

TEXTS = {
    PledgeCategory.DEVELOPMENT: [
        "带头发展特色种植，带动{n}户群众增收",
        "帮助村民联系农产品销路，年内销售{n}万斤",
        "带头发展庭院经济，向群众传授种养技术",
        "为{n}名村民介绍务工岗位",
    ],
    PledgeCategory.PUBLIC: [
        "每月参加一次村庄公益劳动",
        "义务修缮村组道路{n}百米",
        "为村里留守老人义务理发，每月一次",
        "参与村卫生室、文化广场的义务值守",
    ],
    PledgeCategory.POLICY: [
        "每季度为群众宣讲一次惠农政策",
        "宣传医保缴费政策，动员{n}户群众参保",
        "入户宣传防范电信诈骗知识",
        "宣讲党的创新理论，每季度一次",
    ],
    PledgeCategory.ENVIRONMENT: [
        "落实门前三包，带动邻里整治环境卫生",
        "参与河道清理保洁，每月一次",
        "带头拆除自家乱搭乱建，劝导{n}户群众整改",
        "参与垃圾分类宣传和督导",
    ],
    PledgeCategory.MEDIATION: [
        "参与调解邻里纠纷，做到小事不出组",
        "协助化解土地边界纠纷",
        "及时收集并反映群众诉求",
    ],
    PledgeCategory.HELP: [
        "结对帮扶一户困难群众，每月走访一次",
        "看望慰问留守儿童和孤寡老人",
        "帮助{n}名困难群众办理救助手续",
    ],
}
WEIGHTS = {
    PledgeCategory.DEVELOPMENT: 18,
    PledgeCategory.PUBLIC: 28,
    PledgeCategory.POLICY: 18,
    PledgeCategory.ENVIRONMENT: 18,
    PledgeCategory.MEDIATION: 9,
    PledgeCategory.HELP: 9,
}
BRANCH_TEXTS = [
    "年内硬化村组道路{n}公里",
    "建成村级便民服务站，实行党员轮流值班",
    "整治村内沟渠{n}条，改善人居环境",
    "发展村集体经济，年收入达到{n}万元",
    "为群众办好{n}件民生实事",
]
COMMENTS = [
    "承诺事项具体，贴近群众需求，望抓好落实。",
    "承诺切实可行，请按时兑现并接受群众监督。",
    "事项实在，注意发挥党员示范带动作用。",
    "承诺较好，建议进一步细化措施和时间节点。",
]
EVIDENCE = {
    Fulfilment.DONE: [
        "已按承诺完成，群众反映良好。",
        "已完成，有照片和活动记录存档。",
        "全部兑现，经村务监督委员会核实。",
    ],
    Fulfilment.PARTLY: ["完成大部分，剩余部分因天气原因顺延。", "部分完成，资金尚未全部到位。"],
    Fulfilment.NOT: ["因外出务工未能兑现，已作说明。"],
}
# name → (duty, what a 履职记录 says)
DUTY_POSTS = {
    "政策宣传岗": (
        "向群众宣传党的政策和惠民措施，每月至少一次。",
        ["入户宣传医保缴费政策", "在村民小组会上宣讲惠农补贴政策", "发放防诈骗宣传单"],
    ),
    "环境卫生监督岗": (
        "督促农户落实门前三包，参与村庄保洁。",
        ["检查村组环境卫生并督促整改", "参与清理村内沟渠垃圾", "劝导群众不乱堆乱放"],
    ),
    "矛盾调解岗": (
        "收集群众矛盾纠纷，及时调解或上报。",
        ["调解邻里宅基地纠纷", "化解家庭矛盾一起", "收集群众诉求并上报村委"],
    ),
    "治安巡逻岗": (
        "参与村内夜间巡逻和重点时段值守。",
        ["参加夜间治安巡逻", "节日期间在村口值守", "排查出租房屋安全隐患"],
    ),
    "移风易俗劝导岗": (
        "劝导红白事简办，宣传文明新风。",
        ["劝导一户村民丧事简办", "在红白理事会上宣讲文明新风", "参与评选好婆婆好媳妇"],
    ),
    "关爱帮扶岗": (
        "走访留守老人、儿童和困难群众。",
        ["走访留守老人并帮助购买生活用品", "看望困难群众了解需求", "辅导留守儿童作业"],
    ),
    "森林防火岗": (
        "巡查山林，宣传防火知识。",
        ["巡查山林防火隐患", "劝阻野外用火一起", "张贴森林防火标语"],
    ),
}
PLEDGING = 0.7  # of active members, a year


class Person(NamedTuple):
    pk: int
    branch_id: int
    group_id: int | None
    name: str


TWO = 0.3  # of those, two pledges


def _text(rng: random.Random, templates: list[str]) -> str:
    return rng.choice(templates).format(n=rng.randint(2, 9))


def _days(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange(max((end - start).days, 0) + 1))


def _pledge(rng, *, org_id, member_id, category, text, year, today, leader, by) -> Pledge | None:
    made = _days(rng, datetime.date(year, 2, 10), datetime.date(year, 3, 31))
    if made > today:
        return None
    due = rng.choices(
        [datetime.date(year, 12, 31), datetime.date(year, 9, 30), datetime.date(year, 6, 30)],
        weights=[70, 15, 15],
    )[0]
    pledge = Pledge(
        org_id=org_id,
        member_id=member_id,
        year=year,
        made_on=made,
        category=category,
        text=text,
        due_on=due,
        recorded_by=by,
    )
    commented = made + datetime.timedelta(days=rng.randint(7, 40))
    if commented <= today and rng.random() < 0.85:
        pledge.comment_by, pledge.comment_on = leader, commented
        pledge.comment = rng.choice(COMMENTS)
    _fulfil(rng, pledge, today)
    return pledge


def _fulfil(rng: random.Random, pledge: Pledge, today: datetime.date) -> None:
    due = pledge.due_on
    if due <= today:
        state = rng.choices(
            [Fulfilment.DONE, "late", Fulfilment.PARTLY, Fulfilment.NOT, Fulfilment.PENDING],
            weights=[80, 6, 7, 2, 5],
        )[0]
    else:
        state = Fulfilment.DONE if rng.random() < 0.3 else Fulfilment.PENDING
    if state == Fulfilment.PENDING:
        return
    if state == "late":
        state, on = Fulfilment.DONE, due + datetime.timedelta(days=rng.randint(3, 40))
        if on > today:
            return  # not kept yet: overdue on the build's day
    else:
        on = due - datetime.timedelta(days=rng.randint(0, 60))
    on = min(max(on, pledge.made_on), today)
    pledge.fulfilment, pledge.fulfilled_on = state, on
    pledge.evidence = rng.choice(EVIDENCE[state])
    assessed = on + datetime.timedelta(days=rng.randint(5, 30))
    if assessed <= today and rng.random() < 0.8:
        people = rng.randint(15, 60)
        unhappy = 0 if state == Fulfilment.DONE and rng.random() < 0.7 else rng.randint(0, 3)
        fairly = rng.randint(0, max(people // 6, 1))
        pledge.assessed_on = assessed
        pledge.satisfied = max(people - fairly - unhappy, 0)
        pledge.fairly_satisfied, pledge.dissatisfied = fairly, unhappy


def build_ledgers(*, rng: random.Random, today: datetime.date, users) -> dict[str, int]:
    """This year's 公开承诺 and 设岗定责 of the members and branches; returns the counts."""
    # Where each member is now, read back: the history built before moved some of them.
    members = [
        Person(*row)
        for row in Member.objects.active()
        .order_by("pk")
        .values_list("pk", "branch_id", "group_id", "name")
    ]
    year = today.year
    branches = {
        b.pk: b for b in Organization.objects.filter(kind=OrgKind.BRANCH).select_related("parent")
    }
    # Each township's secretary comments on its pledges: one of the demo's members, so the
    # rest of the demo's random stream is left as it was.
    leaders: dict[int, str] = {}

    def leader(branch: Organization) -> str:
        township = branch.parent_id
        if township not in leaders:
            leaders[township] = f"{branch.parent.name}书记 {rng.choice(members).name}"
        return leaders[township]

    by = users["admin"]
    categories, weights = list(WEIGHTS), list(WEIGHTS.values())
    pledges: list[Pledge] = []
    for member in members:
        if rng.random() >= PLEDGING:
            continue
        branch = branches.get(member.branch_id)
        if branch is None:
            continue
        for _ in range(2 if rng.random() < TWO else 1):
            category = rng.choices(categories, weights=weights)[0]
            pledge = _pledge(
                rng,
                org_id=member.group_id or member.branch_id,
                member_id=member.pk,
                category=category,
                text=_text(rng, TEXTS[category]),
                year=year,
                today=today,
                leader=leader(branch),
                by=by,
            )
            if pledge:
                pledges.append(pledge)
    for branch in branches.values():
        for _ in range(rng.choice((1, 1, 2))):
            pledge = _pledge(
                rng,
                org_id=branch.pk,
                member_id=None,
                category=PledgeCategory.PUBLIC,
                text=_text(rng, BRANCH_TEXTS),
                year=year,
                today=today,
                leader=leader(branch),
                by=by,
            )
            if pledge:
                pledges.append(pledge)
    Pledge.objects.bulk_create(pledges, batch_size=2000, audit=False)
    return {
        "pledges": len(pledges),
        **_duty_posts(rng, today, members, branches, by),
        **_pairings(rng, today, members, branches, by),
        **_diary(rng, today, branches, by),
    }


def _duty_posts(rng, today, members, branches, by) -> dict[str, int]:
    year = today.year
    start = datetime.date(year, 2, 1)
    if today < start:
        return {}
    office = set(Post.objects.filter(ended_on__isnull=True).values_list("member_id", flat=True))
    # Since when each is in their branch: a 预备党员 admitted in March takes a post after.
    since = dict(
        Membership.objects.filter(ended_on__isnull=True).values_list("member_id", "started_on")
    )
    free: dict[int, list] = {}
    for member in members:
        if member.pk not in office:
            free.setdefault(member.branch_id, []).append(member)
    posts = []
    for branch_id in branches:
        for name in rng.sample(list(DUTY_POSTS), k=rng.randint(3, 6)):
            set_up = _days(rng, start, min(datetime.date(year, 2, 28), today))
            if rng.random() < 0.3:
                set_up = set_up.replace(year=year - rng.randint(1, 3))
            posts.append(
                DutyPost(org_id=branch_id, name=name, duty=DUTY_POSTS[name][0], set_up_on=set_up)
            )
    DutyPost.objects.bulk_create(posts, batch_size=2000, audit=False)
    by_branch: dict[int, list[DutyPost]] = {}
    for post in posts:
        by_branch.setdefault(post.org_id, []).append(post)
    assignments = []
    for branch_id, people in free.items():
        holders = rng.sample(people, k=len(people) // 2)
        for member in holders:
            post = rng.choice(by_branch.get(branch_id) or [None])
            if post is None:
                continue
            began = max(post.set_up_on, start) + datetime.timedelta(days=rng.randint(0, 20))
            began = max(began, since.get(member.pk, began))
            if began > today:
                continue
            ended = None
            if rng.random() < 0.05:
                ended = _days(rng, began, today)
            assignments.append(
                DutyAssignment(post=post, member_id=member.pk, started_on=began, ended_on=ended)
            )
    DutyAssignment.objects.bulk_create(assignments, batch_size=2000, audit=False)
    logs, now = [], timezone.now()
    for held in assignments:
        last = held.ended_on or today
        day = held.started_on + datetime.timedelta(days=rng.randint(10, 50))
        while day <= last:
            text = rng.choice(DUTY_POSTS[held.post.name][1])
            logs.append((held.pk, day, text, by.pk, now))
            day += datetime.timedelta(days=rng.randint(30, 75))
    # Some 150,000 rows at city scale: through COPY (reports.demo.bulk).
    insert_rows(
        DutyLog, ["assignment_id", "done_on", "text", "recorded_by_id", "recorded_at"], logs
    )
    return {"duty_posts": len(posts), "duty_holders": len(assignments), "duty_logs": len(logs)}


# 结对帮扶 ---------------------------------------------------------------------------------

PAIRING = 0.33  # of the members pair with households
COUNTY_UNITS = (
    "县财政局 县农业农村局 县人社局 县住建局 县交通运输局 县水利局 县卫健委 县教育局 "
    "县自然资源局 县市场监管局 县供销社 县农商银行 县供电公司 县统计局"
).split()
HOUSEHOLD_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田"
HOUSEHOLD_GIVEN = (
    "秀英 桂兰 玉珍 凤英 淑珍 春花 德福 有才 长顺 老四 满仓 根生 来福 金山 保国 "
    "树林 广田 喜旺 建华 大山"
).split()
DIFFICULTIES = {
    Difficulty.ILLNESS: 35,
    Difficulty.DISABILITY: 20,
    Difficulty.LABOUR: 20,
    Difficulty.ELDERLY: 20,
    Difficulty.OTHER: 5,
}
HOUSEHOLD_VISITS = {
    VisitKind.CALL: [
        "入户走访，了解家庭生活和身体情况",
        "节前走访慰问，送去米面油",
        "帮助打扫庭院、整理房屋",
    ],
    VisitKind.PRODUCTION: [
        "帮助联系收购商销售农产品",
        "指导种植技术，帮助春耕备耕",
        "帮助联系务工岗位",
    ],
    VisitKind.POLICY: [
        "帮办医保报销手续",
        "帮助申请临时救助",
        "代办残疾人两项补贴",
        "宣讲防返贫监测政策",
    ],
    VisitKind.GOODS: ["送去棉被、衣物", "送去米油和慰问金"],
}
GOODS_VALUE = ["约200元", "约300元", "约500元", "米一袋、油一桶"]
VILLAGE_VISITS = {
    VisitKind.CALL: ["到村调研，召开座谈会听取意见", "与村两委研究年度帮扶计划"],
    VisitKind.PRODUCTION: [
        "协调资金支持村集体产业",
        "帮助村合作社对接销售渠道",
        "组织技术人员到村培训",
    ],
    VisitKind.POLICY: ["协调解决村道硬化项目", "帮助村里申报人居环境整治项目"],
    VisitKind.GOODS: ["为村卫生室捐赠药品器械", "为村小学捐赠图书文具"],
}


# The columns of a visit as ``_visits`` lists them.
VISIT_FIELDS = [
    "pairing_id",
    "visited_on",
    "kind",
    "help_given",
    "value_note",
    "recorded_by_id",
    "recorded_at",
]


def _visits(rng, pairing: Pairing, today: datetime.date, by, now) -> list[tuple]:
    """Every month or two from the year's start (or the pairing's), up to its end or today:
    rows of ``VISIT_FIELDS`` (the pairing is written already)."""
    texts = HOUSEHOLD_VISITS if pairing.partner_kind == PartnerKind.HOUSEHOLD else VILLAGE_VISITS
    start = max(pairing.started_on, datetime.date(today.year, 1, 1))
    day = start + datetime.timedelta(days=rng.randint(5, 40))
    visits = []
    while day <= (pairing.ended_on or today):
        kind = rng.choice(list(texts))
        value = rng.choice(GOODS_VALUE) if kind == VisitKind.GOODS else ""
        visits.append((pairing.pk, day, kind, rng.choice(texts[kind]), value, by.pk, now))
        day += datetime.timedelta(days=rng.randint(30, 65))
    return visits


def _pairings(rng, today, members, branches, by) -> dict[str, int]:
    year = today.year
    since = dict(
        Membership.objects.filter(ended_on__isnull=True).values_list("member_id", "started_on")
    )
    difficulties, weights = list(DIFFICULTIES), list(DIFFICULTIES.values())
    pairings = []
    for member in members:
        branch = branches.get(member.branch_id)
        if branch is None or rng.random() >= PAIRING:
            continue
        village = branch.name.removesuffix("党支部")
        for _ in range(rng.choice((1, 1, 2))):
            began = datetime.date(year - rng.randint(1, 4), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.3:
                began = _days(
                    rng, datetime.date(year, 1, 1), min(datetime.date(year, 3, 31), today)
                )
            # A member pairs once in their branch: not before they joined it.
            began = max(began, since.get(member.pk, began))
            if began > today:
                continue
            group = rng.randint(1, 8)
            pairings.append(
                Pairing(
                    org_id=branch.pk,
                    member_id=member.pk,
                    partner_kind=PartnerKind.HOUSEHOLD,
                    partner_name=rng.choice(HOUSEHOLD_SURNAMES) + rng.choice(HOUSEHOLD_GIVEN),
                    address=f"{village}{group}组{rng.randint(1, 60)}号",
                    difficulty=rng.choices(difficulties, weights=weights)[0],
                    started_on=began,
                )
            )
    for branch in branches.values():
        if branch.category != BranchCategory.VILLAGE:
            continue
        for unit in rng.sample(COUNTY_UNITS, k=rng.choice((1, 1, 2))):
            pairings.append(
                Pairing(
                    org_id=branch.pk,
                    helper_unit=unit,
                    partner_kind=PartnerKind.VILLAGE,
                    partner_name=branch.name.removesuffix("党支部"),
                    started_on=datetime.date(year - rng.randint(1, 3), rng.choice((1, 3)), 1),
                )
            )
    for pairing in pairings:
        if rng.random() < 0.03 and pairing.started_on < today:
            pairing.ended_on = _days(rng, max(pairing.started_on, datetime.date(year, 1, 1)), today)
    Pairing.objects.bulk_create(pairings, batch_size=2000, audit=False)
    now = timezone.now()
    visits = [v for p in pairings for v in _visits(rng, p, today, by, now)]
    # Some 200,000 rows at city scale: through COPY (reports.demo.bulk).
    insert_rows(PairingVisit, VISIT_FIELDS, visits)
    return {"pairings": len(pairings), "pairing_visits": len(visits)}


# 民情日志: a concern, what the cadre did, and (for those passed on) to whom.
CONCERNS = [
    ("村组道路坑洼，雨天出行困难", "组织村民小组填补坑洼，联系镇交通办纳入硬化计划", "镇交通办"),
    ("灌溉水渠堵塞，下游田块浇不上水", "组织党员和村民清淤疏通", "镇水利站"),
    ("家中老人患病，询问低保申请条件", "讲解低保政策，协助准备申请材料", "镇民政办"),
    ("邻里因宅基地边界发生纠纷", "会同村调解委员会现场调解", "镇司法所"),
    ("不会在手机上缴纳城乡居民医保", "上门指导用手机完成缴费", "镇医保站"),
    ("路灯损坏，夜间出行不便", "登记损坏位置，联系维修", "镇供电所"),
    ("反映自来水水压不足", "查看管网，联系供水站检修", "镇供水站"),
    ("咨询养老保险补缴办法", "讲解补缴政策，陪同到镇便民服务中心办理", "镇社保所"),
    ("垃圾清运不及时，房前堆积", "通知保洁员清运，落实门前三包", "镇环卫所"),
    ("孩子上学路远，询问校车接送", "了解需求，向镇中心校反映", "镇教育办"),
    ("外出务工工资被拖欠", "帮助收集证据，联系劳动保障所维权", "镇劳动保障所"),
    ("危房需要改造", "入户查看，协助申报危房改造", "镇规划建设办"),
]
CHECK_COMMENTS = ["已阅，办理及时。", "已阅，记录完整。", "已阅，请继续做好群众回访。"]


def _diary(rng, today, branches, by) -> dict[str, int]:
    """The 民情日志 of the village and community branches, from January to today."""
    year = today.year
    villages = [
        b
        for b in branches.values()
        if b.category in (BranchCategory.VILLAGE, BranchCategory.COMMUNITY)
        and b.dissolved_on is None
    ]
    cadres: dict[int, list[int]] = {}
    secretaries: dict[int, int] = {}
    for org_id, member_id, title in (
        Post.objects.filter(org__in=villages, ended_on__isnull=True, member__branch_id=F("org_id"))
        .order_by("org_id", "pk")
        .values_list("org_id", "member_id", "title")
    ):
        cadres.setdefault(org_id, []).append(member_id)
        if title == PostTitle.SECRETARY:
            secretaries.setdefault(org_id, member_id)
    entries, checks = [], []
    this_month = today.replace(day=1)
    for branch in villages:
        people = cadres.get(branch.pk)
        if not people:
            continue
        month = datetime.date(year, 1, 1)
        while month <= this_month:
            last = min(months_later(month, 1) - datetime.timedelta(days=1), today)
            following = 0
            for _ in range(rng.randint(2, 6)):
                concern, action, office = rng.choice(CONCERNS)
                roll = rng.random()
                outcome = (
                    DiaryOutcome.RESOLVED
                    if roll < 0.75
                    else DiaryOutcome.REPORTED
                    if roll < 0.9
                    else DiaryOutcome.FOLLOWING
                )
                following += outcome == DiaryOutcome.FOLLOWING
                entries.append(
                    DiaryEntry(
                        org_id=branch.pk,
                        cadre_id=rng.choice(people),
                        date=_days(rng, month, last),
                        household=f"{rng.randint(1, 8)}组 {rng.choice('王李张刘陈杨赵黄周吴')}家",
                        concern=concern,
                        action=action,
                        outcome=outcome,
                        passed_to=office if outcome == DiaryOutcome.REPORTED else "",
                        recorded_by=by,
                    )
                )
            checker = secretaries.get(branch.pk)
            if month < this_month and checker and rng.random() < 0.9:
                checked_on = min(
                    months_later(month, 1) + datetime.timedelta(rng.randint(0, 9)), today
                )
                comment = (
                    f"跟进中的{following}条诉求下月回访，办结后补记。"
                    if following
                    else rng.choice(CHECK_COMMENTS)
                )
                checks.append(
                    DiaryCheck(
                        org_id=branch.pk,
                        month=month,
                        checked_on=checked_on,
                        checked_by_id=checker,
                        comment=comment,
                        recorded_by=by,
                    )
                )
            month = months_later(month, 1)
    DiaryEntry.objects.bulk_create(entries, batch_size=2000, audit=False)
    DiaryCheck.objects.bulk_create(checks, batch_size=2000, audit=False)
    return {"diary_entries": len(entries), "diary_checks": len(checks)}
