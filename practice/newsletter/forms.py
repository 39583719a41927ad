"""Forms of the practice's public pages: they check input and say clearly what to change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.newsletter.subscriptions import consent_wording

if TYPE_CHECKING:
    from practice.models import Practice
    from practice.newsletter.subscriptions import PreferenceCheckbox

#: The field a person never sees; anything typed into it comes from a robot.
HONEYPOT_FIELD = "website"

#: Where a subscription came from, by the hidden ``via`` field; anything else counts as the page itself.
SOURCES = {"embed": "embedded form"}
DEFAULT_SOURCE = "subscribe page"


class SubscribeForm(forms.Form):
    name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Please keep your name to %(limit_value)d characters or fewer.")},
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        error_messages={
            "required": _("Please enter your email address."),
            "invalid": _("Please enter a complete email address, like name@example.org."),
            "max_length": _("Please enter an email address of at most %(limit_value)d characters."),
        },
    )
    consent = forms.BooleanField(
        error_messages={"required": _("Please tick the box to say you would like to receive the newsletter.")},
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.consent_text = consent_wording(practice)
        self.fields["consent"].label = self.consent_text

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    @staticmethod
    def is_from_a_robot(data: Any) -> bool:
        return bool(str(data.get(HONEYPOT_FIELD, "")).strip())

    @staticmethod
    def source(data: Any) -> str:
        return SOURCES.get(str(data.get("via", "")), DEFAULT_SOURCE)


class PreferencesForm(forms.Form):
    """One checkbox per choice; the boxes come from ``practice.newsletter.subscriptions.preference_checkboxes``."""

    def __init__(self, *args: Any, checkboxes: list[PreferenceCheckbox], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for box in checkboxes:
            self.fields[box.name] = forms.BooleanField(
                label=box.label, help_text=box.help_text, required=False, initial=box.checked
            )

    def ticked(self) -> set[str]:
        return {name for name, value in self.cleaned_data.items() if value}
