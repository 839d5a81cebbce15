"""Demo 发展党员: in each county unit the people a clerk follows through the procedure,
dated back from the build's day, with the year's plan and the holiday calendar.

Per township: 入党申请人 (most talked to, one or two waiting – one past the month),
入党积极分子 with their half-yearly assessments (in some townships one overdue),
two to four 发展对象 (one or two in a 公示 ending this week, one trained), 预备党员
admitted 8–14 months ago (probations ending within 30 days; in some townships one
ended with no decision) and a few admitted this year, some who became full members
this year, and one or two who withdrew. The first township (clerk_a's) always has
each overdue case. The county's 工委 and 党委 get a smaller share.

The records up to the 支部大会 are written in bulk, their dates checked with the
rules the services apply (``members.development.rules``) and the contacts and
introducers with ``full_member_check``: walking some 500 people at city scale through
every step would cost tens of seconds of single-row writes. From the 支部大会 on,
each step goes through the services, so every admission is approved by
``recruit_approve_admission`` and puts the person on the roster as a clerk's would.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from branches.audit import acting_as
from branches.models import BranchCategory, Organization, OrgKind
from members.choices import (
    HAN,
    Education,
    MemberCategory,
    Occupation,
    PartyStatus,
    RosterStatus,
    Sex,
)
from members.dates import months_later
from members.development import rules, services
from members.models import Assessment, CalendarDay, Member, Recruit, Stage, Vote

DAY = datetime.timedelta(days=1)
FIRST_YEAR_BORN = 1950  # contacts and introducers: members still active in the branch

# The State Council's holiday schedules (放假, then 调休上班 days). The current year's go
# into the county's calendar; the notices before a vote are dated by all of them.
HOLIDAYS = {
    2025: (
        [("2025-01-01", "2025-01-01", "元旦")]
        + [("2025-01-28", "2025-02-04", "春节"), ("2025-04-04", "2025-04-06", "清明节")]
        + [("2025-05-01", "2025-05-05", "劳动节"), ("2025-05-31", "2025-06-02", "端午节")]
        + [("2025-10-01", "2025-10-08", "国庆节、中秋节")],
        ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    ),
    2026: (
        [("2026-01-01", "2026-01-03", "元旦"), ("2026-02-15", "2026-02-23", "春节")]
        + [("2026-04-04", "2026-04-06", "清明节"), ("2026-05-01", "2026-05-05", "劳动节")]
        + [("2026-06-19", "2026-06-21", "端午节"), ("2026-09-25", "2026-09-27", "中秋节")]
        + [("2026-10-01", "2026-10-07", "国庆节")],
        ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    ),
}
# Any other year: the holidays on fixed dates only (the lunar ones move).
FIXED_HOLIDAYS = [
    ("01-01", "01-01", "元旦"),
    ("05-01", "05-05", "劳动节"),
    ("10-01", "10-07", "国庆节"),
]

ASSESSMENT_NOTES = {
    "good": "理想信念坚定，能按时参加党组织活动，积极完成培养联系人交办的任务",
    "fair": "学习态度端正，工作积极，联系群众方面还需加强",
    "average": "能参加组织活动，理论学习有待加强",
}
WITHDRAWN_REASONS = (
    "本人外出务工，书面提出撤回入党申请",
    "本人书面申请撤回入党申请",
    "因升学离开本地，本人申请撤回入党申请",
)
MINORITIES = ("回族", "满族", "蒙古族")
# Age on the day of the application: mostly young, few past 45.
AGE_BANDS = ((18, 24), (25, 30), (31, 35), (36, 40), (41, 45), (46, 52))
AGE_WEIGHTS = (30, 30, 18, 10, 8, 4)
WOMEN = {BranchCategory.VILLAGE: 0.33}  # the other kinds of branch: half
OCCUPATIONS = {
    BranchCategory.VILLAGE: (
        (Occupation.FARMER, 45),
        (Occupation.WORKER, 20),
        (Occupation.OTHER, 22),
        (Occupation.PROFESSIONAL, 8),
        (Occupation.MANAGER, 5),
    ),
    BranchCategory.COMMUNITY: (
        (Occupation.OTHER, 40),
        (Occupation.WORKER, 25),
        (Occupation.PROFESSIONAL, 20),
        (Occupation.MANAGER, 15),
    ),
    BranchCategory.ORGAN: ((Occupation.OFFICIAL, 75), (Occupation.PROFESSIONAL, 25)),
    BranchCategory.INSTITUTION: ((Occupation.PROFESSIONAL, 85), (Occupation.MANAGER, 15)),
}
OTHER_OCCUPATIONS = (
    (Occupation.WORKER, 45),
    (Occupation.PROFESSIONAL, 30),
    (Occupation.MANAGER, 25),
)
RURAL_EDUCATION = (
    (Education.BACHELOR, 18),
    (Education.JUNIOR_COLLEGE, 25),
    (Education.SECONDARY_VOCATIONAL, 12),
    (Education.HIGH_SCHOOL, 25),
    (Education.JUNIOR_HIGH, 20),
)
UNIT_EDUCATION = ((Education.MASTER, 12), (Education.BACHELOR, 63), (Education.JUNIOR_COLLEGE, 25))


@dataclass
class Development:
    """What ``build_development`` made: its counts, and the roster members its admissions
    created, as they stand at the end (for the meeting history built after)."""

    counts: dict[str, int]
    members: list[Member]


@dataclass
class Person:
    """One person of the demo before they are written: the record, its assessments, and
    what the services are still to record (a vote date and its follow-up)."""

    recruit: Recruit
    assessed: list[datetime.date] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)  # of the assessments
    voted_on: datetime.date | None = None
    approved_on: datetime.date | None = None
    oath_on: datetime.date | None = None
    confirm_applied_on: datetime.date | None = None
    confirmed: tuple[datetime.date, datetime.date] | None = None  # vote, its approval
    admit_counts: dict[str, int] = field(default_factory=dict)
    confirm_counts: dict[str, int] = field(default_factory=dict)


def build_development(
    *,
    rng: random.Random,
    today: datetime.date,
    units: list[Organization],
    members: list[Member],
    users: dict,
    names: Callable[[str], str],
    id_numbers: Callable[[datetime.date, str], str],
    phones: Callable[[], str],
) -> Development:
    """The people in the procedure in each of the county's *units*, its plans and calendar.

    *members* are the roster the builder wrote (their branch and group loaded);
    *names*, *id_numbers* and *phones* are the builder's, so a new person never
    shares an ID number or phone with a member.
    """
    holidays = _calendar(today)
    maker = _Maker(rng, today, holidays, names, id_numbers, phones, members)
    people: list[Person] = []
    for index, unit in enumerate(units):
        people += maker.unit(unit, first=index == 0)
    with acting_as(users["admin"], "演示数据"):
        admitted = _write(people)
        services.plans_save(year=today.year, rows=_plans(rng, units, members), existing={})
    stages = [p.recruit.stage for p in people]
    counts = {stage: stages.count(stage) for stage in Stage.values}
    return Development(
        counts={
            "recruits": len(people),
            **{f"recruits_{stage}": n for stage, n in counts.items()},
            "plans": len(units),
        },
        members=list(Member.objects.filter(pk__in=admitted).order_by("pk")),
    )


def _calendar(today: datetime.date) -> set[datetime.date]:
    """The current year's holidays and 调休 workdays into the county's calendar; every
    holiday the generator knows, to date the notices by."""
    rows: list[CalendarDay] = []
    known: set[datetime.date] = set()
    for year in sorted({*HOLIDAYS, today.year}):
        spans, workdays = HOLIDAYS.get(
            year,
            ([(f"{year}-{a}", f"{year}-{b}", note) for a, b, note in FIXED_HOLIDAYS], []),
        )
        for start, end, note in spans:
            day, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
            while day <= last:
                known.add(day)
                if year == today.year:
                    rows.append(CalendarDay(day=day, workday=False, note=note))
                day += DAY
        if year == today.year:
            rows += [
                CalendarDay(day=datetime.date.fromisoformat(d), workday=True, note="调休上班")
                for d in workdays
            ]
    CalendarDay.objects.bulk_create(rows)
    return known


class _Maker:
    """Dates, people and their branches, drawn from one generator in a fixed order."""

    def __init__(self, rng, today, holidays, names, id_numbers, phones, members) -> None:
        self.rng, self.today, self.holidays = rng, today, holidays
        self.names, self.id_numbers, self.phones = names, id_numbers, phones
        # Contacts and introducers: full members in good standing, at home, of working age.
        self.full: dict[int, list[Member]] = {}
        self.branches: dict[int, Organization] = {}
        for m in members:
            if (
                m.category == MemberCategory.FULL
                and m.party_status == PartyStatus.NORMAL
                and m.roster_status == RosterStatus.ACTIVE
                and not (m.lost_contact or m.is_mobile)
                and m.birth_date.year >= FIRST_YEAR_BORN
            ):
                self.full.setdefault(m.branch_id, []).append(m)
                self.branches[m.branch_id] = m.branch
        # Who has a vote at a 支部大会: every full member in good standing. The builder
        # makes a branch's first full member its 书记, who talks to the applicants.
        self.voters: dict[int, list[datetime.date]] = {}
        self.secretaries: dict[int, str] = {}
        for m in members:
            if m.category == MemberCategory.FULL:
                self.secretaries.setdefault(m.branch_id, m.name)
                if m.party_status == PartyStatus.NORMAL:
                    self.voters.setdefault(m.branch_id, []).append(m.full_member_on or m.joined_on)

    def days(self, low: int, high: int) -> datetime.timedelta:
        return self.rng.randint(low, high) * DAY

    # -- who, per unit --------------------------------------------------------------------
    def unit(self, unit: Organization, *, first: bool) -> list[Person]:
        branches = [
            b
            for pk, b in self.branches.items()
            if b.path.startswith(unit.path) and len(self.full[pk]) >= 3
        ]
        if not branches:
            return []
        rng = self.rng
        if unit.kind == OrgKind.TOWNSHIP:
            kinds = (
                ["talked"] * rng.randint(2, 3) + ["waiting_late"] + ["waiting"] * rng.randint(0, 1)
            )
            kinds += ["activist"] * rng.randint(4, 6)
            kinds += ["activist_late"] * (first or rng.random() < 0.3)
            kinds += ["notice", "trained"] + rng.choices(("notice", "new"), k=rng.randint(0, 2))
            kinds += ["probation_soon"] * rng.randint(1, 2) + ["probation"] * rng.randint(0, 1)
            kinds += ["probation_late"] * (first or rng.random() < 0.4)
            kinds += ["recent"] * rng.randint(1, 3) + ["confirmed"] * rng.randint(1, 2)
            kinds += ["withdrawn"] * rng.randint(1, 2)
        else:
            kinds = ["talked", "activist", "activist", "new", "probation"]
            kinds += ["confirmed"] * rng.randint(0, 1)
        weights = [
            4 if b.category in (BranchCategory.VILLAGE, BranchCategory.COMMUNITY) else 1
            for b in branches
        ]
        people = []
        for kind in kinds:
            person = getattr(self, f"_{kind}")(rng.choices(branches, weights)[0])
            if person is not None:
                _check(person)
                people.append(person)
        return people

    # -- 入党申请人 -----------------------------------------------------------------------
    def _applicant(self, branch: Organization, applied_on: datetime.date, talked: bool) -> Person:
        rng = self.rng
        low, high = rng.choices(AGE_BANDS, AGE_WEIGHTS)[0]
        age = rng.randint(low, high)
        birth = datetime.date(applied_on.year - age, applied_on.month, min(applied_on.day, 28))
        birth -= self.days(0, 360)
        women = WOMEN.get(branch.category, 0.5)
        sex = Sex.FEMALE if rng.random() < women else Sex.MALE
        occupations = OCCUPATIONS.get(branch.category, OTHER_OCCUPATIONS)
        occupation = rng.choices([o for o, _ in occupations], [w for _, w in occupations])[0]
        rural = branch.category in (BranchCategory.VILLAGE, BranchCategory.COMMUNITY)
        schooling = RURAL_EDUCATION if rural else UNIT_EDUCATION
        recruit = Recruit(
            name=self.names(sex),
            id_number=self.id_numbers(birth, sex),
            sex=sex,
            birth_date=birth,
            ethnicity=rng.choice(MINORITIES) if rng.random() < 0.04 else HAN,
            education=rng.choices([e for e, _ in schooling], [w for _, w in schooling])[0],
            occupation=occupation,
            mobile_phone=self.phones(),
            branch=branch,
            stage=Stage.APPLICANT,
            applied_on=applied_on,
        )
        if talked:
            recruit.talk_on = min(applied_on + self.days(3, 25), self.today)
            recruit.talk_by = self.secretaries[branch.pk]
        return Person(recruit)

    def _talked(self, branch) -> Person:
        return self._applicant(branch, self.today - self.days(35, 300), talked=True)

    def _waiting(self, branch) -> Person:
        return self._applicant(branch, self.today - self.days(2, 20), talked=False)

    def _waiting_late(self, branch) -> Person:
        """Applied more than a month ago, no talk yet: overdue on the worklist."""
        applied = months_later(self.today, -1) - self.days(5, 30)
        return self._applicant(branch, applied, talked=False)

    def _withdrawn(self, branch) -> Person | None:
        if self.rng.random() < 0.5:
            person = self._talked(branch)
        else:
            person = self._activist(branch, limit=self.today - self.days(30, 90))
            if person is None:
                return None
        r = person.recruit
        latest = max(d for d in (r.talk_on, r.activist_on, *person.assessed) if d is not None)
        span = (self.today - latest).days
        r.left_on = latest + self.days(min(span, 20), min(span, 200))
        r.stage, r.left_kind = Stage.LEFT, "withdrawn"
        r.left_reason = self.rng.choice(WITHDRAWN_REASONS)
        return person

    # -- 入党积极分子 -----------------------------------------------------------------------
    def _activist(self, branch, *, activist_on=None, limit=None) -> Person | None:
        """Designated on *activist_on* (or some day in the last two years), assessed about
        every five months up to *limit* (yesterday): the next assessment is not yet due."""
        rng = self.rng
        limit = limit or self.today - DAY
        activist_on = activist_on or limit - self.days(20, 700)
        person = self._applicant(branch, activist_on - self.days(90, 400), talked=True)
        contacts = self._full_members(branch, activist_on, rng.choice((1, 2, 2)))
        if contacts is None:
            return None
        r = person.recruit
        r.stage, r.activist_on = Stage.ACTIVIST, activist_on
        r.activist_how = rng.choices(list(Recruit.ActivistHow), (75, 25))[0]
        r.activist_committee_on = activist_on - self.days(0, 6)
        filed = activist_on + self.days(3, 20)
        r.activist_filed_on = filed if filed <= self.today else None
        r.contact_1 = contacts[0]
        r.contact_2 = contacts[1] if len(contacts) > 1 else None
        r.group = contacts[0].group
        day = activist_on
        while True:
            day = months_later(day, rules.ASSESSMENT_MONTHS) - self.days(3, 25)
            if day > limit:
                break
            person.assessed.append(day)
        person.outcomes = rng.choices(
            ("good", "fair", "average"), (60, 35, 5), k=len(person.assessed)
        )
        return person

    def _activist_late(self, branch) -> Person | None:
        """Last assessed more than six months ago: overdue on the worklist."""
        limit = months_later(self.today, -rules.ASSESSMENT_MONTHS) - self.days(8, 40)
        return self._activist(branch, activist_on=limit - self.days(30, 400), limit=limit)

    def _full_members(self, branch, on: datetime.date, count: int) -> list[Member] | None:
        ready = [m for m in self.full[branch.pk] if (m.full_member_on or m.joined_on) <= on]
        if len(ready) < 2:
            return None
        return self.rng.sample(ready, min(count, len(ready)))

    # -- 发展对象 ---------------------------------------------------------------------------
    def _candidate(self, branch, candidate_on: datetime.date) -> Person | None:
        """An activist for a year or more, designated 发展对象 on *candidate_on*."""
        rng = self.rng
        activist_on = months_later(candidate_on, -12 * rules.ACTIVIST_YEARS) - self.days(0, 200)
        person = self._activist(branch, activist_on=activist_on, limit=candidate_on - DAY)
        if person is None:
            return None
        introducers = self._full_members(branch, candidate_on, 2)
        if introducers is None:
            return None
        r = person.recruit
        r.stage, r.candidate_on = Stage.CANDIDATE, candidate_on
        filed = candidate_on + self.days(2, 15)
        r.candidate_filed_on = filed if filed <= self.today else None
        # Often the contacts who followed the person introduce them.
        if r.contact_2 is not None and rng.random() < 0.6:
            introducers = [r.contact_1, r.contact_2]
        r.introducer_1, r.introducer_2 = introducers
        return person

    def _review(self, person: Person, review_on: datetime.date) -> None:
        person.recruit.review_on = review_on
        person.recruit.review_conclusion = self.rng.choice(
            ("政治审查合格", "经函调和谈话，政治审查合格")
        )

    def _train(self, person: Person, ends_on: datetime.date) -> None:
        r = person.recruit
        r.training_from, r.training_to = ends_on - 2 * DAY, ends_on
        r.training_hours, r.training_passed = 24, True

    def _new(self, branch) -> Person | None:
        person = self._candidate(branch, self.today - self.days(5, 60))
        if person is not None:
            reviewed = person.recruit.candidate_on + self.days(10, 30)
            if reviewed <= self.today:
                self._review(person, reviewed)
        return person

    def _trained(self, branch) -> Person | None:
        person = self._candidate(branch, self.today - self.days(45, 120))
        if person is not None:
            self._review(person, person.recruit.candidate_on + self.days(10, 30))
            self._train(person, self.today - self.days(8, 30))
        return person

    def _ready(self, branch, notice_to: datetime.date, notice_from: datetime.date) -> Person | None:
        """Reviewed, trained, examined by the 支委会 and the township, in a 公示 to *notice_to*."""
        prereview = notice_from - self.days(3, 12)
        committee = prereview - self.days(3, 12)
        trained = committee - self.days(3, 30)
        reviewed = trained - self.days(2, 20)
        person = self._candidate(branch, reviewed - self.days(10, 30))
        if person is None:
            return None
        self._review(person, reviewed)
        self._train(person, trained)
        r = person.recruit
        r.committee_review_on, r.prereview_on = committee, prereview
        r.notice_from, r.notice_to = notice_from, notice_to
        return person

    def _notice(self, branch) -> Person | None:
        """In a 公示 ending this week."""
        notice_to = self.today + self.days(0, 4)
        notice_from = min(self._workdays_back(notice_to), self.today - self.days(1, 2))
        return self._ready(branch, notice_to, notice_from)

    def _workdays_back(self, end: datetime.date) -> datetime.date:
        """The day a 公示 of the county's working days must start to end on *end*. Only
        weekdays that are not holidays count (no 调休 Saturday), so the county's calendar
        never finds fewer than the generator did."""
        needed, day = 5, end
        while True:
            needed -= day.weekday() < 5 and day not in self.holidays
            if needed == 0:
                return day
            day -= DAY

    # -- 预备党员 and 正式党员 -------------------------------------------------------------
    def _admitted(self, branch, voted_on: datetime.date) -> Person | None:
        """Admitted by the 支部大会 on *voted_on*, approved within the three months."""
        notice_to = voted_on - self.days(1, 10)
        person = self._ready(branch, notice_to, self._workdays_back(notice_to) - self.days(0, 2))
        if person is None:
            return None
        person.voted_on = voted_on
        person.admit_counts = self.vote_counts(branch.pk, voted_on)
        span = (min(months_later(voted_on, rules.APPROVAL_MONTHS), self.today) - voted_on).days
        person.approved_on = voted_on + self.days(min(10, span), min(60, span))
        oath = person.approved_on + self.days(1, 40)
        person.oath_on = oath if oath <= self.today else None
        return person

    def _probation_soon(self, branch) -> Person | None:
        """Probation ends within the next 30 days; most have asked for 转正 already."""
        person = self._admitted(branch, months_later(self.today, -12) + self.days(1, 29))
        if person is not None:
            applied = _probation_ends(person) - self.days(7, 30)
            person.confirm_applied_on = applied if applied <= self.today else None
        return person

    def _probation(self, branch) -> Person | None:
        return self._admitted(branch, months_later(self.today, -8) - self.days(0, 90))

    def _probation_late(self, branch) -> Person | None:
        """Probation ended weeks ago, asked for 转正, no 支部大会 yet: overdue."""
        person = self._admitted(branch, months_later(self.today, -12) - self.days(5, 50))
        if person is not None:
            person.confirm_applied_on = _probation_ends(person) - self.days(7, 25)
        return person

    def _recent(self, branch) -> Person | None:
        return self._admitted(branch, self.today - self.days(30, 210))

    def _confirmed(self, branch) -> Person | None:
        """A full member from a day of this year, 转正 voted and approved."""
        earliest = months_later(datetime.date(self.today.year, 1, 1), -12)
        latest = months_later(self.today - 50 * DAY, -12)
        if latest < earliest:
            return None  # early in the year: nobody's probation has ended yet
        person = self._admitted(branch, earliest + self.days(0, (latest - earliest).days))
        if person is not None:
            ends = _probation_ends(person)
            person.confirm_applied_on = ends - self.days(7, 30)
            voted = ends + self.days(0, 15)
            person.confirmed = (voted, voted + self.days(5, 30))
            person.confirm_counts = self.vote_counts(branch.pk, voted)
        return person

    def vote_counts(self, branch_id: int, on: datetime.date) -> dict[str, int]:
        """应到, 实到 and the ballots of a 支部大会 that carries: most of the branch present,
        nearly all in favour."""
        entitled = sum(day <= on for day in self.voters[branch_id])
        needed = entitled // 2 + 1
        present = max(needed, round(entitled * self.rng.uniform(0.75, 0.95)))
        abstained = 1 if present > needed and self.rng.random() < 0.2 else 0
        return {
            "entitled": entitled,
            "present": present,
            "in_favour": present - abstained,
            "against": 0,
            "abstained": abstained,
            "written_in_favour": 0,
            "written_against": 0,
            "written_abstained": 0,
        }


def _probation_ends(person: Person) -> datetime.date:
    # The record's own ``probation_ends_on`` once the service has dated the admission.
    return months_later(person.voted_on, rules.PROBATION_MONTHS)


def _check(person: Person) -> None:
    """The generator's dates against the rules the services apply before the vote."""
    r = person.recruit
    findings = rules.age(r.birth_date, r.applied_on)
    order = [r.applied_on, r.talk_on]
    if r.talk_on is not None:
        findings += rules.talk(r.applied_on, r.talk_on)
    if r.activist_on is not None:
        order += [r.activist_committee_on, r.activist_on]
        for contact in (r.contact_1, r.contact_2):
            if contact is not None:
                services.full_member_check(contact, r.activist_on, "培养联系人")
        # Up to the designation as 发展对象; for an activist, the gaps recorded so far.
        until = r.candidate_on or max(person.assessed, default=r.activist_on)
        findings += rules.assessment_gaps(r.activist_on, person.assessed, until)
    if r.candidate_on is not None:
        order += [r.candidate_on]
        findings += rules.activist_year(r.activist_on, r.candidate_on)
        for introducer in (r.introducer_1, r.introducer_2):
            services.full_member_check(introducer, r.candidate_on, "入党介绍人")
        if r.notice_from is not None:
            order += [r.review_on, r.training_to, r.committee_review_on, r.prereview_on]
            order += [r.notice_from, r.notice_to]
    if r.left_on is not None:
        order += [r.left_on]
    order = [d for d in order if d is not None]
    if (
        findings
        or order != sorted(order)
        or any(a > r.left_on for a in person.assessed if r.left_on)
    ):
        raise ValueError(f"demo 发展党员 {r.name}: {findings or order}")


