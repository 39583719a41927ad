"""The practice and the people who work in it."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.managers import MembershipQuerySet, PracticeQuerySet, PracticeWideQuerySet


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone, e.g. Europe/London."), params={"value": value})


class Practice(models.Model):
    """One practice: what its emails say about it and whose time it keeps."""

    name = models.CharField(_("name"), max_length=120)
    contact_email = models.EmailField(_("contact email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    postal_address = models.TextField(
        _("postal address"), blank=True, help_text=_("Shown in the footer of every email.")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    sender_name = models.CharField(
        _("sender name"), max_length=120, help_text=_("The name clients see in their inbox.")
    )
    sender_email = models.EmailField(_("sender address"), help_text=_("The address emails are sent from."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")

    def __str__(self) -> str:
        return self.name

    @property
    def from_email(self) -> str:
        """The From header for mail sent on the practice's behalf."""
        from email.utils import formataddr

        return formataddr((self.sender_name, self.sender_email))


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    THERAPIST = "therapist", _("Therapist")


class Membership(models.Model):
    """A staff user's place in a practice; the role decides how much of it they see."""

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("practice")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="practice_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.THERAPIST)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["practice", "user__last_name", "user__first_name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["practice", "user"], name="membership_unique_user_per_practice"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.get_role_display()}, {self.practice})"


#: The auth group that carries each role's permissions (created by migrations).
ROLE_GROUPS: dict[str, str] = {Role.OWNER: "Practice owners", Role.THERAPIST: "Therapists"}


class EmailKind(models.TextChoices):
    EMAIL_CHECK = "email_check", _("Test email")
    INVITATION = "invitation", _("Questionnaire invitation")
    REMINDER = "reminder", _("Questionnaire reminder")
    APPOINTMENT = "appointment", _("Appointment email")
    NEWSLETTER = "newsletter", _("Newsletter")
    CONFIRMATION = "confirmation", _("Subscription confirmation")
    NOTIFICATION = "notification", _("Notification to staff")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DEFERRED = "deferred", _("Temporary failure, will retry")
    FAILED = "failed", _("Permanent failure")
    SUPPRESSED = "suppressed", _("Suppressed")
    CANCELLED = "cancelled", _("Cancelled")


class OutboundEmail(models.Model):
    """One message in the outbox: made in the business transaction, claimed before sending, sent once.

    ``idempotency_key`` makes creating the same message twice a no-op (``campaign:7:subscriber:12``,
    ``assignment:3:reminder:1``). ``message_id`` is fixed here so a retry carries the same Message-ID.
    """

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="outbound_emails", verbose_name=_("practice")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    to_email = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    resend_if_lost = models.BooleanField(
        _("resend if lost"),
        default=False,
        help_text=_(
            "If a worker dies while sending this, send it again (invitations). Otherwise mark it failed, "
            "so nobody gets a newsletter or reminder twice."
        ),
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    due_at = models.DateTimeField(_("due"), help_text=_("Not sent before this time; retries move it later."))
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    lease_token = models.CharField(_("lease token"), max_length=32, blank=True, editable=False)
    transmitting_since = models.DateTimeField(
        _("handed to the mail server"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set just before this attempt talks to the mail server; a lost row without it was never sent."),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    campaign = models.ForeignKey(
        "practice.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    subscriber = models.ForeignKey(
        "practice.Subscriber", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    personaliser = models.CharField(
        _("personalised by"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Fills in a private link as the message is sent, so the link itself is never stored."),
    )
    personalise_id = models.BigIntegerField(null=True, blank=True, editable=False)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Text files sent with the message, e.g. a calendar invitation: filename, MIME type, content."),
    )

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(fields=["status", "due_at"], name="outbox_claim_idx"),
            models.Index(fields=["campaign", "status"], name="outbox_campaign_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=EmailStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="sending") | models.Q(lease_expires_at__isnull=False),
                name="outbox_sending_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_email} ({self.get_status_display().lower()})"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Complaint")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    MANUAL = "manual", _("Added by staff")


class Suppression(models.Model):
    """An address we must not email again (bulk mail), kept lowercase."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="suppressions")
    email = models.EmailField(_("email"))
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [models.UniqueConstraint(fields=["practice", "email"], name="suppression_unique_email")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display().lower()})"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the unique check, so a differently-cased duplicate is a form error, not a crash.
        self.email = (self.email or "").strip().lower()


class DeliveryState(models.Model):
    """The one row that says whether sending is paused (after repeated SMTP failures) and why."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    paused = models.BooleanField(_("paused"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive connection failures"), default=0)

    class Meta:
        verbose_name = _("delivery state")
        verbose_name_plural = _("delivery state")

    def __str__(self) -> str:
        return str(_("Sending paused") if self.paused else _("Sending"))


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


class Subscriber(models.Model):
    """Someone who asked for the practice's newsletter, with the consent wording they agreed to."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="subscribers")
    email = models.EmailField(_("email"))
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
        constraints = [
            models.UniqueConstraint(fields=["practice", "email"], name="subscriber_unique_email"),
            models.CheckConstraint(
                condition=models.Q(status__in=SubscriberStatus.values), name="subscriber_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the unique check, so a differently-cased duplicate is a form error, not a crash.
        self.email = (self.email or "").strip().lower()


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

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("newsletter campaign")
        verbose_name_plural = _("newsletter campaigns")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
        ]

    def __str__(self) -> str:
        return self.subject
