from __future__ import annotations

from django import forms

from activities.models import SPEAKER_KINDS, Activity, AttendanceStatus
from activities.selectors import not_expected_reason
from activities.services import Mark
from members.models import Member


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ActivityForm(forms.ModelForm):
    """The meeting's own fields; the attendance checklist is read by ``marks_from``."""

    guests = forms.CharField(
        label="列席人员",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不计入出席率，每行一人。",
    )
    attachments = MultipleFileField(
        label="附件",
        required=False,
        help_text="签到表照片或扫描件：JPG、PNG 或 PDF，每个不超过 10 MB。",
    )
    confirm_duplicate = forms.BooleanField(label="确认重复登记", required=False)

    class Meta:
        model = Activity
        fields = [
            "held_on",
            "topic",
            "host",
            "speaker_member",
            "speaker",
            "recorder",
            "place",
            "minutes",
            "resolutions",
        ]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "minutes": forms.Textarea(attrs={"rows": 5}),
            "resolutions": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, kind: str, roster=None, **kwargs):
        """*roster*: the members who may give the lesson (the meeting's roster)."""
        super().__init__(*args, **kwargs)
        self.instance.kind = kind  # the model's own check (a speaker only for a lesson) needs it
        # Decided on the server by kind, so no script shows or hides the fields.
        if kind not in SPEAKER_KINDS:
            del self.fields["speaker_member"], self.fields["speaker"]
            return
        speaker = self.fields["speaker_member"]
        speaker.queryset = roster if roster is not None else Member.objects.none()
        speaker.label = "授课人（本组织党员）"
        speaker.empty_label = "（不是本组织党员，在下面填写姓名）"
        speaker.help_text = "支部书记讲党课须选书记本人，才计入“书记讲党课”。"
        self.fields["speaker"].label = "授课人姓名"
        self.fields["speaker"].help_text = "不是本组织党员时填写；选了党员则按其姓名。"

    def meeting_fields(self) -> dict:
        """The meeting's own fields as cleaned, for ``services.activity_log``."""
        return {
            f: self.cleaned_data[f] for f in self.Meta.fields if f != "held_on" and f in self.fields
        }

    def guest_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["guests"].splitlines() if line.strip()]


def marks_from(data, members) -> list[Mark]:
    """The checklist as posted: ``status_<member id>`` and ``reason_<member id>``."""
    return [
        Mark(
            member_id=m.pk,
            status=data.get(f"status_{m.pk}", ""),
            reason=data.get(f"reason_{m.pk}", ""),
        )
        for m in members
    ]


def checklist(members, marks: dict[int, Mark] | None = None):
    """Rows for the template: each member of the roster with their current mark.

    Members not expected (``activities.selectors.expected_q``: lost contact,
    suspended) start unmarked and can only be ticked present; everyone else
    starts present.
    """
    marks = marks or {}
    rows = []
    for m in members:
        expected = getattr(m, "expected", True)
        default = AttendanceStatus.PRESENT if expected else ""
        rows.append(
            {
                "member": m,
                "expected": expected,
                "why_not": "" if expected else not_expected_reason(m),
                "status": marks[m.pk].status if m.pk in marks else default,
                "reason": marks[m.pk].reason if m.pk in marks else "",
            }
        )
    return rows
