from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = _("Practice")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from practice import checks, signals  # noqa: F401 - checks register themselves

        post_migrate.connect(signals.roles_after_migrate, dispatch_uid="practice.roles_after_migrate")
