"""The clerk's forms for 组织关系转接; the services check the rules, the forms the input."""

from __future__ import annotations

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone

from branches.models import Organization, OrgKind, county_unit_q
from members.choices import MemberCategory
from members.models import Transfer

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d", "%Y年%m月"]


class MonthField(forms.DateField):
    """A year and month (党费缴至年月), kept as the month's first day."""

    widget = MONTH
    input_formats = MONTH_FORMATS

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else None


def live_branches(queryset):
    return queryset.filter(kind=OrgKind.BRANCH, dissolved_on__isnull=True).order_by("path")


class TransferIssueForm(forms.Form):
    kind = forms.ChoiceField(
        label="转接类型",
        choices=[(Transfer.Kind.WITHIN, "县内转接"), (Transfer.Kind.OUT, "转出县外")],
        widget=forms.RadioSelect,
        initial=Transfer.Kind.WITHIN,
    )
    to_org = forms.ModelChoiceField(
        label="县内接收党组织",
        queryset=Organization.objects.none(),
        required=False,
        help_text="转到其他乡镇：选乡镇党委，由对方专干接收时指定党支部。",
    )
    outside_org = forms.CharField(label="县外接收党组织", max_length=100, required=False)
    outside_place = forms.CharField(label="所在地", max_length=100, required=False)
    letter_number = forms.CharField(label="介绍信编号", max_length=30)
    letter_date = forms.DateField(label="开具日期", widget=DATE)
    dues_paid_until = MonthField(label="党费缴至", required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The letter is addressed to a township (or another unit of the county),
        # whose clerk picks the branch; inside one's own part of the tree, to a
        # branch directly. Names only: the sender sees nothing else of them.
        own = Organization.objects.visible_to(user).filter(
            kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.PRIMARY_COMMITTEE)
        )
        self.fields["to_org"].queryset = Organization.objects.filter(
            Q(county_unit_q()) | Q(pk__in=own.values("pk")), dissolved_on__isnull=True
        ).order_by("path")
        self.fields["letter_date"].initial = timezone.localdate()


class TransferReceiveForm(forms.Form):
    on = forms.DateField(label="接收日期", widget=DATE)
    branch = forms.ModelChoiceField(label="转入党支部", queryset=Organization.objects.none())
    group = forms.ModelChoiceField(
        label="党小组", queryset=Organization.objects.none(), required=False
    )

    def __init__(self, *args, transfer: Transfer, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The receiving side's own branches under the letter's organisation.
        branches = live_branches(Organization.objects.visible_to(user).subtree(transfer.to_org))
        self.fields["branch"].queryset = branches
        self.fields["group"].queryset = Organization.objects.filter(
            kind=OrgKind.GROUP, parent__in=branches.values("pk"), dissolved_on__isnull=True
        ).order_by("path")
        self.fields["on"].initial = timezone.localdate()


class TransferReturnForm(forms.Form):
    on = forms.DateField(label="回执日期", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class TransferCloseForm(forms.Form):
    state = forms.ChoiceField(
        label="办结方式",
        choices=[(Transfer.State.RETURNED, "退回"), (Transfer.State.EXPIRED, "过期作废")],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(label="日期", widget=DATE)
    reason = forms.CharField(label="原因", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class TransferArriveForm(forms.Form):
    """A member arriving from outside the county: the letter, and who they are."""

    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份证号", max_length=18)
    category = forms.ChoiceField(label="人员类别", choices=MemberCategory.choices)
    joined_on = forms.DateField(label="加入党组织日期", widget=DATE)
    full_member_on = forms.DateField(label="转为正式党员日期", widget=DATE, required=False)
    mobile_phone = forms.CharField(label="手机号", max_length=20, required=False)
    branch = forms.ModelChoiceField(label="转入党支部", queryset=Organization.objects.none())
    group = forms.ModelChoiceField(
        label="党小组", queryset=Organization.objects.none(), required=False
    )
    outside_org = forms.CharField(label="原党组织", max_length=100)
    outside_place = forms.CharField(label="原党组织所在地", max_length=100, required=False)
    letter_number = forms.CharField(label="介绍信编号", max_length=30)
    letter_date = forms.DateField(label="介绍信开具日期", widget=DATE)
    dues_paid_until = MonthField(label="党费缴至", required=False)
    on = forms.DateField(label="接收日期", widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        branches = live_branches(Organization.objects.visible_to(user))
        self.fields["branch"].queryset = branches
        self.fields["group"].queryset = Organization.objects.filter(
            kind=OrgKind.GROUP, parent__in=branches.values("pk"), dissolved_on__isnull=True
        ).order_by("path")
        self.fields["on"].initial = timezone.localdate()

    MEMBER_FIELDS = ("name", "id_number", "category", "joined_on", "full_member_on", "mobile_phone")

    def member_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.MEMBER_FIELDS}
        return {k: v for k, v in data.items() if v not in (None, "")}


def suggested_letter_number(*, user, today: datetime.date) -> str:
    """This year's next number among the letters issued in *user*'s part of the tree."""
    issued = Transfer.objects.filter(
        from_branch__in=Organization.objects.visible_to(user).values("pk"),
        letter_date__year=today.year,
    ).exclude(kind=Transfer.Kind.IN)
    return f"{today.year}-{issued.count() + 1:03d}"


class StandingForm(forms.Form):
    """One step of a member's standing (``members.standing``): which fields count depends on it."""

    on = forms.DateField(label="日期", widget=DATE)
    destination = forms.CharField(label="外出地点", max_length=200, required=False)
    employer = forms.CharField(label="工作单位", max_length=200, required=False)
    contact = forms.CharField(label="联系方式", max_length=100, required=False)
    mobile_org = forms.CharField(
        label="参加的流动党员党组织", max_length=200, required=False, help_text="未参加的留空。"
    )
    efforts = forms.CharField(label="查找情况", max_length=500, required=False)
    decision_number = forms.CharField(label="决定文号", max_length=50, required=False)

    # The fields each step takes, as its service names them.
    STEPS = {
        "away": ("外出", ("on", "destination", "employer", "contact", "mobile_org")),
        "return": ("返回", ("on",)),
        "lost": ("失联", ("on", "efforts")),
        "found": ("恢复联系", ("on",)),
        "suspend": ("停止党籍", ("on", "decision_number")),
        "restore": ("恢复党籍", ("on", "decision_number")),
        "strike_off": ("除名", ("on", "decision_number")),
        "lapse_dues": ("连续六个月不交纳党费，视为自行脱党除名", ("on", "decision_number")),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()

    def data_for(self, step: str) -> dict:
        return {name: self.cleaned_data[name] for name in self.STEPS[step][1]}


class InflowForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(label="公民身份证号", max_length=18, required=False)
    mobile_phone = forms.CharField(label="手机号", max_length=20, required=False)
    origin_org = forms.CharField(label="原党组织", max_length=200)
    origin_place = forms.CharField(label="原党组织所在地", max_length=100, required=False)
    employer = forms.CharField(label="在本地的工作单位或住址", max_length=200, required=False)
    branch = forms.ModelChoiceField(label="联系的党支部", queryset=Organization.objects.none())
    arrived_on = forms.DateField(label="流入日期", widget=DATE)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = live_branches(Organization.objects.visible_to(user))
        self.fields["arrived_on"].initial = timezone.localdate()
