"""The forms of the groups' reporting routine: a group's month, a branch's quarter, the
township's 经验交流会. The services check the rules, the forms the input; every field fits
a phone's width (one column, native date pickers, bounded text)."""

from __future__ import annotations

from django import forms

from activities.models import REPORT_TEXT_MAX, Activity
from branches.models import Organization
from members.forms import DATE


def _length(name: str) -> int:
    return Activity._meta.get_field(name).max_length


class GroupReportForm(forms.Form):
    """The leader's words under the month's figures."""

    work = forms.CharField(
        label="本月工作情况",
        max_length=REPORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"开展了哪些活动、党员发挥作用情况、存在的问题，{REPORT_TEXT_MAX}字以内。",
    )
    plans = forms.CharField(
        label="下月工作打算",
        max_length=REPORT_TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class BranchSummaryForm(forms.Form):
    """The secretary's words under the quarter's figures."""

    text = forms.CharField(
        label="季度小结",
        max_length=REPORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=f"本季度工作成效、各党小组情况、存在的问题和下季度打算，{REPORT_TEXT_MAX}字以内。",
    )


class ExchangeForm(forms.Form):
    """The township's 经验交流会: when, what, and which groups presented."""

    held_on = forms.DateField(label="会议日期", widget=DATE)
    topic = forms.CharField(label="会议主题", max_length=_length("topic"))
    place = forms.CharField(label="地点", max_length=_length("place"), required=False)
    host = forms.CharField(label="主持人", max_length=_length("host"), required=False)
    groups = forms.ModelMultipleChoiceField(
        label="交流发言的党小组",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请选择交流发言的党小组。",
            "invalid_choice": "所选党小组不在本乡镇。",
            "invalid_pk_value": "所选党小组无效。",
        },
    )
    minutes = forms.CharField(
        label="会议记录",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, data=None, *, groups, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["groups"].queryset = groups
        # A group's name says its village (甲村第一党小组); the parent is not read again.
        self.fields["groups"].label_from_instance = lambda g: g.name
