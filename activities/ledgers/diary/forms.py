"""The 民情日志's forms: an entry a cadre writes, and the secretary's check of a month.
The services check the rules, the forms the input; every field fits a phone's width
(one column, native date pickers)."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Exists, OuterRef

from activities.models import DiaryCheck, DiaryEntry, DiaryOutcome
from branches.models import Organization, Post, PostTitle, open_posts_q
from members.forms import DATE
from members.models import Member


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def branch_members(members, *, branch: Organization, on: datetime.date):
    """The branch's members for a picker, those holding a post (the 村干部) first."""
    office = Exists(Post.objects.filter(open_posts_q(on), org=branch, member=OuterRef("pk")))
    return members.filter(branch=branch).annotate(office=office).order_by("-office", "name", "pk")


class DiaryEntryForm(forms.Form):
    """One concern: who heard it, where, what was asked, what was done, how it stands."""

    cadre = forms.ModelChoiceField(label="记录人", queryset=Member.objects.none())
    date = forms.DateField(label="走访日期", widget=DATE)
    household = forms.CharField(
        label="走访农户或地点",
        max_length=_length(DiaryEntry, "household"),
        help_text="如：三组 李大军家、村文化广场",
    )
    concern = forms.CharField(
        label="群众诉求",
        max_length=_length(DiaryEntry, "concern"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="群众反映了什么问题、提出了什么要求。",
    )
    action = forms.CharField(
        label="办理情况",
        max_length=_length(DiaryEntry, "action"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="做了什么、谁来办。",
    )
    outcome = forms.ChoiceField(label="办理结果", choices=DiaryOutcome.choices)
    passed_to = forms.CharField(
        label="上报（转交）单位",
        max_length=_length(DiaryEntry, "passed_to"),
        required=False,
        help_text="已上报的填写，如：镇民政办、镇司法所。",
    )

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["cadre"].queryset = members


class DiaryCheckForm(forms.Form):
    """The secretary's check of a month: who read it, when, and what they said."""

    checked_by = forms.ModelChoiceField(label="审阅人", queryset=Member.objects.none())
    checked_on = forms.DateField(label="审阅日期", widget=DATE)
    comment = forms.CharField(
        label="审阅意见",
        max_length=_length(DiaryCheck, "comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="本月有仍在跟进中的诉求时必填：写明由谁、何时跟进。",
    )

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["checked_by"].queryset = members


def secretary_of(branch: Organization, on: datetime.date) -> Member | None:
    """The branch's secretary on *on*: the check form starts from them."""
    post = (
        Post.objects.filter(open_posts_q(on), org=branch, title=PostTitle.SECRETARY)
        .select_related("member")
        .order_by("-started_on")
        .first()
    )
    return post.member if post else None
