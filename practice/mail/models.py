"""Mail delivery: the outbox, the batches bulk mail is sent in, the suppression list and the delivery state.

This app knows messages and batches only. Who a message is for and whether it is still wanted are
the business of the app that queued it, asked through the hooks in ``practice.mail.hooks``.
Table names are the ones these models had when they lived in the practice app, so no data moved.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.fields import NormalisedEmailField
from practice.managers import PracticeWideQuerySet
from practice.models import Practice


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


#: Messages not yet settled one way or the other.
OPEN_EMAIL_STATUSES = (EmailStatus.PENDING, EmailStatus.SENDING, EmailStatus.DEFERRED)


class BatchStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    FINISHED = "finished", _("Finished")


class Batch(models.Model):
    """Messages sent together (one newsletter issue): paused, resumed, cancelled and finished as one.

    A batch finishes when none of its messages is open any more; ``practice.mail.hooks.batch_finished``
    then tells whoever made it.

    Messages that are the same for every recipient but for their address and private links (a newsletter)
    store that body once, here, and none of their own; ``practice.mail.outbox.stored_parts`` puts each
    recipient's address where it holds ``RECIPIENT_PLACEHOLDER`` as the message goes. One body instead of
    100,000 copies is what lets a hosted practice's campaign be written in seconds (``bench/newsletter.py``).
    """

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="mail_batches")
    label = models.CharField(_("label"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BatchStatus.choices, default=BatchStatus.SENDING)
    body_text = models.TextField(_("shared text"), blank=True)
    body_html = models.TextField(_("shared HTML"), blank=True)
    headers = models.JSONField(_("shared headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=BatchStatus.values), name="mail_batch_status_valid"),
        ]

    def __str__(self) -> str:
        return self.label or str(_("Batch %(pk)s") % {"pk": self.pk})


class OutboundEmail(models.Model):
    """One message in the outbox: made in the business transaction, claimed before sending, sent once.

    ``idempotency_key`` makes creating the same message twice a no-op (``assignment:3:reminder:1``).
    ``message_id`` is fixed here so a retry carries the same Message-ID.
    ``personaliser`` names the hook asked at send time whether the message is still wanted, and which
    private link to fill in (``practice.mail.hooks``); ``personalise_id`` is the object it asks about.
    """

    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="outbound_emails", verbose_name=_("practice")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)  # unique: Meta.constraints
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    to_email = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"), blank=True, help_text=_("Empty when the message uses its batch's body."))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=250)  # unique: Meta.constraints
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
    batch = models.ForeignKey(
        Batch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("batch"),
        db_index=False,  # outbox_batch_idx (batch, status) serves it; one index less to write per message
    )
    personaliser = models.CharField(
        _("personalised by"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Asked at send time whether the message is still wanted, and for its private link."),
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
        db_table = "practice_outboundemail"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("email")
        verbose_name_plural = _("sent emails")
        indexes = [
            # Claims walk the waiting rows in due order (and stop after a batch): a partial index holds only
            # those, so a 100,000-row campaign is claimed without sorting it (about 110 ms a claim before),
            # and a row that moves on to sending or sent leaves it.
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED]),
                name="outbox_due_idx",
            ),
            # The same for messages to one person, which claims take first (``outbox.claim``).
            models.Index(
                fields=["due_at", "id"],
                condition=models.Q(status__in=[EmailStatus.PENDING, EmailStatus.DEFERRED], batch__isnull=True),
                name="outbox_due_single_idx",
            ),
            # Leases: what the heartbeat renews and what a dead worker leaves behind.
            models.Index(
                fields=["lease_expires_at"], condition=models.Q(status=EmailStatus.SENDING), name="outbox_lease_idx"
            ),
            models.Index(fields=["batch", "status"], name="outbox_batch_idx"),
            models.Index(fields=["personaliser", "personalise_id"], name="outbox_personalised_idx"),
        ]
        constraints = [
            # Constraints rather than ``unique=True``, which on PostgreSQL also builds a ``LIKE`` index on each
            # of these fields that no query uses: every message is written once and moved three times (claimed,
            # going, sent), and each write of a row fed those two indexes too. Named as ``unique=True`` named
            # them, so that the change (mail 0006) renames and rebuilds nothing on a large outbox.
            models.UniqueConstraint(fields=["idempotency_key"], name="practice_outboundemail_idempotency_key_key"),
            models.UniqueConstraint(fields=["message_id"], name="practice_outboundemail_message_id_key"),
            models.CheckConstraint(condition=models.Q(status__in=EmailStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=EmailStatus.SENDING) | models.Q(lease_expires_at__isnull=False),
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
    """An address we must not email again (bulk mail)."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="suppressions")
    email = NormalisedEmailField(_("email"))
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    detail = models.TextField(_("detail"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PracticeWideQuerySet.as_manager()

    class Meta:
        db_table = "practice_suppression"
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")
        constraints = [models.UniqueConstraint(fields=["practice", "email"], name="suppression_unique_email")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_reason_display().lower()})"


class DeliveryState(models.Model):
    """The one row that says whether sending is paused (after repeated SMTP failures) and why."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    paused = models.BooleanField(_("paused"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive connection failures"), default=0)

    class Meta:
        db_table = "practice_deliverystate"
        verbose_name = _("delivery state")
        verbose_name_plural = _("delivery state")

    def __str__(self) -> str:
        return str(_("Sending paused") if self.paused else _("Sending"))
