"""Forms of the clients admin."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.assignments import EXPIRY_DAYS, MAX_MESSAGE_LENGTH
from assessments.models import Instrument, InstrumentStatus


class AssignForm(forms.Form):
    """Assign a questionnaire to one or more clients, once or repeating."""

    instrument = forms.ModelChoiceField(
        label=_("Questionnaire"),
        queryset=Instrument.objects.none(),
        empty_label=None,
        help_text=_("Its current published version is sent."),
    )
    expires_in_days = forms.IntegerField(
        label=_("The link works for (days)"), min_value=EXPIRY_DAYS[0], max_value=EXPIRY_DAYS[1], initial=14
    )
    message = forms.CharField(
        label=_("Personal message"),
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional; shown in the email and on the first page. Please keep clinical details out of it."),
    )
    release_scores = forms.BooleanField(label=_("Show the client their scores when they finish"), required=False)
    repeat = forms.BooleanField(label=_("Repeat it"), required=False)
    every_weeks = forms.IntegerField(label=_("Every (weeks)"), min_value=1, max_value=52, required=False, initial=4)
    max_occurrences = forms.IntegerField(
        label=_("At most (times)"), min_value=1, max_value=52, required=False, initial=6
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].queryset = (
            Instrument.objects.for_user(user).filter(versions__status=InstrumentStatus.PUBLISHED).distinct()
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("repeat"):
            for name in ("every_weeks", "max_occurrences"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Needed to repeat the questionnaire."))
        return data
