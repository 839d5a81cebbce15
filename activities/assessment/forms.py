"""The assessment's forms: a 述职评议会, one secretary's report, the grading page's rows and
the date a group leader's post ends. The services check the rules, the forms the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from activities.assessment.selectors import GradeRow
from activities.models import Evaluation, GradeLevel
from members.forms import DATE

QUARTER_CHOICES = [("", "年度述职")] + [(str(q), f"第{q}季度") for q in range(1, 5)]


class MeetingForm(forms.Form):
    org = forms.ModelChoiceField(label="召开组织", queryset=None, empty_label=None)
    year = forms.IntegerField(label="述职年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label="季度",
        choices=QUARTER_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text="县里要求按季度述职的，选择季度；年度述职留空。",
    )
    held_on = forms.DateField(label="召开日期", widget=DATE)
    evaluators = forms.IntegerField(label="参加评议人数", min_value=1, max_value=10000)
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, data=None, *, orgs, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda org: org.name


def _poster(post) -> str:
    return f"{post.member.name}（{post.org.name} {post.get_title_display()}）"


class ReportForm(forms.Form):
    org = forms.ModelChoiceField(label="述职党组织", queryset=None)
    secretary = forms.ChoiceField(
        label="述职书记",
        required=False,
        help_text="留空：按会议日期在任的书记。书记空缺时可选其他班子成员。",
    )
    summary = forms.CharField(
        label="述职要点", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    good = forms.IntegerField(label="“好”票", min_value=0, initial=0)
    fairly_good = forms.IntegerField(label="“较好”票", min_value=0, initial=0)
    average = forms.IntegerField(label="“一般”票", min_value=0, initial=0)
    poor = forms.IntegerField(label="“差”票", min_value=0, initial=0)
    evaluation = forms.ChoiceField(label="评议结果", choices=Evaluation.choices)

    def __init__(self, data=None, *, orgs, posts, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["org"].queryset = orgs
        self.fields["org"].label_from_instance = lambda org: org.name
        self.posts = {str(p.member_id): p for p in posts}
        self.fields["secretary"].choices = [("", "按班子职务自动确定")] + [
            (str(p.member_id), _poster(p)) for p in posts
        ]

    def chosen_member(self):
        post = self.posts.get(self.cleaned_data.get("secretary") or "")
        return post.member if post else None


class GradingForm(forms.Form):
    """The whole grading page: a level and the reasons for each organisation."""

    def __init__(self, data=None, *, rows: list[GradeRow], levels: list[GradeLevel], **kwargs):
        super().__init__(data, **kwargs)
        self.rows = rows
        self.levels = {str(level.pk): level for level in levels}
        choices = [(str(level.pk), level.name) for level in levels]
        for row in rows:
            pk = row.org.pk
            chosen = row.grade.level if row.grade else row.suggested
            self.fields[f"level_{pk}"] = forms.ChoiceField(
                label=f"{row.org.name}等次",
                choices=[("", "请选择")] + choices,
                initial=str(chosen.pk) if chosen else "",
            )
            self.fields[f"reasons_{pk}"] = forms.CharField(
                label=f"{row.org.name}定级理由",
                max_length=500,
                required=False,
                initial=row.grade.reasons if row.grade else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def bound_rows(self):
        return [
            (row, self[f"level_{row.org.pk}"], self[f"reasons_{row.org.pk}"]) for row in self.rows
        ]

    def choices(self):
        """(row, level, reasons) of every row, once the form is valid."""
        data = self.cleaned_data
        return [
            (row, self.levels[data[f"level_{row.org.pk}"]], data[f"reasons_{row.org.pk}"])
            for row in self.rows
        ]


class RemoveLeaderForm(forms.Form):
    on = forms.DateField(label="撤销职务日期", widget=DATE)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["on"].initial = timezone.localdate()
