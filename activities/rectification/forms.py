"""The 软弱涣散 register's forms: opening a case with its plan's measures, progress, a
further measure, and closing (销号). The services check the rules, the forms the input."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from activities.models import RectificationCase, RectificationMeasure, WeakReason
from activities.rectification.services import CASE_ORG_KINDS, MeasureInput
from branches import params
from branches.labels import labels_by_pk
from branches.models import Organization
from members.forms import DATE

# Rows for the plan's measures on the opening form; blank rows are ignored, and more
# measures can be added on the case's page.
MEASURE_ROWS = 6
TEXT = RectificationMeasure._meta.get_field("text").max_length


def case_orgs(user):
    """The organisations a case may be opened for in the user's part of the tree."""
    return (
        Organization.objects.visible_to(user)
        .filter(kind__in=CASE_ORG_KINDS, dissolved_on__isnull=True)
        .order_by("path")
    )


class CaseOpenForm(forms.Form):
    org = forms.ModelChoiceField(label="党组织", queryset=Organization.objects.none())
    year = forms.IntegerField(
        label="排查年度", min_value=params.MIN_YEAR, max_value=params.MAX_YEAR
    )
    identified_on = forms.DateField(label="确定日期", widget=DATE)
    reasons = forms.MultipleChoiceField(
        label="软弱涣散类型",
        choices=WeakReason.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一种软弱涣散类型。"},
    )
    reason_note = forms.CharField(label="具体表现", max_length=500, widget=forms.Textarea)
    county_leader = forms.CharField(label="包联县级领导", max_length=50)
    township_cadre = forms.CharField(label="包联乡镇干部", max_length=50)
    plan = forms.CharField(
        label="整顿方案要点", max_length=1000, required=False, widget=forms.Textarea
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        orgs = case_orgs(user)
        self.fields["org"].queryset = orgs
        # Labels (甲镇/甲村党支部) for every choice at once, not one lookup per option.
        labels = labels_by_pk(orgs.only("pk", "path", "name"))
        self.fields["org"].label_from_instance = lambda org: labels.get(org.pk, org.name)
        for n in range(1, MEASURE_ROWS + 1):
            self.fields[f"measure_{n}"] = forms.CharField(
                label=f"整改措施{n}", max_length=TEXT, required=False
            )
            self.fields[f"deadline_{n}"] = forms.DateField(
                label=f"措施{n}完成时限", required=False, widget=DATE
            )

    def head_fields(self):
        return [
            self[name] for name in self.fields if not name.startswith(("measure_", "deadline_"))
        ]

    def measure_rows(self):
        return [
            (n, self[f"measure_{n}"], self[f"deadline_{n}"]) for n in range(1, MEASURE_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        measures = []
        for n in range(1, MEASURE_ROWS + 1):
            text = (data.get(f"measure_{n}") or "").strip()
            deadline = data.get(f"deadline_{n}")
            if f"deadline_{n}" in self.errors:
                continue
            if text and deadline is None:
                self.add_error(f"deadline_{n}", f"第{n}条整改措施未填写完成时限。")
            elif deadline and not text:
                self.add_error(f"measure_{n}", f"第{n}条整改措施只填了完成时限，未填写内容。")
            elif text:
                measures.append(MeasureInput(text, deadline))
        if not measures and not self.errors:
            self.add_error("measure_1", "请至少填写一条整改措施及其完成时限。")
        data["measures"] = measures
        return data


class ProgressForm(forms.Form):
    on = forms.DateField(label="日期", widget=DATE)
    text = forms.CharField(label="进展情况", max_length=500, widget=forms.Textarea)
    measure = forms.ModelChoiceField(
        label="对应整改措施",
        queryset=RectificationMeasure.objects.none(),
        required=False,
        empty_label="（整体进展）",
    )
    done = forms.BooleanField(label="该项措施已完成", required=False)

    def __init__(self, data=None, *, case: RectificationCase, **kwargs):
        super().__init__(data, auto_id="id_progress_%s", **kwargs)
        self.fields["on"].initial = timezone.localdate()
        self.fields["measure"].queryset = case.measures.order_by("deadline", "pk")


class MeasureForm(forms.Form):
    text = forms.CharField(label="整改措施", max_length=TEXT)
    deadline = forms.DateField(label="完成时限", widget=DATE)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, auto_id="id_measure_%s", **kwargs)


class CloseForm(forms.Form):
    closed_on = forms.DateField(label="销号日期", widget=DATE)
    closing_decision = forms.CharField(label="销号决定文号", max_length=100)
    closing_assessment = forms.CharField(
        label="整顿验收意见",
        max_length=500,
        required=False,
        widget=forms.Textarea,
        help_text="仍有整改措施未完成时必填：说明原因及为何仍可销号。",
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, auto_id="id_close_%s", **kwargs)
        self.fields["closed_on"].initial = timezone.localdate()
