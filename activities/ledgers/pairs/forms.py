"""The 结对帮扶 forms: a pairing made, a visit, the pairing's end. The services check
the rules, the forms the input; every field fits a phone's width (one column, native
date pickers)."""

from __future__ import annotations

from django import forms

from activities.models import Difficulty, Pairing, PairingVisit, PartnerKind, VisitKind
from members.forms import DATE
from members.models import Member


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class PairingForm(forms.Form):
    """One pairing of a branch: its member (or a unit), and the household or village."""

    member = forms.ModelChoiceField(
        label="帮扶党员",
        queryset=Member.objects.none(),
        required=False,
        empty_label="（单位结对）",
    )
    helper_unit = forms.CharField(
        label="帮扶单位",
        max_length=_length(Pairing, "helper_unit"),
        required=False,
        help_text="单位结对时填写，如：县财政局；党员结对时留空。",
    )
    partner_kind = forms.ChoiceField(label="帮扶对象类别", choices=PartnerKind.choices)
    partner_name = forms.CharField(
        label="帮扶对象",
        max_length=_length(Pairing, "partner_name"),
        help_text="困难户填户主姓名，村填村名。",
    )
    address = forms.CharField(label="住址", max_length=_length(Pairing, "address"), required=False)
    difficulty = forms.ChoiceField(
        label="困难类型",
        choices=[("", "（村不填）"), *Difficulty.choices],
        required=False,
    )
    started_on = forms.DateField(label="结对日期", widget=DATE)

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["member"].queryset = members


class VisitForm(forms.Form):
    """走访记录: the day, how the household or village was helped, what it was worth."""

    visited_on = forms.DateField(label="走访日期", widget=DATE)
    kind = forms.ChoiceField(label="帮扶方式", choices=VisitKind.choices)
    help_given = forms.CharField(
        label="帮扶内容",
        max_length=_length(PairingVisit, "help_given"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="做了什么、解决了什么困难。",
    )
    value_note = forms.CharField(
        label="折合金额",
        max_length=_length(PairingVisit, "value_note"),
        required=False,
        help_text="物资或资金帮扶时填写，如：米一袋、油一桶，约200元。",
    )


class EndForm(forms.Form):
    ended_on = forms.DateField(label="结束日期", widget=DATE, help_text="结对的最后一天。")
