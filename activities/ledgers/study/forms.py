"""The 党员学习 forms: a session with its attendees, and a branch's attendees of a session.
The services check the rules, the forms the input; every field fits a phone's width
(one column, native date pickers, a checkbox per member)."""

from __future__ import annotations

from django import forms

from activities.models import StudyForm, StudySession
from activities.models.study import HOURS_STEP, MAX_HOURS, MIN_HOURS
from members.forms import DATE
from members.models import Member

MEMBERS_ERRORS = {"invalid_choice": "所选党员不是本党支部在册的党员。"}


class AttendeesField(forms.ModelMultipleChoiceField):
    """The members as checkboxes, named only (no pk or ID number shown)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, member) -> str:
        return member.name


def attendees_field() -> AttendeesField:
    return AttendeesField(
        label="参加党员",
        queryset=Member.objects.none(),
        required=False,
        error_messages=MEMBERS_ERRORS,
    )


class StudySessionForm(forms.Form):
    """One session: the day, the topic, the form, the 学时, and (for a branch) who came."""

    date = forms.DateField(label="学习日期", widget=DATE)
    topic = forms.CharField(
        label="学习主题",
        max_length=StudySession._meta.get_field("topic").max_length,
        help_text="如：学习贯彻党的二十届四中全会精神",
    )
    form = forms.ChoiceField(label="学习形式", choices=StudyForm.choices)
    hours = forms.DecimalField(
        label="学时",
        min_value=MIN_HOURS,
        max_value=MAX_HOURS,
        step_size=HOURS_STEP,
        max_digits=3,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        help_text="按半小时计，0.5至8学时。",
        error_messages={
            "min_value": "学时不能少于0.5。",
            "max_value": "一次学习不能超过8学时。",
            "step_size": "学时按半小时计，应为0.5的整数倍。",
            "invalid": "请填写学时，如 2 或 1.5。",
            "max_digits": "学时应在0.5至8之间。",
            "max_decimal_places": "学时按半小时计，应为0.5的整数倍。",
        },
    )
    members = attendees_field()

    def __init__(self, data=None, *, members=None, **kwargs):
        super().__init__(data, **kwargs)
        if members is None:
            # A township's session: the attendees are added a branch at a time afterwards.
            del self.fields["members"]
        else:
            self.fields["members"].queryset = members


class AttendanceForm(forms.Form):
    """A branch's members who attended the session."""

    members = attendees_field()

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["members"].queryset = members
