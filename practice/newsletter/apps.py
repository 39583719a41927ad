from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    """The practice's newsletter: subscribers, campaigns and the public subscription pages."""

    name = "practice.newsletter"
    label = "newsletter"
    verbose_name = _("Newsletter")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from practice.dashboard import register_alert
        from practice.mail import hooks
        from practice.newsletter import campaigns, emails, feeds

        register_alert(feeds.feed_failed_alert)

        hooks.register_personaliser(
            campaigns.PERSONALISER, campaigns.recipient_link, still_wanted=campaigns.subscribers_still_wanted
        )
        hooks.register_personaliser(emails.CONFIRM_PERSONALISER, emails.confirm_link)
        hooks.batch_finished.connect(campaigns.on_batch_finished, dispatch_uid="newsletter.batch_finished")
        hooks.batch_reopened.connect(campaigns.on_batch_reopened, dispatch_uid="newsletter.batch_reopened")
        hooks.message_bounced.connect(campaigns.on_message_bounced, dispatch_uid="newsletter.message_bounced")
