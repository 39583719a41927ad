from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    """Mail delivery: every email of every app goes through this app's outbox."""

    name = "practice.mail"
    label = "mail"
    verbose_name = _("Email")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from practice.dashboard import register_alert
        from practice.mail import admin_alerts, checks  # noqa: F401 - registers the system checks

        register_alert(admin_alerts.sending_paused_alert)
