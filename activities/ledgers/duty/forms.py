"""The 设岗定责 ledger's forms: a duty post set up, a member put on it or taken off, and
a 履职记录. The services check the rules, the forms the input; every field fits a
phone's width (one column, native date pickers)."""

from __future__ import annotations

from django import forms

from activities.models import DutyAssignment, DutyLog, DutyPost
from members.forms import DATE
from members.models import Member


class DutyPostForm(forms.Form):
    """One duty post of a branch: its name, what the holder is to do, since when."""

    name = forms.CharField(
        label="岗位名称",
        max_length=DutyPost._meta.get_field("name").max_length,
        help_text="如：政策宣传岗、环境卫生监督岗、矛盾调解岗、治安巡逻岗、移风易俗劝导岗",
    )
    duty = forms.CharField(
        label="岗位职责",
        max_length=DutyPost._meta.get_field("duty").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明在岗党员做什么、多久做一次，便于群众监督。",
    )
    set_up_on = forms.DateField(label="设岗日期", widget=DATE)


class AssignmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: DutyAssignment) -> str:
        until = f"至{obj.ended_on:%Y-%m-%d}" if obj.ended_on else "起"
        return f"{obj.member.name}（{obj.started_on:%Y-%m-%d}{until}）"


class AssignForm(forms.Form):
    """认岗: a member of the post's branch, not on the post now."""

    member = forms.ModelChoiceField(label="党员", queryset=Member.objects.none())
    started_on = forms.DateField(label="上岗日期", widget=DATE)

    def __init__(self, data=None, *, post: DutyPost, members, **kwargs):
        super().__init__(data, **kwargs)
        holding = DutyAssignment.objects.filter(post=post, ended_on__isnull=True)
        self.fields["member"].queryset = (
            members.filter(branch_id=post.org_id)
            .exclude(pk__in=holding.values("member_id"))
            .order_by("name", "pk")
        )


class UnassignForm(forms.Form):
    """离岗: one of the post's open assignments, and the last day on the post."""

    assignment = AssignmentChoiceField(label="在岗党员", queryset=DutyAssignment.objects.none())
    ended_on = forms.DateField(label="离岗日期", widget=DATE, help_text="在岗的最后一天。")

    def __init__(self, data=None, *, post: DutyPost, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["assignment"].queryset = (
            DutyAssignment.objects.filter(post=post, ended_on__isnull=True)
            .select_related("member")
            .order_by("started_on", "pk")
        )


class LogForm(forms.Form):
    """履职记录: who on the post did what, on which day."""

    assignment = AssignmentChoiceField(label="在岗党员", queryset=DutyAssignment.objects.none())
    done_on = forms.DateField(label="履职日期", widget=DATE)
    text = forms.CharField(
        label="履职情况",
        max_length=DutyLog._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="做了什么、为谁做、效果如何。",
    )

    def __init__(self, data=None, *, post: DutyPost, members, **kwargs):
        super().__init__(data, **kwargs)
        # Past holders too: a log of last month is often entered after they left.
        self.fields["assignment"].queryset = (
            DutyAssignment.objects.filter(post=post)
            .select_related("member")
            .order_by("-started_on", "pk")
        )
