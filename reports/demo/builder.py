"""Deterministic demo data: a county's tree, members with valid ID numbers, posts.

Written with ``bulk_create`` level by level: at city scale (70,000 members)
per-row services would take far longer, and the generator produces only
valid, consistent rows, so the services' checks are not needed here.
"""

from __future__ import annotations

import datetime
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from activities.ledgers.tallies import ledger_tally_rebuild
from activities.models import (
    Attendance,
    DutyLog,
    GroupReport,
    PairingVisit,
    PointEntry,
    StudyAttendance,
    Talk,
)
from branches.models import (
    BranchCategory,
    Organization,
    OrgKind,
    Post,
    PostTitle,
    User,
)
from branches.paths import PATH_STEP, path_segment
from branches.roles import Role
from members.choices import (
    Education,
    MemberCategory,
    MembershipReason,
    Occupation,
    PartyStatus,
    Sex,
)
from members.idcard import make_id_number
from members.models import Member, Membership
from reports.demo.bulk import keys_checked_once
from reports.demo.development import build_development
from reports.demo.dues import build_dues
from reports.demo.grouprep import build_grouprep
from reports.demo.history import HistoryBuilder
from reports.demo.leadership import build_leadership
from reports.demo.ledgers import build_ledgers
from reports.demo.points import build_points
from reports.demo.standing import build_inflows, build_spells, build_transfers
from reports.demo.stations import build_stations
from reports.demo.study import build_study
from reports.demo.talks import build_talks

DEMO_PASSWORD = "dangjian-demo"


@dataclass(frozen=True)
class Scale:
    townships: int
    villages_per_township: tuple[int, int]  # inclusive range
    organs_per_township: tuple[int, int]
    groups_per_village: tuple[int, int]
    members_per_branch: tuple[int, int]


