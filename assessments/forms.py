"""Forms of the questionnaire engine's admin."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.services import MAX_IMPORT_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Instrument file"),
        help_text=_("Our JSON format or a FHIR R4 Questionnaire (JSON), at most 2 MB."),
    )
    publish = forms.BooleanField(label=_("Publish straight away"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
