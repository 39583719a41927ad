from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from clients.assessment_hooks import mint_link
        from clients.emails import LINK_PERSONALISER
        from clients.preferences import client_channels
        from practice.dashboard import register_panel
        from practice.mail.hooks import register_personaliser
        from practice.newsletter.subscriptions import register_preference_provider

        register_preference_provider(client_channels)
        register_personaliser(LINK_PERSONALISER, mint_link)

        from clients import appointments, emails

        register_personaliser(emails.APPOINTMENT_PERSONALISER, appointments.appointment_email_wanted)
        register_personaliser(emails.APPOINTMENT_REMINDER_PERSONALISER, appointments.appointment_reminder_wanted)

        from clients.couples.emails import SUMMARY_PERSONALISER, mint_summary_link

        register_personaliser(SUMMARY_PERSONALISER, mint_summary_link)

        from clients.dashboard import PANELS

        for panel in PANELS:  # the therapist's day: sessions, what waits for review, who has not been seen
            register_panel(panel)
