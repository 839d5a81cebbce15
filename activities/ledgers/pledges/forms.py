"""The 公开承诺 ledger's forms: a pledge made, the leader's comment, the villagers'
assessment and the fulfilment. The services check the rules, the forms the input;
every field fits a phone's width (one column, native date pickers)."""

from __future__ import annotations

from django import forms

from activities.models import MAX_ASSESSORS, Fulfilment, Pledge, PledgeCategory
from members.forms import DATE
from members.models import Member


def _length(name: str) -> int:
    return Pledge._meta.get_field(name).max_length


class PledgeForm(forms.Form):
    """承诺事项: one pledge of a member of *branch* (or of the branch itself)."""

    member = forms.ModelChoiceField(
        label="承诺人",
        queryset=Member.objects.none(),
        required=False,
        empty_label="（党组织承诺）",
    )
    made_on = forms.DateField(label="公开承诺日期", widget=DATE)
    category = forms.ChoiceField(label="类别", choices=PledgeCategory.choices)
    text = forms.CharField(
        label="承诺事项",
        max_length=_length("text"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明做什么、为谁做、做到什么程度，便于群众监督。",
    )
    due_on = forms.DateField(label="完成时限", widget=DATE)

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["member"].queryset = members


class CommentForm(forms.Form):
    comment_by = forms.CharField(
        label="点评领导", max_length=_length("comment_by"), help_text="如：镇党委书记 王建国"
    )
    comment_on = forms.DateField(label="点评日期", widget=DATE)
    comment = forms.CharField(
        label="点评意见", max_length=_length("comment"), widget=forms.Textarea(attrs={"rows": 3})
    )


class AssessForm(forms.Form):
    assessed_on = forms.DateField(label="群众评议日期", widget=DATE)
    satisfied = forms.IntegerField(label="满意（人）", min_value=0, max_value=MAX_ASSESSORS)
    fairly_satisfied = forms.IntegerField(
        label="基本满意（人）", min_value=0, max_value=MAX_ASSESSORS
    )
    dissatisfied = forms.IntegerField(label="不满意（人）", min_value=0, max_value=MAX_ASSESSORS)


class FulfilForm(forms.Form):
    fulfilment = forms.ChoiceField(
        label="兑现情况",
        choices=[(c.value, c.label) for c in Fulfilment if c != Fulfilment.PENDING],
    )
    fulfilled_on = forms.DateField(label="日期", widget=DATE)
    evidence = forms.CharField(
        label="兑现情况说明",
        max_length=_length("evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="做了什么、效果如何，佐证材料存放在哪里。",
    )