SCALES = {
    # tiny: a few dozen members, enough for every account and page (tests build it).
    "tiny": Scale(2, (2, 3), (1, 1), (2, 2), (6, 9)),
    "small": Scale(4, (7, 9), (2, 3), (3, 5), (30, 44)),
    "city": Scale(20, (68, 74), (14, 16), (5, 6), (36, 50)),
    # Twice the city: twice the townships, each like a city one (about 140,000
    # members), so a township's pages stay the same and the county's double.
    "city2": Scale(40, (68, 74), (14, 16), (5, 6), (36, 50)),
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
MALE_CHARS = "建国军明伟强磊志刚勇杰涛斌超鹏辉海波林峰德华文春成永福全贵喜宝山庆东新民玉亮"
FEMALE_CHARS = "秀英兰芳丽娟敏静燕霞桂凤红梅玲琴云莲珍萍雪慧婷娜倩艳春华荣玉洁月"
TOWNSHIP_NAMES = (
    "城关镇 青山乡 柳河镇 白马镇 石桥乡 杨庄镇 新集乡 大营镇 桃园乡 龙泉镇 马家店镇 双河乡 "
    "清水镇 王集乡 李庄镇 高桥乡 沙河镇 东风乡 红星镇 三合乡 五里铺镇 黄土岗乡 仁和镇 安乐乡"
).split()
# Only for scales with more townships than the names above: the smaller scales
# draw from those alone, so their seeds give the same county as before.
MORE_TOWNSHIP_NAMES = (
    "永安镇 长乐乡 太平镇 兴隆乡 丰收镇 和平乡 团结镇 胜利乡 前进镇 光明乡 "
    "幸福镇 富民乡 振兴镇 金山乡 银河镇 凤凰乡 卧龙镇 观音桥乡"
).split()


def township_names(rng: random.Random, count: int) -> list[str]:
    """*count* different township names; up to 24 drawn as the smaller scales always drew them."""
    names = rng.sample(TOWNSHIP_NAMES, min(count, len(TOWNSHIP_NAMES)))
    return names + rng.sample(MORE_TOWNSHIP_NAMES, count - len(names))


VILLAGE_FIRST = "东西南北前后上下大小新老高王李张刘陈杨赵黄马周孙郭何林韩冯宋唐许邓彭曾"
VILLAGE_SECOND = "庄村集营寨屯湾沟坪岭桥河台店园洼堡坊铺圩岗"
# The township's own units. Stations of vertically run county systems (派出所,
# 供电所, 市场监管所, 司法所, 农村信用社) are left out: their branches belong to
# their system's committee (县公安局党委 …), which the demo tree does not hold.
ORGAN_UNITS = [
    ("机关党支部", BranchCategory.ORGAN),
    ("中心学校党支部", BranchCategory.INSTITUTION),
    ("卫生院党支部", BranchCategory.INSTITUTION),
    ("财政所党支部", BranchCategory.ORGAN),
    ("便民服务中心党支部", BranchCategory.ORGAN),
    ("综合行政执法队党支部", BranchCategory.ORGAN),
    ("农业综合服务中心党支部", BranchCategory.ORGAN),
    ("中学党支部", BranchCategory.INSTITUTION),
    ("敬老院党支部", BranchCategory.INSTITUTION),
    ("文化站党支部", BranchCategory.ORGAN),
    ("退役军人服务站党支部", BranchCategory.ORGAN),
    ("社会保障服务中心党支部", BranchCategory.ORGAN),
    ("水利站党支部", BranchCategory.ORGAN),
    ("村镇建设服务中心党支部", BranchCategory.ORGAN),
    ("物流园区联合党支部", BranchCategory.PRIVATE_ENTERPRISE),
    ("商会党支部", BranchCategory.SOCIAL_ORG),
]
# The county's 工委 and the branches under them: departments under the 机关工委
# (one 党总支 with branches of its own), a private company under the 两新工委.
ORGANS_COMMITTEE = "县直机关工委"
ORGANS_GENERAL_BRANCH = ("县财政局党总支", ("县财政局机关第一党支部", "县财政局机关第二党支部"))
ORGANS_BRANCHES = ("县教育局机关党支部", "县人力资源和社会保障局党支部", "县农业农村局党支部")
NON_PUBLIC_COMMITTEE = "县两新组织工委"
NON_PUBLIC_BRANCHES = ("桐溪华丰建材有限公司党支部",)
# Stations in the townships belong to their county system's committee, not to the
# township: police stations to the 公安局's 党委, power stations to the power company's.
SYSTEM_COMMITTEES = (
    ("县公安局党委", "派出所党支部", BranchCategory.ORGAN),
    ("县供电公司党委", "供电所党支部", BranchCategory.PUBLIC_ENTERPRISE),
)
SYSTEM_STATIONS = 2  # stations of each system, in the first townships
# A large village's 党委 in the first township, with a branch per hamlet; placed
# after the township's own branches (fewer than 99 even at city scale).
VILLAGE_COMMITTEE_INDEX = 99
VILLAGE_COMMITTEE_BRANCHES = 3
# Women's share of the members by branch kind, before each branch's own
# variation: village branches are mostly men (about one in ten women, as county
# work reports give), organs, schools and communities far less so.
WOMEN_SHARE = {  # village branches: per township, see DemoBuilder._members
    BranchCategory.COMMUNITY: 0.38,
    BranchCategory.ORGAN: 0.35,
    BranchCategory.INSTITUTION: 0.45,
    BranchCategory.PUBLIC_ENTERPRISE: 0.22,
    BranchCategory.PRIVATE_ENTERPRISE: 0.25,
    BranchCategory.SOCIAL_ORG: 0.30,
}
GROUP_ORDINALS = "一二三四五六七八九十"
DESTINATIONS = (
    "广东省深圳市",
    "广东省东莞市",
    "浙江省杭州市",
    "江苏省苏州市",
    "北京市朝阳区",
    "上海市浦东新区",
    "天津市滨海新区",
    "河北省石家庄市",
    "山东省青岛市",
    "福建省厦门市",
)
MINORITIES = ("回族", "满族", "蒙古族", "壮族", "土家族")
# A fictional county (no county, district or banner of China is called 桐溪) with
# a fictional area code: Hebei (13) has eleven prefectures, 1301–1311, so no real
# county's code starts 1312 and no generated number names a real birthplace.
# Most members were born in the county, some in its two (as fictional) neighbours.
COUNTY_NAME = "桐溪县"
COUNTY_AREA_CODE = "131221"
AREA_CODES = (COUNTY_AREA_CODE,) * 8 + ("131222", "131223")
TODAY = datetime.date(2026, 1, 1)  # fixed, so a seed gives the same data any day
# Founding dates: each node after its parent, and all before the history years,
# so every organisation owes a full year of meetings.
FOUNDED_FIRST = datetime.date(1949, 10, 1)
FOUNDED_BY_KIND = {
    OrgKind.COUNTY: datetime.date(1952, 12, 1),
    OrgKind.TOWNSHIP: datetime.date(1985, 12, 1),
    OrgKind.WORK_COMMITTEE: datetime.date(1995, 12, 1),
    OrgKind.PRIMARY_COMMITTEE: datetime.date(2005, 12, 1),
    OrgKind.GENERAL_BRANCH: datetime.date(2008, 12, 1),
    OrgKind.BRANCH: datetime.date(2010, 12, 1),
    OrgKind.GROUP: datetime.date(2018, 12, 1),
}


def ensure_throwaway_database(throwaway_db: str | None) -> None:
    """Refuse to write demo data (published passwords) into a real database.

    Allowed when DEBUG is on, or when the caller names the database in use,
    which nobody types by accident against production.
    """
    if settings.DEBUG:
        return
    name = str(connection.settings_dict["NAME"])
    if throwaway_db and throwaway_db in (name, name.rsplit("/", 1)[-1]):
        return
    raise CommandError(
        "拒绝写入：DEBUG 未开启，当前数据库可能是正式库。"
        f"若确认数据库「{name}」可以丢弃，请加参数 --throwaway-db {name}。"
    )


def database_is_empty() -> bool:
    return not Organization.objects.exists()


class DemoBuilder:
    def __init__(self, *, scale: str, seed: int, today: datetime.date | None = None) -> None:
        self.scale = SCALES[scale]
        # History runs up to this day; fixed by --today for a repeatable build.
        self.today = today or timezone.localdate()
        self.rng = random.Random(seed)
        # The dues ledger draws from its own stream: the rest of the demo stays as it was.
        self.dues_rng = random.Random(f"dues-{seed}")
        self.seed = seed
        self.id_numbers: set[str] = set()
        self.phones: set[str] = set()
        # Seconds each part of the build took (``seed_demo -v 2`` prints them): the
        # city-scale seed has a budget, and this says which part to look at.
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - started

    @transaction.atomic
    def build(self) -> dict[str, int]:
        # The tables of a million rows and more at city scale, and those the ledgers fill
        # by the hundred thousand: their keys checked once at the end (reports.demo.bulk).
        with keys_checked_once(
            [Attendance, StudyAttendance, PointEntry, PairingVisit, DutyLog, Talk, GroupReport]
        ):
            return self._build()

    def _build(self) -> dict[str, int]:
        with self.stage("tree"):
            county = self.county()
            townships = self._townships(county)
            committees, committee_branches = self._committees(county, townships)
            branches, groups_by_branch = self._branches_and_groups(townships, committee_branches)
        with self.stage("members"):
            members = self._members(branches, groups_by_branch)
            spells = build_spells(rng=self.rng, today=self.today, members=members)
            posts = self._posts(branches, groups_by_branch, members)
            users = self._accounts(county, townships, branches)
        with self.stage("development"):
            development = build_development(
                rng=self.rng,
                today=self.today,
                units=townships + committees,
                members=members,
                users=users,
                names=self._person_name,
                id_numbers=self._id_number,
                phones=self._phone,
            )
        # The 预备党员 the procedure admitted attend the year's meetings and are rated.
        members += development.members
        # Who keeps each county unit's records: the two clerks' townships, the admin elsewhere.
        clerks = {
            t.pk: users.get({0: "clerk_a", 1: "clerk_b"}.get(i, "admin"))
            for i, t in enumerate(townships + committees)
        }
        with self.stage("history"):
            history = HistoryBuilder(rng=self.rng, today=self.today, logged_by=clerks).build(
                townships=townships + committees,
                branches=branches,
                groups_by_branch=groups_by_branch,
                members=members,
                posts=posts,
            )
        # Before the points: the 欠缴党费 deductions are derived from the dues ledger.
        with self.stage("dues"):
            dues = build_dues(
                rng=self.dues_rng, today=self.today, members=members, clerks=clerks, users=users
            )
        # Before the points too: the 兑现公开承诺 points are derived from the ledgers. Their
        # own random stream leaves the rest of the demo as it was.
        with self.stage("ledgers"):
            ledgers = build_ledgers(
                rng=random.Random(f"ledgers-{self.seed}"),
                today=self.today,
                users=users,
            )
        # Its own random stream too; stations earn no points.
        with self.stage("stations"):
            stations = build_stations(
                rng=random.Random(f"stations-{self.seed}"),
                today=self.today,
                clerks=clerks,
                users=users,
            )
        # The groups' reports, the branches' summaries and the townships' 经验交流会, with
        # their own random stream too.
        with self.stage("grouprep"):
            grouprep = build_grouprep(
                rng=random.Random(f"grouprep-{self.seed}"), today=self.today, users=users
            )
        # 党员学习 before the points too: 学习达标 is derived from the sessions.
        with self.stage("study"):
            study = build_study(
                rng=random.Random(f"study-{self.seed}"), today=self.today, users=users
            )
        with self.stage("points"):
            scored = build_points(
                rng=self.rng, today=self.today, county=county, members=members, users=users
            )
        with self.stage("transfers"):
            transfers = build_transfers(
                rng=self.rng,
                today=self.today,
                townships=townships,
                users=users,
                person=self._arrival,
            )
        with self.stage("inflows"):
            inflows = build_inflows(
                rng=self.rng,
                today=self.today,
                townships=townships,
                names=lambda: self._person_name(self.rng.choice((Sex.MALE, Sex.FEMALE))),
            )
        with self.stage("leadership"):
            leadership = build_leadership(
                rng=random.Random(f"leadership-{self.seed}"),
                today=self.today,
                users=users,
                names=lambda: self._person_name(self.rng.choice((Sex.MALE, Sex.FEMALE))),
            )
        # Last: the 谈心谈话 of each branch's cycle as the roster and committees stand after
        # the year's transfers and elections, between the 组织生活会 already logged.
        with self.stage("talks"):
            talks = build_talks(
                rng=random.Random(f"talks-{self.seed}"),
                today=self.today,
                users=users,
                clerks=clerks,
            )
        # The ledgers above are written in bulk, past their services: their kept tallies
        # are counted once, from every row, at the end (the showcase's service calls
        # kept theirs as they went; the rebuild leaves those as they are).
        with self.stage("tallies"):
            ledger_tally_rebuild()
        return {
            **history,
            **dues,
            **leadership,
            **ledgers,
            **talks,
            **stations,
            **grouprep,
            **study,
            **scored,
            **development.counts,
            "transfers": transfers,
            "inflows": inflows,
            "spells": spells,
            "townships": len(townships),
            "work_committees": len(committees),
            "branches": len(branches),
            "groups": sum(len(g) for g in groups_by_branch.values()),
            "members": len(members),
        }

    # -- tree ---------------------------------------------------------------
    def county(self) -> Organization:
        county = self._org(None, 1, OrgKind.COUNTY, f"{COUNTY_NAME}委", COUNTY_NAME, "", "C001")
        return Organization.objects.bulk_create([county], audit=False)[0]

    def _org(self, parent, index, kind, name, short_name, category, code) -> Organization:
        path = (parent.path if parent else "") + path_segment(index)
        return Organization(
            kind=kind,
            name=name,
            short_name=short_name,
            category=category,
            code=code,
            parent=parent,
            path=path,
            depth=len(path) // PATH_STEP,
            founded_on=self._founded(parent.founded_on if parent else FOUNDED_FIRST, kind),
            sort_order=index,
        )

    def _founded(self, after: datetime.date, kind: str) -> datetime.date:
        """The first of a month from *after* (the parent's founding) to the kind's latest."""
        latest = max(FOUNDED_BY_KIND[kind], after)
        months = (latest.year - after.year) * 12 + latest.month - after.month
        month = after.year * 12 + after.month - 1 + self.rng.randint(0, months)
        return datetime.date(month // 12, month % 12 + 1, 1)

    def _townships(self, county: Organization) -> list[Organization]:
        names = township_names(self.rng, self.scale.townships)
        rows = [
            self._org(county, i, OrgKind.TOWNSHIP, f"{n}党委", n, "", f"{county.code}{i:03d}")
            for i, n in enumerate(names, 1)
        ]
        return Organization.objects.bulk_create(rows, audit=False)

    def _committees(self, county, townships):
        """The 工委 under the county, the 党总支 and 党委 under them and under the first
        township (saved), and the branches under those (not yet saved)."""
        first = len(townships) + 1
        organs, non_public, *systems = Organization.objects.bulk_create(
            [
                self._org(county, first, OrgKind.WORK_COMMITTEE, ORGANS_COMMITTEE, "", "", "W01"),
                self._org(
                    county, first + 1, OrgKind.WORK_COMMITTEE, NON_PUBLIC_COMMITTEE, "", "", "W02"
                ),
                *(
                    self._org(
                        county,
                        first + 2 + i,
                        OrgKind.PRIMARY_COMMITTEE,
                        name,
                        "",
                        category,
                        f"P{i + 1:02d}",
                    )
                    for i, (name, _station, category) in enumerate(SYSTEM_COMMITTEES)
                ),
            ],
            audit=False,
        )
        general_name, general_branches = ORGANS_GENERAL_BRANCH
        village = self._village_names(1)[0]
        general, village_committee = Organization.objects.bulk_create(
            [
                self._org(
                    organs,
                    1,
                    OrgKind.GENERAL_BRANCH,
                    general_name,
                    "",
                    BranchCategory.ORGAN,
                    f"{organs.code}001",
                ),
                self._org(
                    townships[0],
                    VILLAGE_COMMITTEE_INDEX,
                    OrgKind.PRIMARY_COMMITTEE,
                    f"{village}村党委",
                    "",
                    BranchCategory.VILLAGE,
                    f"{townships[0].code}{VILLAGE_COMMITTEE_INDEX:03d}",
                ),
            ],
            audit=False,
        )
        specs = [(general, i, n, BranchCategory.ORGAN) for i, n in enumerate(general_branches, 1)]
        specs += [(organs, i, n, BranchCategory.ORGAN) for i, n in enumerate(ORGANS_BRANCHES, 2)]
        specs += [
            (non_public, i, n, BranchCategory.PRIVATE_ENTERPRISE)
            for i, n in enumerate(NON_PUBLIC_BRANCHES, 1)
        ]
        specs += [
            (
                village_committee,
                i,
                f"{village}村第{GROUP_ORDINALS[i - 1]}党支部",
                BranchCategory.VILLAGE,
            )
            for i in range(1, VILLAGE_COMMITTEE_BRANCHES + 1)
        ]
        specs += [
            (system, i, f"{township.name.removesuffix('党委')}{station}", category)
            for system, (_name, station, category) in zip(systems, SYSTEM_COMMITTEES, strict=True)
            for i, township in enumerate(townships[:SYSTEM_STATIONS], 1)
        ]
        branches = [self._branch(parent, i, name, category) for parent, i, name, category in specs]
        return [organs, non_public, *systems], branches

    def _branches_and_groups(self, townships, committee_branches):
        branches: list[Organization] = []
        for township in townships:
            villages = self.rng.randint(*self.scale.villages_per_township)
            organs = self.rng.randint(*self.scale.organs_per_township)
            names = self._village_names(villages)
            specs = [
                (f"{n}{'社区' if k % 9 == 8 else '村'}党支部", k % 9 == 8)
                for k, n in enumerate(names)
            ]
            index = 0
            for name, is_community in specs:
                index += 1
                category = BranchCategory.COMMUNITY if is_community else BranchCategory.VILLAGE
                branches.append(self._branch(township, index, name, category))
            for unit, category in ORGAN_UNITS[:organs]:
                index += 1
                name = f"{township.short_name}{unit}"
                branches.append(self._branch(township, index, name, category))
        branches += committee_branches
        branches = Organization.objects.bulk_create(branches, batch_size=2000, audit=False)
        groups: list[Organization] = []
        for branch in branches:
            if branch.category not in (BranchCategory.VILLAGE, BranchCategory.COMMUNITY):
                continue
            for g in range(1, self.rng.randint(*self.scale.groups_per_village) + 1):
                groups.append(
                    self._org(
                        branch,
                        g,
                        OrgKind.GROUP,
                        f"第{GROUP_ORDINALS[g - 1]}党小组",
                        "",
                        "",
                        f"{branch.code}-{g:02d}",
                    )
                )
        groups = Organization.objects.bulk_create(groups, batch_size=2000, audit=False)
        by_branch: dict[int, list[Organization]] = {b.pk: [] for b in branches}
        for group in groups:
            by_branch[group.parent_id].append(group)
        return branches, by_branch

    def _branch(self, township, index, name, category) -> Organization:
        code = f"{township.code}{index:03d}"
        return self._org(township, index, OrgKind.BRANCH, name, "", category, code)

    def _village_names(self, count: int) -> list[str]:
        names: list[str] = []
        seen: set[str] = set()
        while len(names) < count:
            name = self.rng.choice(VILLAGE_FIRST) + self.rng.choice(VILLAGE_SECOND)
            if name not in seen:
                seen.add(name)
                names.append(name)
        return names

    # -- members ------------------------------------------------------------
    def _members(self, branches, groups_by_branch) -> list[Member]:
        members: list[Member] = []
        # Townships differ too: how many village women are members is local history.
        village_women = {b.parent_id: self.rng.uniform(0.06, 0.13) for b in branches}
        for branch in branches:
            groups = groups_by_branch[branch.pk]
            rural = bool(groups)
            if branch.category == BranchCategory.VILLAGE:
                women = village_women[branch.parent_id] + self.rng.uniform(-0.03, 0.03)
            else:
                women = WOMEN_SHARE[branch.category] + self.rng.uniform(-0.05, 0.05)
            size = self.rng.randint(*self.scale.members_per_branch)
            # A township's organs and schools are small branches beside its villages.
            size = size if rural else max(3, size * 3 // 5)
            for k in range(size):
                group = groups[k % len(groups)] if groups else None
                members.append(self._member(branch, group, rural, women))
        members = Member.objects.bulk_create(members, batch_size=2000, audit=False)
        Membership.objects.bulk_create(
            [
                Membership(
                    member=m,
                    branch_id=m.branch_id,
                    group_id=m.group_id,
                    started_on=m.joined_on,
                    start_reason=MembershipReason.JOINED,
                )
                for m in members
            ],
            batch_size=2000,
            audit=False,
        )
        return members

    def _member(self, branch, group, rural: bool, women: float) -> Member:
        rng = self.rng
        sex = Sex.FEMALE if rng.random() < women else Sex.MALE
        birth = datetime.date(rng.randint(1938, 2003), rng.randint(1, 12), rng.randint(1, 28))
        id_number = self._id_number(birth, sex)
        earliest_join = birth.replace(year=birth.year + 18)
        latest = TODAY - datetime.timedelta(days=30)
        probationary = rng.random() < 0.03 and latest - earliest_join > datetime.timedelta(400)
        if probationary:
            joined = latest - datetime.timedelta(days=rng.randint(0, 330))
        else:
            span = max((latest - earliest_join).days - 400, 1)
            joined = earliest_join + datetime.timedelta(days=rng.randint(0, span))
        age = TODAY.year - birth.year
        is_mobile = rural and age < 55 and rng.random() < 0.12
        # Probationary members joined within the year: none has been lost for long.
        lost = rng.random() < 0.004 and not probationary
        member = Member(
            name=self._person_name(sex),
            branch=branch,
            group=group,
            id_number=id_number,
            sex=sex,
            ethnicity=rng.choice(MINORITIES) if rng.random() < 0.04 else "汉族",
            birth_date=birth,
            education=self._education(age, rural),
            category=MemberCategory.PROBATIONARY if probationary else MemberCategory.FULL,
            joined_on=joined,
            full_member_on=None if probationary else joined + datetime.timedelta(days=365),
            occupation=self._occupation(age, rural),
            mobile_phone=self._phone(),
            address=f"{branch.parent.short_name}{branch.name.removesuffix('党支部')}"
            if rural
            else "",
            lost_contact=lost,
            lost_contact_on=TODAY - datetime.timedelta(days=rng.randint(100, 900))
            if lost
            else None,
            is_mobile=is_mobile,
            mobile_destination=rng.choice(DESTINATIONS) if is_mobile else "",
        )
        if lost and (TODAY - member.lost_contact_on).days > 183:
            # Out of contact for more than six months: the branch suspends the
            # membership (停止党籍), as the rules for lost members have it.
            member.party_status = PartyStatus.SUSPENDED
        return member

    def _id_number(self, birth: datetime.date, sex: str) -> str:
        while True:
            # The sequence's parity carries the sex: odd for men, even for women.
            sequence = self.rng.randrange(0, 499) * 2 + (1 if sex == Sex.MALE else 0)
            number = make_id_number(self.rng.choice(AREA_CODES), birth, sequence)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _arrival(self) -> tuple[str, str, datetime.date]:
        """A member arriving from outside the county: a name, a new ID number, a birth date."""
        sex = self.rng.choice((Sex.MALE, Sex.FEMALE))
        birth = datetime.date(
            self.rng.randint(1965, 1998), self.rng.randint(1, 12), self.rng.randint(1, 28)
        )
        return self._person_name(sex), self._id_number(birth, sex), birth

    def _person_name(self, sex: str) -> str:
        chars = FEMALE_CHARS if sex == Sex.FEMALE else MALE_CHARS
        given = "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2, 2))))
        return self.rng.choice(SURNAMES) + given

    def _education(self, age: int, rural: bool) -> str:
        r = self.rng.random()
        if not rural:
            return (
                Education.MASTER
                if r < 0.1
                else Education.BACHELOR
                if r < 0.7
                else (Education.JUNIOR_COLLEGE)
            )
        if age > 60:
            return Education.PRIMARY if r < 0.4 else Education.JUNIOR_HIGH
        return (
            Education.BACHELOR
            if r < 0.1
            else Education.JUNIOR_COLLEGE
            if r < 0.25
            else Education.HIGH_SCHOOL
            if r < 0.5
            else Education.JUNIOR_HIGH
        )

    def _occupation(self, age: int, rural: bool) -> str:
        if age >= 62:
            return Occupation.RETIRED if not rural or self.rng.random() < 0.3 else Occupation.FARMER
        if not rural:
            return Occupation.OFFICIAL if self.rng.random() < 0.7 else Occupation.PROFESSIONAL
        r = self.rng.random()
        return (
            Occupation.FARMER if r < 0.7 else Occupation.WORKER if r < 0.85 else (Occupation.OTHER)
        )

    def _phone(self) -> str:
        while True:
            phone = f"1{self.rng.choice('3578')}{self.rng.randint(0, 999999999):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    # -- posts and accounts -------------------------------------------------
    def _posts(self, branches, groups_by_branch, members) -> list[Post]:
        by_branch: dict[int, list[Member]] = {}
        by_group: dict[int, list[Member]] = {}
        for m in members:
            if m.category == MemberCategory.FULL:
                by_branch.setdefault(m.branch_id, []).append(m)
                if m.group_id:
                    by_group.setdefault(m.group_id, []).append(m)
        posts: list[Post] = []
        committee = (PostTitle.SECRETARY, PostTitle.ORGANIZATION, PostTitle.PUBLICITY)
        for branch in branches:
            full = by_branch.get(branch.pk, [])
            # 7+ full members: a committee of three; fewer: a secretary only.
            titles = committee if len(full) >= 7 else committee[:1]
            for title, member in zip(titles, full, strict=False):
                posts.append(self._post(branch, member, title))
            for group in groups_by_branch[branch.pk]:
                candidates = by_group.get(group.pk, [])
                if candidates:
                    leader = candidates[-1]
                    posts.append(self._post(group, leader, PostTitle.GROUP_LEADER))
        return Post.objects.bulk_create(posts, batch_size=2000, audit=False)

    def _post(self, org, member, title) -> Post:
        start = datetime.date(self.rng.choice((2021, 2024)), self.rng.randint(1, 12), 1)
        return Post(org=org, member=member, title=title, started_on=max(start, member.joined_on))

    def _accounts(self, county, townships, branches) -> dict[str, User]:
        admin = User(username="admin", first_name="系统管理员", org=county)
        admin.is_staff = admin.is_superuser = True
        first_branch = next(b for b in branches if b.parent_id == townships[0].pk)
        places = {
            "county": county,
            "clerk_a": townships[0],
            "clerk_b": townships[1],
            "secretary_a": first_branch,
        }
        roles = {
            "county": Role.COUNTY,
            "clerk_a": Role.CLERK,
            "clerk_b": Role.CLERK,
            "secretary_a": Role.SECRETARY,
        }
        users = [admin]
        for username, org in places.items():
            users.append(
                User(
                    username=username,
                    first_name=f"演示{roles[username].label}",
                    org=org,
                    is_staff=True,
                )
            )
        for user in users:
            user.set_password(DEMO_PASSWORD)
        User.objects.bulk_create(users)
        groups = {g.name: g for g in Group.objects.filter(name__in=[r.label for r in Role])}
        for user in users[1:]:
            user.groups.add(groups[roles[user.username].label])
        return {user.username: user for user in users}


DEMO_LOGINS = [
    ("admin", "系统管理员（超级用户，全县）"),
    ("county", "县委组织部（全县）"),
    ("clerk_a", "乡镇专干（第一个乡镇）"),
    ("clerk_b", "乡镇专干（第二个乡镇）"),
    ("secretary_a", "支部书记（第一个乡镇的第一个党支部）"),
]


def demo_logins_text() -> str:
    lines = [f"  {username:<12} {role}" for username, role in DEMO_LOGINS]
    return "演示账号（密码均为 {}）：\n{}".format(DEMO_PASSWORD, "\n".join(lines))
