"""The client's own choices on the practice's email preferences page: stop questionnaire emails or
appointment reminders one by one. Registered with the page in ``ClientsConfig.ready``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clients.models import Channel, Client
from clients.services import consent_set, consent_withdrawn_by_client
from practice.models import Practice
from practice.newsletter.subscriptions import NEWSLETTER_CHECKBOX, PreferenceCheckbox

CHANNELS = (Channel.QUESTIONNAIRES, Channel.APPOINTMENT_REMINDERS)


class ClientChannels:
    """Offers each channel a client with this address receives; unticking withdraws that consent."""

    def _clients(self, practice: Practice, email: str):
        return Client.objects.filter(practice=practice, email__iexact=email)

    def checkboxes(self, *, practice: Practice, email: str) -> list[PreferenceCheckbox]:
        receiving = {
            channel for client in self._clients(practice, email) for channel in CHANNELS if client.has_consent(channel)
        }
        return [
            PreferenceCheckbox(
                name=f"client-{channel.value}",
                label=str(channel.label),
                checked=True,
                help_text=_("Untick this box and save to stop these emails."),
            )
            for channel in CHANNELS
            if channel in receiving
        ]

    def save(self, *, practice: Practice, email: str, ticked: set[str]) -> None:
        for client in self._clients(practice, email):
            for channel in CHANNELS:
                if not client.has_consent(channel) or f"client-{channel.value}" in ticked:
                    continue
                # as the stop link in the emails does: recorded, and the therapist told
                consent_withdrawn_by_client(client=client, channel=channel, source="email preferences page")
            # The newsletter box belongs to the subscription; keep the client's record in step with it.
            if client.consent_newsletter and NEWSLETTER_CHECKBOX not in ticked:
                consent_set(client=client, channel=Channel.NEWSLETTER, given=False, source="email preferences page")


client_channels = ClientChannels()