def _write(people: list[Person]) -> list[int]:
    """The records and assessments in bulk; the votes and what follows through the
    services. The pks of the roster members the admissions created."""
    recruits = Recruit.objects.bulk_create(
        [p.recruit for p in people], batch_size=2000, audit=False
    )
    Assessment.objects.bulk_create(
        [
            Assessment(recruit=r, on=day, outcome=outcome, note=ASSESSMENT_NOTES[outcome])
            for p, r in zip(people, recruits, strict=True)
            for day, outcome in zip(p.assessed, p.outcomes, strict=True)
        ],
        batch_size=2000,
    )
    return [_admit(person) for person in people if person.voted_on is not None]


def _admit(person: Person) -> int:
    r = person.recruit
    vote = services.recruit_admission_vote(
        recruit=r, held_on=person.voted_on, **person.admit_counts
    )
    if vote.decision != Vote.Decision.ADMIT:
        raise ValueError(f"demo 发展党员 {r.name}: the 支部大会 did not carry")
    services.recruit_approve_admission(recruit=r, approved_on=person.approved_on)
    if person.oath_on is not None:
        services.recruit_oath(recruit=r, oath_on=person.oath_on)
    if person.confirm_applied_on is not None:
        services.recruit_confirm_apply(recruit=r, confirm_applied_on=person.confirm_applied_on)
    if person.confirmed is not None:
        voted, approved = person.confirmed
        services.recruit_confirmation_vote(
            recruit=r, held_on=voted, decision=Vote.Decision.CONFIRM, **person.confirm_counts
        )
        services.recruit_approve_confirmation(recruit=r, approved_on=approved)
    return r.member_id


def _plans(rng: random.Random, units: list[Organization], members: list[Member]):
    """Each unit's plan, by its size: 5 to 9 for the largest township, at least 3."""
    sizes = {unit.pk: 0 for unit in units}
    width = len(units[0].path)  # the county's children: one path length
    by_path = {unit.path: unit.pk for unit in units}
    for m in members:
        unit = by_path.get(m.branch.path[:width])
        if unit is not None:
            sizes[unit] += 1
    largest = max(sizes.values()) or 1
    rows = []
    for unit in units:
        planned = max(3, min(12, round(sizes[unit.pk] / largest * rng.uniform(5, 9))))
        rural = unit.kind == OrgKind.TOWNSHIP
        rows.append(
            (
                unit,
                {
                    "planned": planned,
                    "young": round(planned * rng.uniform(0.6, 0.8)),
                    "farmers": round(planned * rng.uniform(0.25, 0.4)) if rural else 0,
                    "women": round(planned * rng.uniform(0.3, 0.45)),
                },
            )
        )
    return rows
