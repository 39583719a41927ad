"""Forms of the questionnaire engine: the admin's import, and the respondent's answer pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.document import MAX_TEXT, QUESTION_TYPES
from assessments.services import MAX_IMPORT_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Questionnaire file"),
        help_text=_("Our JSON format or a FHIR R4 Questionnaire (JSON), at most 2 MB."),
    )
    publish = forms.BooleanField(label=_("Publish straight away"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload


FIELD_PREFIX = "item-"
MISSING = _("Please answer this question.")


class AnswerPageForm(forms.Form):
    """One page of a questionnaire: a field per question, each optional here.

    Which questions are required depends on the answers (conditions), so that check belongs to
    ``assignments.missing_answers``, not to the fields.
    """

    def __init__(self, items: list[dict], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = [item for item in items if item["type"] in QUESTION_TYPES]
        for item in self.items:
            self.fields[FIELD_PREFIX + item["key"]] = _field(item)

    def unknown_fields(self) -> list[str]:
        """Posted answer fields that are not questions on this page: forged, or from another form."""
        return sorted(name for name in self.data if name.startswith(FIELD_PREFIX) and name not in self.fields)

    def answers(self) -> dict[str, object]:
        """Cleaned answers keyed by item key; empty ones are None, which clears a saved answer."""
        answers: dict[str, object] = {}
        for item in self.items:
            value = self.cleaned_data.get(FIELD_PREFIX + item["key"])
            answers[item["key"]] = None if value in (None, "", []) else value
        return answers

    def add_missing(self, keys: list[str]) -> None:
        for key in keys:
            self.add_error(FIELD_PREFIX + key, MISSING)


def _field(item: dict) -> forms.Field:
    kind = item["type"]
    choices = [(option["code"], option["label"]) for option in item.get("_options") or item["options"]]
    if kind == "single_choice":
        return forms.ChoiceField(
            choices=choices,
            required=False,
            error_messages={"invalid_choice": _("Please choose one of the answers shown.")},
        )
    if kind == "multiple_choice":
        return forms.MultipleChoiceField(
            choices=choices,
            required=False,
            error_messages={"invalid_choice": _("Please choose from the answers shown.")},
        )
    if kind == "integer":
        low, high = item["min"], item["max"]
        message = _("Please enter a whole number")
        if low is not None and high is not None:
            message = _("Please enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        return forms.IntegerField(
            required=False,
            min_value=low,
            max_value=high,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
        )
    return forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        strip=True,
        error_messages={"max_length": _("Please keep this answer under %(limit)s characters.") % {"limit": MAX_TEXT}},
    )
