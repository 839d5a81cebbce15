"""What the 发展党员 record prints and exports: the 纪实表's sections (shared by the
person's page and the printed sheet), the 积极分子花名册 and the plan as Excel."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from branches.spreadsheets.writing import table_xlsx
from members.development.selectors import Plan
from members.models import Recruit, Rule, Stage, Vote

STAGE_ORDER = [Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.PROBATIONARY, Stage.FULL]


def _d(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _m(member) -> str:
    return member.name if member else ""


@dataclass
class Section:
    """One stage of the 纪实表: its fields, and a table (assessments, votes) where it has one."""

    title: str
    reached: bool
    fields: list[tuple[str, str]]
    table_title: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    waived: list[str] = field(default_factory=list)


def _vote_rows(votes: list[Vote]) -> list[list[str]]:
    return [
        [
            _d(v.held_on),
            str(v.entitled),
            str(v.present),
            f"{v.in_favour}/{v.against}/{v.abstained}",
            f"{v.written_in_favour}/{v.written_against}/{v.written_abstained}",
            v.get_decision_display() + (f"{v.extension_months}个月" if v.extension_months else ""),
            _d(v.approved_on) or "待审批",
        ]
        for v in votes
    ]


VOTE_HEADERS = [
    "支部大会日期",
    "应到",
    "实到",
    "赞成/反对/弃权",
    "书面意见（赞成/反对/弃权）",
    "决议",
    "上级党委审批",
]


def record_sections(recruit: Recruit) -> list[Section]:
    """The 纪实表 of *recruit*, stage by stage in the usual order: three queries."""
    reached = STAGE_ORDER.index(recruit.stage) if recruit.stage in STAGE_ORDER else -1
    if recruit.stage == Stage.LEFT:
        # How far the person got: the last stage with a date.
        dates = [recruit.applied_on, recruit.activist_on, recruit.candidate_on, recruit.admitted_on]
        reached = max(i for i, d in enumerate(dates) if d is not None)
    votes = list(recruit.votes.all())
    waived = {w.rule: w for w in recruit.waivers.all()}

    def note(*rules: str) -> list[str]:
        return [
            f"{Rule(r).label}：例外，{waived[r].reason}（{waived[r].document_number}）"
            for r in rules
            if r in waived
        ]

    admit = [v for v in votes if v.purpose == Vote.Purpose.ADMIT]
    confirm = [v for v in votes if v.purpose == Vote.Purpose.CONFIRM]
    training = ""
    if recruit.training_from:
        training = (
            f"{_d(recruit.training_from)}至{_d(recruit.training_to)}，"
            f"{recruit.training_hours or 0}学时，{'已结业' if recruit.training_passed else '未结业'}"
        )
    notice = f"{_d(recruit.notice_from)}至{_d(recruit.notice_to)}" if recruit.notice_from else ""
    sections = [
        Section(
            "入党申请人",
            reached >= 0,
            [
                ("递交入党申请书日期", _d(recruit.applied_on)),
                ("谈话日期", _d(recruit.talk_on)),
                ("谈话人", recruit.talk_by),
            ],
            waived=note(Rule.TALK),
        ),
        Section(
            "入党积极分子",
            reached >= 1,
            [
                ("确定为入党积极分子日期", _d(recruit.activist_on)),
                ("推荐方式", recruit.get_activist_how_display()),
                ("支委会研究日期", _d(recruit.activist_committee_on)),
                ("报上级党委备案日期", _d(recruit.activist_filed_on)),
                (
                    "培养联系人",
                    "、".join(filter(None, [_m(recruit.contact_1), _m(recruit.contact_2)])),
                ),
            ],
            "培养考察",
            ["考察日期", "考察结果", "考察意见"],
            [[_d(a.on), a.get_outcome_display(), a.note] for a in recruit.assessments.all()],
            waived=note(Rule.ASSESSMENT_GAP),
        ),
        Section(
            "发展对象",
            reached >= 2,
            [
                ("确定为发展对象日期", _d(recruit.candidate_on)),
                ("报上级党委备案日期", _d(recruit.candidate_filed_on)),
                (
                    "入党介绍人",
                    "、".join(filter(None, [_m(recruit.introducer_1), _m(recruit.introducer_2)])),
                ),
                ("政治审查", f"{_d(recruit.review_on)} {recruit.review_conclusion}".strip()),
                ("集中培训", training),
                ("支委会审查日期", _d(recruit.committee_review_on)),
                ("上级党委预审日期", _d(recruit.prereview_on)),
                ("公示", notice),
            ],
            waived=note(Rule.ACTIVIST_YEAR, Rule.TRAINING, Rule.NOTICE),
        ),
        Section(
            "预备党员",
            reached >= 3 or bool(admit),
            [
                ("接收为预备党员日期（支部大会）", _d(recruit.admitted_on)),
                ("上级党委审批日期", _d(recruit.admission_approved_on)),
                ("入党宣誓日期", _d(recruit.oath_on)),
                ("预备期满日期", _d(recruit.probation_ends_on)),
            ],
            "支部大会讨论接收",
            VOTE_HEADERS,
            _vote_rows(admit),
            waived=note(Rule.APPROVAL),
        ),
        Section(
            "预备党员转正",
            reached >= 4 or bool(confirm) or bool(recruit.confirm_applied_on),
            [
                ("转正申请日期", _d(recruit.confirm_applied_on)),
                (
                    "延长预备期",
                    f"{recruit.extended_months}个月" if recruit.extended_months else "",
                ),
                ("转为正式党员日期", _d(recruit.full_on)),
            ],
            "支部大会讨论转正",
            VOTE_HEADERS,
            _vote_rows(confirm),
            waived=note(Rule.PROBATION),
        ),
    ]
    if recruit.stage == Stage.LEFT:
        sections.append(
            Section(
                "退出发展程序",
                True,
                [
                    ("退出日期", _d(recruit.left_on)),
                    ("情形", recruit.get_left_kind_display()),
                    ("原因", recruit.left_reason),
                ],
            )
        )
    return sections


# The 积极分子花名册's columns: the same headers the import reads (``imports``).
ROSTER_HEADERS = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份证号",
    "学历",
    "工作岗位",
    "所在党支部",
    "阶段",
    "递交入党申请书日期",
    "谈话日期",
    "确定为入党积极分子日期",
    "培养联系人",
    "确定为发展对象日期",
    "入党介绍人",
]


def activist_roster_xlsx(*, recruits, stage: str, mask: bool, branch_labels: dict[int, str]):
    """积极分子花名册 (or the list of another stage) of the user's part of the tree, in
    the columns the import reads (branches labelled 甲镇党委/甲村党支部, as the roster's
    export labels them); ID numbers whole only for those allowed to see them."""
    title = "入党积极分子花名册" if stage == Stage.ACTIVIST else f"{Stage(stage).label}名册"

    def row(r: Recruit) -> list:
        return [
            r.name,
            r.get_sex_display(),
            r.ethnicity,
            # The birth date is in the ID number: masked, only the month shows.
            f"{r.birth_date:%Y-%m}" if mask and r.birth_date else r.birth_date,
            r.id_number_masked if mask else r.id_number,
            r.get_education_display(),
            r.get_occupation_display(),
            branch_labels.get(r.branch_id, r.branch.name),
            r.get_stage_display(),
            r.applied_on,
            r.talk_on,
            r.activist_on,
            "、".join(filter(None, [_m(r.contact_1), _m(r.contact_2)])),
            r.candidate_on,
            "、".join(filter(None, [_m(r.introducer_1), _m(r.introducer_2)])),
        ]

    today = timezone.localdate()
    return table_xlsx(
        title=title,
        headers=ROSTER_HEADERS,
        rows=(row(r) for r in recruits.iterator(chunk_size=2000)),
        widths=[10, 6, 8, 12, 22, 12, 14, 24, 12, 14, 12, 14, 16, 14, 16],
        filename=f"{title}-{today:%Y%m%d}.xlsx",
        note=f"截至{_d(today)}",
    )


def plan_xlsx(plan: Plan):
    rows = []
    for r in [*plan.rows, plan.total]:
        rows.append(
            [
                r.unit.name if r.unit else "合计",
                r.planned,
                r.admitted,
                r.young,
                r.farmers,
                r.women,
                r.pipeline[Stage.APPLICANT],
                r.pipeline[Stage.ACTIVIST],
                r.pipeline[Stage.CANDIDATE],
                r.pipeline[Stage.PROBATIONARY],
                r.waivers,
                len(r.quiet_villages),
            ]
        )
    return table_xlsx(
        title=f"{plan.year}年发展党员计划执行情况",
        headers=[
            "单位",
            "计划发展",
            "已接收预备党员",
            "其中35岁及以下",
            "其中农牧渔民",
            "其中女性",
            "入党申请人",
            "入党积极分子",
            "发展对象",
            "预备党员",
            "时限例外",
            "两年未发展党员的村",
        ],
        rows=rows,
        widths=[24, 10, 14, 14, 12, 10, 12, 12, 10, 10, 10, 16],
        filename=f"发展党员计划-{plan.year}.xlsx",
    )
