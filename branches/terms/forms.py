"""The 换届 forms: an election with a fixed number of candidate rows (blank rows are
ignored, so the page needs no script on a phone), a postponement, a filing.
The services check the rules of the 条例; the forms check the input."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone

from branches.models import COMMITTEE_TITLES, ElectionMethod, PostTitle
from branches.terms.services import CandidateRow

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Candidate rows on the form: a committee has at most nine members (a 党委), and a
# 差额选举 adds a few; more rows would make the phone's page long for nothing.
CANDIDATE_ROWS = 9
TITLE_CHOICES = [("", "—")] + [(t.value, PostTitle(t).label) for t in COMMITTEE_TITLES]
KIND_CHOICES = [("0", "换届选举"), ("1", "补选")]
MEETING_FIELDS = (
    "held_on",
    "by_election",
    "method",
    "electors",
    "present",
    "approval_document",
    "note",
)
PICKED = re.compile(r"#([0-9]{1,19})\s*$")
# Members offered in the candidate list: a branch's are a few dozen; a township
# committee's organisation holds thousands (a quarter of a megabyte of options), and
# there a name is typed and read back instead.
MEMBER_LIST_MAX = 300
# Namesakes named in the message when a typed name matches more than one member.
NAMESAKES_SHOWN = 5


def member_label(member) -> str:
    """What the member list offers and the form reads back: the name, the branch, the id."""
    return f"{member.name}（{member.branch.name}）#{member.pk}"


class ElectionForm(forms.Form):
    held_on = forms.DateField(label="选举日期", widget=DATE)
    by_election = forms.ChoiceField(
        label="选举类别",
        choices=KIND_CHOICES,
        initial="0",
        widget=forms.RadioSelect,
        help_text="补选只填补出缺的职务，不开始新一届任期。",
    )
    method = forms.ChoiceField(label="选举方式", choices=ElectionMethod.choices)
    electors = forms.IntegerField(label="应到会有选举权党员数", min_value=1, max_value=100000)
    present = forms.IntegerField(label="实到会有选举权党员数", min_value=0, max_value=100000)
    approval_document = forms.CharField(label="上级批复文号", max_length=100, required=False)
    note = forms.CharField(label="说明", max_length=300, required=False)

    def __init__(self, data=None, *, members, **kwargs):
        """*members*: the queryset of members a candidate may be (with their branch)."""
        super().__init__(data, **kwargs)
        self.members = members
        self.fields["held_on"].initial = timezone.localdate()
        for i in range(1, CANDIDATE_ROWS + 1):
            self.fields[f"c{i}_member"] = forms.CharField(
                label=f"第{i}行候选人",
                max_length=200,
                required=False,
                widget=forms.TextInput(attrs={"list": "org-members", "autocomplete": "off"}),
            )
            self.fields[f"c{i}_title"] = forms.ChoiceField(
                label=f"第{i}行拟任职务", choices=TITLE_CHOICES, required=False
            )
            self.fields[f"c{i}_votes"] = forms.IntegerField(
                label=f"第{i}行得票数", min_value=0, max_value=100000, required=False
            )
            self.fields[f"c{i}_elected"] = forms.BooleanField(label=f"第{i}行当选", required=False)

    def meeting_fields(self):
        """The bound fields of the meeting itself, before the candidate rows."""
        return [self[name] for name in MEETING_FIELDS]

    def candidate_fields(self):
        """Each candidate row: its number and its bound fields by name, for the template."""
        return [
            (i, {name: self[f"c{i}_{name}"] for name in ("member", "title", "votes", "elected")})
            for i in range(1, CANDIDATE_ROWS + 1)
        ]

    def _member(self, i: int, value: str):
        """The member a row names: picked from the list (…#id) or typed by name. One
        query a filled row, nine at most."""
        picked = PICKED.search(value)
        if picked:
            member = self.members.filter(pk=int(picked.group(1))).first()
            if member is not None:
                return member
        else:
            name = value.strip()
            named = list(self.members.filter(name=name)[: NAMESAKES_SHOWN + 1])
            if len(named) == 1:
                return named[0]
            if len(named) > 1:
                choices = "、".join(member_label(m) for m in named[:NAMESAKES_SHOWN])
                more = "等" if len(named) > NAMESAKES_SHOWN else ""
                self.add_error(
                    f"c{i}_member",
                    f"有不止一名党员叫{name}（{choices}{more}）：请填写其中一项，连同其后的编号。",
                )
                return None
        self.add_error(f"c{i}_member", f"“{value}”不是本组织的在册党员，请从列表中选择。")
        return None

    def clean(self):
        data = super().clean()
        rows = []
        for i in range(1, CANDIDATE_ROWS + 1):
            member, title = data.get(f"c{i}_member", ""), data.get(f"c{i}_title", "")
            votes, elected = data.get(f"c{i}_votes"), data.get(f"c{i}_elected", False)
            if not member and not title and votes is None and not elected:
                continue  # a blank row
            if not (member and title and votes is not None):
                self.add_error(
                    f"c{i}_member", f"第{i}行未填完整：候选人、拟任职务和得票数都要填写。"
                )
                continue
            found = self._member(i, member)
            if found is not None:
                rows.append(CandidateRow(found, title, votes, elected, line=i))
        data["candidates"] = rows
        return data

    def election_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "held_on": data["held_on"],
            "by_election": data["by_election"] == "1",
            "method": data["method"],
            "electors": data["electors"],
            "present": data["present"],
            "approval_document": data["approval_document"],
            "note": data["note"],
            "candidates": data["candidates"],
        }


class PostponeForm(forms.Form):
    until = forms.DateField(label="延期至", widget=DATE)
    approved_on = forms.DateField(label="批准日期", widget=DATE)
    document = forms.CharField(label="批准文号", max_length=100)
    reason = forms.CharField(label="延期原因", max_length=300)


class FilingForm(forms.Form):
    filed_on = forms.DateField(label="县级备案日期", widget=DATE, required=False)
    filed_document = forms.CharField(label="备案文号", max_length=100, required=False)
    chairs_village_committee = forms.BooleanField(
        label="兼任村（居）委会主任（一肩挑）", required=False
    )
