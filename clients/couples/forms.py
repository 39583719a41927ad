"""Forms of the couples admin."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.assignments import EXPIRY_DAYS, MAX_MESSAGE_LENGTH
from assessments.models import InstrumentVersion
from clients.couples.models import Couple
from clients.couples.services import couples_versions


class CoupleForm(forms.ModelForm):
    """Link two clients; on a couple's page, record whether each agreed to share a joint summary."""

    share_a = forms.BooleanField(label=_("The first partner agrees to share a joint summary"), required=False)
    share_b = forms.BooleanField(label=_("The second partner agrees to share a joint summary"), required=False)

    class Meta:
        model = Couple
        fields = ["partner_a", "partner_b"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["share_a"].initial = self.instance.share_agreed_a_at is not None
            self.fields["share_b"].initial = self.instance.share_agreed_b_at is not None


class CoupleAssignForm(forms.Form):
    version = forms.ModelChoiceField(
        label=_("Questionnaire"),
        queryset=InstrumentVersion.objects.none(),
        empty_label=None,
        help_text=_("Only questionnaires suited to couples. Each partner gets their own private link."),
    )
    expires_in_days = forms.IntegerField(
        label=_("The links work for (days)"), min_value=EXPIRY_DAYS[0], max_value=EXPIRY_DAYS[1], initial=14
    )
    message = forms.CharField(
        label=_("Personal message"),
        required=False,
        max_length=MAX_MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional; the same for both. Please keep clinical details out of it."),
    )
    different_order = forms.BooleanField(
        label=_("Show the second partner the questions in another order"), required=False
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = couples_versions().for_user(user).select_related("instrument")
