from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Staff accounts: two-factor sign-in and its enrolment links, API tokens, and the per-account lockout."""

    name = "practice.accounts"
    label = "accounts"
    verbose_name = _("Staff accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from practice.accounts import enrolment
        from practice.mail.hooks import register_personaliser

        register_personaliser(enrolment.PERSONALISER, enrolment.mint_for_email)
