"""The 远程教育站点 forms: a station (set up or changed) and the clerk's check of a month.
The services check the rules, the forms the input; every field fits a phone's width
(one column, native date pickers, the equipment as ticks)."""

from __future__ import annotations

from django import forms

from activities.models import EQUIPMENT, MAX_PLAYBACKS, Station, StationCheck, StationState
from members.forms import DATE
from members.models import Member


def _length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class StationForm(forms.Form):
    """A station: its name and place, its equipment, its manager, when it opened."""

    name = forms.CharField(
        label="站点名称",
        max_length=_length(Station, "name"),
        help_text="如：甲村党员远程教育站点",
    )
    address = forms.CharField(
        label="站点地址",
        max_length=_length(Station, "address"),
        help_text="如：村委会二楼会议室",
    )
    equipment = forms.MultipleChoiceField(
        label="设备情况",
        choices=EQUIPMENT,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    equipment_note = forms.CharField(
        label="其他设备",
        max_length=_length(Station, "equipment_note"),
        required=False,
        help_text="如：音响一套、卫星接收天线",
    )
    manager = forms.ModelChoiceField(label="管理员", queryset=Member.objects.none())
    opened_on = forms.DateField(label="建站日期", widget=DATE)

    def __init__(self, data=None, *, members, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["manager"].queryset = members

    def details(self) -> dict:
        """The cleaned data as the services take it: one flag per piece of equipment."""
        data = dict(self.cleaned_data)
        held = set(data.pop("equipment"))
        return {**data, **{name: name in held for name, _label in EQUIPMENT}}


class StationChangeForm(StationForm):
    """The station's details changed, or its closing (停用) recorded."""

    closed_on = forms.DateField(
        label="停用日期", widget=DATE, required=False, help_text="站点撤销或停止使用时填写。"
    )

    @staticmethod
    def initial_of(station: Station) -> dict:
        return {
            **{name: getattr(station, name) for name in StationChangeForm.base_fields},
            "equipment": [name for name, _label in EQUIPMENT if getattr(station, name)],
            "manager": station.manager_id,
        }


class StationCheckForm(forms.Form):
    """The clerk's check of a month: when, the station's state, how often it played."""

    checked_on = forms.DateField(label="检查日期", widget=DATE)
    state = forms.ChoiceField(
        label="运行情况", choices=StationState.choices, widget=forms.RadioSelect
    )
    playbacks = forms.IntegerField(
        label="播放次数",
        min_value=0,
        max_value=MAX_PLAYBACKS,
        error_messages={
            "min_value": "播放次数不能是负数。",
            "max_value": f"播放次数不能超过{MAX_PLAYBACKS}次。",
            "invalid": "播放次数请填写整数。",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="本月组织党员收看远程教育节目的次数；未开展的填0。",
    )
    comment = forms.CharField(
        label="检查情况",
        max_length=_length(StationCheck, "comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="设备故障的必填：哪件设备出了什么故障、是否已报修。",
    )
