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
        from practice.outbox import register_personaliser
        from practice.subscriptions import register_preference_provider

        register_preference_provider(client_channels)
        register_personaliser(LINK_PERSONALISER, mint_link)
