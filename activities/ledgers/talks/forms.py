"""The 谈心谈话 form: the day, the two members, a short note of the topic. The service
checks the rules, the form the input; every field fits a phone's width (one column,
native date picker)."""

from __future__ import annotations

from django import forms

from activities.models import Talk
from members.forms import DATE
from members.models import Member


class TalkForm(forms.Form):
    """One talk of a branch: who sought it, with whom, when, about what."""

    talked_on = forms.DateField(label="谈话日期", widget=DATE)
    initiator = forms.ModelChoiceField(
        label="谈话人", queryset=Member.objects.none(), help_text="主动约谈的一方。"
    )
    partner = forms.ModelChoiceField(label="谈话对象", queryset=Member.objects.none())
    summary = forms.CharField(
        label="谈话内容摘要",
        max_length=Talk._meta.get_field("summary").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="谈了什么，简要记录，如：交流思想，对支部工作提出两条建议。",
    )

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["initiator"].queryset = members
        self.fields["partner"].queryset = members
