"""The newsletter: subscribers with their consent, and campaigns sent to them through the outbox.

Table names are the ones these models had when they lived in the practice app, so no data moved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.fields import NormalisedEmailField
from practice.mail.models import Batch
from practice.managers import PracticeWideQuerySet
from practice.models import Practice


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


class Subscriber(models.Model):
    """Someone who asked for the practice's newsletter, with the consent wording they agreed to."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="subscribers")
    email = NormalisedEmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING
    )
    consent_text = models.TextField(_("consent wording"), blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("e.g. website form, client record"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        db_table = "practice_subscriber"
        constraints = [
            models.UniqueConstraint(fields=["practice", "email"], name="subscriber_unique_email"),
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriberStatus.values), name="subscriber_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """One newsletter issue: written in Markdown, sent to confirmed subscribers at send time."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="campaigns")
    subject = models.CharField(_("subject"), max_length=200)
    preheader = models.CharField(
        _("preheader"), max_length=200, blank=True, help_text=_("The preview line inboxes show after the subject.")
    )
    body_markdown = models.TextField(_("body (Markdown)"))
    status = models.CharField(_("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    batch = models.OneToOneField(
        Batch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="campaign",
        help_text=_("The outbox messages of this issue, once it is sent."),
    )

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        db_table = "practice_campaign"
        ordering = ["-created_at"]
        verbose_name = _("newsletter campaign")
        verbose_name_plural = _("newsletter campaigns")
        # Beat's "start scheduled campaigns" reads only those due, whatever the number of campaigns sent.
        indexes = [models.Index(fields=["status", "send_at"], name="campaign_due_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
        ]

    def __str__(self) -> str:
        return self.subject


class FeedMode(models.TextChoices):
    DRAFT = "draft", _("Make a draft campaign and tell me")
    AUTOMATIC = "automatic", _("Send a campaign automatically")
    DIGEST = "digest", _("Collect new posts into a weekly digest")


class FeedStatus(models.TextChoices):
    WAITING = "waiting", _("Not read yet")
    OK = "ok", _("Read")
    FAILED = "failed", _("Could not be read")


class BlogFeed(models.Model):
    """The practice's blog feed (RSS or Atom): each new post becomes a newsletter, as the owner chose."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="blog_feed")
    url = models.URLField(_("feed address"), max_length=500, help_text=_("The RSS or Atom feed of your blog (https)."))
    mode = models.CharField(_("new posts"), max_length=20, choices=FeedMode.choices, default=FeedMode.DRAFT)
    active = models.BooleanField(_("read the feed"), default=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FeedStatus.choices, default=FeedStatus.WAITING, editable=False
    )
    status_detail = models.TextField(_("what happened"), blank=True, editable=False)
    checked_at = models.DateTimeField(_("last read"), null=True, blank=True, editable=False)
    digest_sent_at = models.DateTimeField(_("last digest"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        verbose_name = _("blog feed")
        verbose_name_plural = _("blog feeds")
        constraints = [
            models.CheckConstraint(condition=models.Q(mode__in=FeedMode.values), name="blogfeed_mode_valid"),
            models.CheckConstraint(condition=models.Q(status__in=FeedStatus.values), name="blogfeed_status_valid"),
        ]

    def __str__(self) -> str:
        return self.url


class FeedPost(models.Model):
    """A post seen in the feed, once: by its guid (or link), so a reordered or re-dated post never goes twice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="feed_posts", editable=False)
    feed = models.ForeignKey(BlogFeed, on_delete=models.CASCADE, related_name="posts")
    key = models.CharField(_("guid or link"), max_length=500)
    link = models.URLField(_("link"), max_length=500, blank=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Plain text, from the sanitised content."))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    seen_at = models.DateTimeField(_("seen"), auto_now_add=True)
    from_archive = models.BooleanField(
        _("already there"), default=False, editable=False, help_text=_("In the feed when it was first read: not news.")
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="feed_posts", editable=False
    )

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["-seen_at", "-pk"]
        verbose_name = _("blog post")
        verbose_name_plural = _("blog posts")
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feedpost_unique_key")]
        indexes = [models.Index(fields=["feed", "link"], name="feedpost_link_idx")]

    def __str__(self) -> str:
        return self.title
