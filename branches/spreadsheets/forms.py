"""The upload form of every spreadsheet import (the roster, the organisation tree)."""

from django import forms

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class SpreadsheetUploadForm(forms.Form):
    """One spreadsheet, refused above 20 MB before anything reads it."""

    file = forms.FileField(
        label="表格文件",
        help_text="Excel（.xlsx、.xls）或 CSV（UTF-8 或 GBK），不超过 20 MB、10 万行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args, label: str = "表格文件", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = label

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件「{upload.name}」有 {upload.size / 1024 / 1024:.1f} MB，超过 20 MB 的上限。"
            )
        return upload
