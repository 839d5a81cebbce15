from django import forms

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="花名册文件",
        help_text="Excel（.xlsx、.xls）或 CSV（UTF-8 或 GBK），不超过 20 MB、10 万行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件「{upload.name}」有 {upload.size / 1024 / 1024:.1f} MB，超过 20 MB 的上限。"
            )
        return upload
