"""A year of demo 三会一课 history: most organisations compliant, some gaps and late
records, realistic leave reasons, mobile members often on leave.

Written in bulk, township by township, so memory stays flat at city scale
(about 140,000 activities and two million attendance rows). The records are
demo seeding: not audited. Tallies are rebuilt at the end in one pass.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from activities.models import Activity, ActivityKind, Attendance, AttendanceStatus, Period
from activities.periods import period_bounds
from activities.services import tally_rebuild
from branches.models import BranchCategory, OrgKind, PostTitle
from members.choices import MemberCategory, PartyStatus
from reports.demo.bulk import insert_rows

# (kind, org kind, period) of the default cadence rules.
SCHEDULE = [
    (ActivityKind.GROUP_MEETING, OrgKind.GROUP, Period.MONTH),
    (ActivityKind.THEME_DAY, OrgKind.BRANCH, Period.MONTH),
    (ActivityKind.COMMITTEE, OrgKind.BRANCH, Period.MONTH),
    (ActivityKind.GENERAL_MEETING, OrgKind.BRANCH, Period.QUARTER),
    (ActivityKind.LESSON, OrgKind.BRANCH, Period.QUARTER),
    (ActivityKind.LIFE_MEETING, OrgKind.BRANCH, Period.YEAR),
    (ActivityKind.APPRAISAL, OrgKind.BRANCH, Period.YEAR),
]
TOPICS = {
    ActivityKind.GROUP_MEETING: [
        "学习党的创新理论",
        "讨论本组党员联系户情况",
        "安排秋收互助",
        "学习村规民约修订稿",
        "汇报本月党员志愿服务",
    ],
    ActivityKind.THEME_DAY: [
        "重温入党誓词",
        "环境整治志愿服务",
        "走访慰问困难党员",
        "参观党性教育基地",
        "集中学习党章",
    ],
    ActivityKind.COMMITTEE: [
        "研究本月党建工作安排",
        "讨论发展党员工作",
        "研究村级事务",
        "部署防汛工作",
    ],
    ActivityKind.GENERAL_MEETING: ["通报季度工作", "讨论接收预备党员", "审议村级重大事项"],
    ActivityKind.LESSON: ["学习贯彻党的二十大精神", "传承红色基因", "基层党组织建设专题党课"],
    ActivityKind.LIFE_MEETING: ["年度组织生活会"],
    ActivityKind.APPRAISAL: ["年度民主评议党员"],
}
# The columns of an attendance row as ``_attendance`` lists them (members, no guests).
ATTENDANCE_FIELDS = [
    "activity_id",
    "member_id",
    "status",
    "reason",
    "was_mobile",
    "was_full_member",
    "guest_name",
    "is_guest",
]
LEAVE_REASONS = ["外出务工", "身体不适", "家中有事", "在外地就医", "值班", "照顾老人"]
# Where a branch of each kind meets (its groups meet where their branch does,
# or at home in a village): an organ or a school has no 村党群服务中心.
PLACES = {
    BranchCategory.VILLAGE: ["村党群服务中心", "村委会会议室", "党员活动室", "新时代文明实践站"],
    BranchCategory.COMMUNITY: ["社区党群服务中心", "社区会议室", "新时代文明实践站"],
    BranchCategory.ORGAN: ["机关会议室", "党员活动室", "机关党建活动室"],
    BranchCategory.TOWNSHIP: ["机关会议室", "党员活动室"],
    BranchCategory.INSTITUTION: ["单位会议室", "党员活动室", "职工之家"],
    BranchCategory.PUBLIC_ENTERPRISE: ["企业会议室", "党员活动室"],
    BranchCategory.PRIVATE_ENTERPRISE: ["园区党群服务中心", "企业会议室"],
    BranchCategory.SOCIAL_ORG: ["单位会议室", "党员活动室"],
    BranchCategory.UNDECIDED: ["单位会议室", "党员活动室"],
}
GROUP_PLACES = {BranchCategory.VILLAGE: ["党小组长家中", "村民小组活动室"]}


class HistoryBuilder:
    def __init__(self, *, rng: random.Random, today: datetime.date, logged_by: dict) -> None:
        self.rng = rng
        self.today = today
        self.logged_by = logged_by  # township id -> user who logs its meetings
        self.activities = 0
        self.attendance = 0
        self.secretaries: dict[int, object] = {}  # branch id -> its 书记, who gives its lessons

    def build(self, *, townships, branches, groups_by_branch, members, posts) -> dict[str, int]:
        by_org: dict[int, list] = {}
        for m in members:
            by_org.setdefault(m.branch_id, []).append(m)
            if m.group_id:
                by_org.setdefault(m.group_id, []).append(m)
        committees: dict[int, list] = {}
        for post in posts:
            if post.title != PostTitle.GROUP_LEADER:
                committees.setdefault(post.org_id, []).append(post.member)
            if post.title == PostTitle.SECRETARY:
                self.secretaries[post.org_id] = post.member
        for township in townships:
            orgs = []
            # Every branch under the unit, directly or under its 党委 or 党总支.
            for branch in (b for b in branches if b.path.startswith(township.path)):
                orgs.append(branch)
                orgs.extend(groups_by_branch[branch.pk])
            self._township(orgs, by_org, committees, self.logged_by.get(township.pk))
        start = datetime.date(self.today.year, 1, 1)
        tally_rebuild(start=start, end=self.today)
        return {"activities": self.activities, "attendance": self.attendance}

    def _township(self, orgs, by_org, committees, user) -> None:
        activities, rows = [], []
        for org in orgs:
            for kind, org_kind, period in SCHEDULE:
                if org.kind != org_kind:
                    continue
                if kind == ActivityKind.COMMITTEE:
                    people = committees.get(org.pk, [])
                    if len(people) < 3:
                        continue
                else:
                    people = by_org.get(org.pk, [])
                for held_on, logged_at in self._occurrences(period):
                    activity = self._activity(org, kind, held_on, logged_at, user, people)
                    expected = [m for m in people if self._expected(m, held_on)]
                    rows.extend(self._attendance(activity, expected))
                    activities.append(activity)
        # Attendance rows hold the unsaved activities; Django fills in their
        # ids once the activities are created. Two million rows at city scale: written
        # through COPY (reports.demo.bulk), not as model instances.
        Activity.objects.bulk_create(activities, batch_size=2000, audit=False)
        insert_rows(
            Attendance,
            ATTENDANCE_FIELDS,
            [(activity.pk, *values) for activity, *values in rows],
        )
        self.activities += len(activities)
        self.attendance += len(rows)

    def _occurrences(self, period):
        """Meeting dates and logging times of one obligation over the year so far."""
        start = datetime.date(self.today.year, 1, 1)
        while start <= self.today:
            p_start, p_end = period_bounds(start, period)
            start = p_end + datetime.timedelta(days=1)
            r = self.rng.random()
            is_open = p_end >= self.today
            if r < 0.07 or (is_open and r < 0.55):
                continue  # a gap (or not yet held this period)
            last = min(p_end, self.today - datetime.timedelta(days=1))
            if last < p_start:
                continue
            held_on = p_start + datetime.timedelta(days=self.rng.randint(0, (last - p_start).days))
            delay = self.rng.randint(0, 6) if self.rng.random() > 0.06 else self.rng.randint(20, 45)
            logged_on = min(held_on + datetime.timedelta(days=delay), self.today)
            logged_at = timezone.make_aware(
                datetime.datetime.combine(logged_on, datetime.time(self.rng.randint(8, 21)))
            )
            yield held_on, logged_at

    @staticmethod
    def _expected(member, held_on: datetime.date) -> bool:
        """A member is expected once they joined, until the day contact was lost, and
        not while suspended (activities.selectors.expected_q, the site's own rule):
        a 失联 or 停止党籍 member is never present (nor absent) here."""
        lost = member.lost_contact and member.lost_contact_on <= held_on
        suspended = member.party_status == PartyStatus.SUSPENDED
        return member.joined_on <= held_on and not lost and not suspended

    def _place(self, org) -> str:
        category = org.parent.category if org.kind == OrgKind.GROUP else org.category
        places = PLACES[category]
        if org.kind == OrgKind.GROUP:
            places = places + GROUP_PLACES.get(category, [])
        return self.rng.choice(places)

    def _activity(self, org, kind, held_on, logged_at, user, people) -> Activity:
        host = people[0].name if people else ""
        # A branch's lessons are given by its secretary (支部书记讲党课), which
        # the yearly rule checks through the speaker's post.
        speaker = self.secretaries.get(org.pk) if kind == ActivityKind.LESSON else None
        return Activity(
            org=org,
            kind=kind,
            held_on=held_on,
            topic=self.rng.choice(TOPICS[kind]),
            host=host,
            speaker=speaker.name if speaker else host if kind == ActivityKind.LESSON else "",
            speaker_member=speaker,
            recorder=people[-1].name if people else "",
            place=self._place(org),
            minutes=f"{held_on:%Y年%m月%d日}，{org.name}召开{ActivityKind(kind).label}，"
            "传达学习上级精神，结合实际讨论落实措施。",
            logged_by=user,
            logged_at=logged_at,
        )

    def _attendance(self, activity: Activity, expected) -> list[tuple]:
        """The expected members' rows, in the order of ``ATTENDANCE_FIELDS`` with the
        activity itself first (its id is known once it is written)."""
        rows, counts = [], dict.fromkeys(AttendanceStatus.values, 0)
        full_present = full_total = 0
        for member in expected:
            r = self.rng.random()
            if member.is_mobile:
                status = AttendanceStatus.LEAVE if r < 0.6 else AttendanceStatus.PRESENT
            else:
                status = (
                    AttendanceStatus.PRESENT
                    if r < 0.88
                    else AttendanceStatus.LEAVE
                    if r < 0.96
                    else AttendanceStatus.ABSENT
                )
            reason = ""
            if status == AttendanceStatus.LEAVE:
                reason = "外出务工" if member.is_mobile else self.rng.choice(LEAVE_REASONS)
            is_full = member.category == MemberCategory.FULL
            full_total += is_full
            full_present += is_full and status == AttendanceStatus.PRESENT
            counts[status] += 1
            rows.append((activity, member.pk, status, reason, member.is_mobile, is_full, "", False))
        activity.expected_count = len(expected)
        activity.present_count = counts[AttendanceStatus.PRESENT]
        activity.leave_count = counts[AttendanceStatus.LEAVE]
        activity.absent_count = counts[AttendanceStatus.ABSENT]
        if activity.kind == ActivityKind.GENERAL_MEETING:
            activity.quorate = full_present * 2 > full_total
        return rows
