"""The clerk's dues forms: a month's ledger for a whole branch, a base, a correction,
a 上缴. The services check the rules, the forms the input."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone

from members.dues.services import ACTIONS, MAX_ADVANCE_MONTHS, DuesRow
from members.forms import DATE, MonthField
from members.models import DuesCategory

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0")}


class LedgerForm(forms.Form):
    """One month of a branch: what each member did, on one form (a row per member)."""

    paid_on = forms.DateField(label="交纳日期", widget=DATE)

    def __init__(self, data=None, *, rows, **kwargs):
        super().__init__(data, **kwargs)
        self.rows = rows
        self.fields["paid_on"].initial = timezone.localdate()
        choices = [("", "—")] + list(ACTIONS.items())
        for row in rows:
            pk = row.member.pk
            self.fields[f"action_{pk}"] = forms.ChoiceField(
                label="交纳方式", choices=choices, required=False
            )
            self.fields[f"amount_{pk}"] = forms.DecimalField(
                label="实缴金额", required=False, **MONEY
            )
            self.fields[f"months_{pk}"] = forms.IntegerField(
                label="预交月数", required=False, min_value=2, max_value=MAX_ADVANCE_MONTHS
            )
            self.fields[f"note_{pk}"] = forms.CharField(
                label="说明", required=False, max_length=200
            )
            self.fields[f"approved_{pk}"] = forms.DateField(
                label="支部同意日期", required=False, widget=DATE
            )

    def bound_rows(self):
        """(row, its fields) for the template."""
        return [
            (
                row,
                {
                    name: self[f"{name}_{row.member.pk}"]
                    for name in ("action", "amount", "months", "note", "approved")
                },
            )
            for row in self.rows
        ]

    def dues_rows(self) -> list[DuesRow]:
        data = self.cleaned_data
        return [
            DuesRow(
                member=row.member,
                action=data[f"action_{row.member.pk}"],
                amount=data[f"amount_{row.member.pk}"],
                months=data[f"months_{row.member.pk}"] or 1,
                note=data[f"note_{row.member.pk}"],
                approved_on=data[f"approved_{row.member.pk}"],
            )
            for row in self.rows
        ]


class BaseForm(forms.Form):
    starts = MonthField(label="起始月份")
    category = forms.ChoiceField(label="党员类别", choices=DuesCategory.choices)
    income = forms.DecimalField(
        label="月收入（元）",
        required=False,
        help_text="在职党员填税后月工资收入，离退休党员填月离退休费。",
        **MONEY,
    )
    amount = forms.DecimalField(
        label="每月金额（元）",
        required=False,
        help_text="农民党员在0.2元到1元之间由支部确定；其他定额类别可不填。",
        **MONEY,
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts"].initial = timezone.localdate().replace(day=1)


class CorrectForm(forms.Form):
    amount = forms.DecimalField(
        label="正确金额（元）",
        required=False,
        help_text="这笔交纳本应记的金额；填0表示撤销这笔交纳。撤销免交不用填。",
        **MONEY,
    )
    note = forms.CharField(label="更正原因", max_length=200)


class RemitForm(forms.Form):
    month_from = MonthField(label="所属月份自")
    month_to = MonthField(label="所属月份至")
    amount = forms.DecimalField(label="上缴金额（元）", max_digits=12, decimal_places=2)
    remitted_on = forms.DateField(label="上缴日期", widget=DATE)
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remitted_on"].initial = timezone.localdate()
