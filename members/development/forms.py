"""The clerk's forms for 发展党员: one per step, named as the step's service takes its data.

The forms check the input; the services check the rules.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone

from branches.models import Organization, OrgKind
from members.choices import ETHNICITY_CHOICES, HAN, Education, MemberCategory, Occupation
from members.development.services import LEAVE_KINDS, WAIVABLE
from members.forms import DATE
from members.models import Assessment, LeaveKind, Member, Recruit, Vote

BLANK = [("", "——")]


def _date(label: str, *, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, widget=DATE, required=required, help_text=help_text)


def _full_members(recruit: Recruit):
    """Full members of the person's branch in good standing: contacts and introducers."""
    return Member.objects.filter(
        branch_id=recruit.branch_id,
        roster_status="active",
        party_status="normal",
        category=MemberCategory.FULL,
    ).order_by("name", "pk")


class RecruitAddForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份证号", max_length=18)
    branch = forms.ModelChoiceField(label="所在党支部", queryset=Organization.objects.none())
    group = forms.ModelChoiceField(
        label="所在党小组", queryset=Organization.objects.none(), required=False
    )
    applied_on = _date("递交入党申请书日期")
    ethnicity = forms.ChoiceField(label="民族", choices=ETHNICITY_CHOICES, initial=HAN)
    education = forms.ChoiceField(label="学历", choices=BLANK + Education.choices, required=False)
    occupation = forms.ChoiceField(
        label="工作岗位", choices=BLANK + Occupation.choices, required=False
    )
    mobile_phone = forms.CharField(label="手机号", max_length=20, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = Organization.objects.visible_to(user).filter(dissolved_on__isnull=True)
        self.fields["branch"].queryset = visible.filter(kind=OrgKind.BRANCH).order_by("path")
        self.fields["group"].queryset = visible.filter(kind=OrgKind.GROUP).order_by("path")
        self.fields["applied_on"].initial = timezone.localdate()


class TalkForm(forms.Form):
    talk_on = _date("谈话日期")
    talk_by = forms.CharField(label="谈话人", max_length=50)


class ActivistForm(forms.Form):
    activist_committee_on = _date("支委会研究日期")
    activist_on = _date("确定为入党积极分子日期")
    activist_how = forms.ChoiceField(label="推荐方式", choices=Recruit.ActivistHow.choices)
    activist_filed_on = _date("报上级党委备案日期", required=False)
    contact_1 = forms.ModelChoiceField(label="培养联系人", queryset=Member.objects.none())
    contact_2 = forms.ModelChoiceField(
        label="培养联系人（二）", queryset=Member.objects.none(), required=False
    )

    def __init__(self, *args, recruit: Recruit, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("contact_1", "contact_2"):
            self.fields[name].queryset = _full_members(recruit)


class AssessForm(forms.Form):
    on = _date("考察日期")
    outcome = forms.ChoiceField(label="考察结果", choices=Assessment.Outcome.choices)
    note = forms.CharField(label="考察意见", max_length=300, required=False)


class CandidateForm(forms.Form):
    candidate_on = _date("确定为发展对象日期")
    candidate_filed_on = _date("报上级党委备案日期", required=False)
    introducer_1 = forms.ModelChoiceField(label="入党介绍人", queryset=Member.objects.none())
    introducer_2 = forms.ModelChoiceField(label="入党介绍人（二）", queryset=Member.objects.none())

    def __init__(self, *args, recruit: Recruit, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("introducer_1", "introducer_2"):
            self.fields[name].queryset = _full_members(recruit)


class ReviewForm(forms.Form):
    review_on = _date("政治审查日期")
    review_conclusion = forms.CharField(label="政治审查结论", max_length=200, initial="合格")


class TrainForm(forms.Form):
    training_from = _date("集中培训开始日期")
    training_to = _date("集中培训结束日期")
    training_hours = forms.IntegerField(label="培训学时", min_value=0, max_value=500)
    training_passed = forms.BooleanField(label="考试合格、结业", required=False, initial=True)


class PrepareForm(forms.Form):
    committee_review_on = _date("支委会审查日期")
    prereview_on = _date("上级党委预审日期", required=False)
    notice_from = _date("公示开始日期", required=False)
    notice_to = _date("公示结束日期", required=False)


VOTE_COUNTS = (
    "entitled",
    "present",
    "in_favour",
    "against",
    "abstained",
    "written_in_favour",
    "written_against",
    "written_abstained",
)


class VoteForm(forms.Form):
    held_on = _date("支部大会日期")
    entitled = forms.IntegerField(
        label="应到人数",
        min_value=1,
        max_value=5000,
        help_text="有表决权的正式党员；预备党员没有表决权，不计入。",
    )
    present = forms.IntegerField(label="实到人数", min_value=0, max_value=5000)
    in_favour = forms.IntegerField(label="赞成", min_value=0, max_value=5000)
    against = forms.IntegerField(label="反对", min_value=0, max_value=5000, initial=0)
    abstained = forms.IntegerField(label="弃权", min_value=0, max_value=5000, initial=0)
    written_in_favour = forms.IntegerField(
        label="书面意见赞成",
        min_value=0,
        max_value=5000,
        initial=0,
        help_text="未到会的有表决权党员会前正式提交的书面意见，计入票数。",
    )
    written_against = forms.IntegerField(
        label="书面意见反对", min_value=0, max_value=5000, initial=0
    )
    written_abstained = forms.IntegerField(
        label="书面意见弃权", min_value=0, max_value=5000, initial=0
    )


class ConfirmVoteForm(VoteForm):
    decision = forms.ChoiceField(
        label="决议",
        choices=[
            (Vote.Decision.CONFIRM, Vote.Decision.CONFIRM.label),
            (Vote.Decision.EXTEND, Vote.Decision.EXTEND.label),
            (Vote.Decision.CANCEL, Vote.Decision.CANCEL.label),
        ],
    )
    extension_months = forms.IntegerField(
        label="延长预备期（月）",
        min_value=1,
        max_value=24,
        required=False,
        help_text="只在延长预备期时填写，6至12个月。",
    )


class ApproveForm(forms.Form):
    approved_on = _date("上级党委审批日期")


class OathForm(forms.Form):
    oath_on = _date("入党宣誓日期")


class ConfirmApplyForm(forms.Form):
    confirm_applied_on = _date("转正申请日期")


class LeaveForm(forms.Form):
    left_on = _date("退出日期")
    left_kind = forms.ChoiceField(label="退出情形", choices=LeaveKind.choices)
    left_reason = forms.CharField(label="原因", max_length=200)

    def __init__(self, *args, recruit: Recruit, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = LEAVE_KINDS.get(recruit.stage, ())
        self.fields["left_kind"].choices = [(k.value, k.label) for k in kinds]


class WaiverForm(forms.Form):
    rule = forms.ChoiceField(label="规定", choices=[(r.value, r.label) for r in WAIVABLE])
    reason = forms.CharField(label="例外原因", max_length=300)
    document_number = forms.CharField(label="批准文号", max_length=50)


class PlanForm(forms.Form):
    """One county unit's plan for the year: a row of the plan page's edit form."""

    planned = forms.IntegerField(label="计划发展", min_value=0, max_value=5000, required=False)
    young = forms.IntegerField(label="其中35岁及以下", min_value=0, max_value=5000, required=False)
    farmers = forms.IntegerField(label="其中农牧渔民", min_value=0, max_value=5000, required=False)
    women = forms.IntegerField(label="其中女性", min_value=0, max_value=5000, required=False)

    def clean(self):
        data = super().clean()
        planned = data.get("planned")
        for name in ("young", "farmers", "women"):
            value = data.get(name)
            if value is not None and (planned is None or value > planned):
                self.add_error(name, f"{self.fields[name].label}不能多于计划发展人数。")
        return data
