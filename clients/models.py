"""Clients and the history of their consent to be contacted."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.managers import ClientQuerySet, ConsentRecordQuerySet


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    DISCHARGED = "discharged", _("Discharged")


class Channel(models.TextChoices):
    """What a client may be emailed about; each has its own consent."""

    QUESTIONNAIRES = "questionnaires", _("Questionnaires")
    APPOINTMENT_REMINDERS = "appointment_reminders", _("Appointment reminders")
    NEWSLETTER = "newsletter", _("Newsletter")


class Client(models.Model):
    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="clients", verbose_name=_("practice")
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clients", verbose_name=_("therapist")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(
        _("preferred name"), max_length=100, blank=True, help_text=_("What the client likes to be called.")
    )
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ClientStatus.choices, default=ClientStatus.ACTIVE)

    consent_questionnaires = models.BooleanField(_("questionnaire emails"), default=False)
    consent_questionnaires_at = models.DateTimeField(_("questionnaire consent changed"), null=True, blank=True)
    consent_appointment_reminders = models.BooleanField(_("appointment reminders"), default=False)
    consent_appointment_reminders_at = models.DateTimeField(
        _("appointment reminder consent changed"), null=True, blank=True
    )
    consent_newsletter = models.BooleanField(_("newsletter"), default=False)
    consent_newsletter_at = models.DateTimeField(_("newsletter consent changed"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [models.Index(fields=["practice", "therapist", "status"], name="client_scope_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ClientStatus.values), name="client_status_valid"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}".strip()

    @staticmethod
    def consent_field(channel: Channel | str) -> str:
        return f"consent_{Channel(channel).value}"

    def has_consent(self, channel: Channel | str) -> bool:
        return bool(getattr(self, self.consent_field(channel)))

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.date_of_birth:
            today = timezone.localdate()
            if self.date_of_birth > today:
                errors.setdefault("date_of_birth", []).append(_("The date of birth cannot be in the future."))
            elif self.date_of_birth < today - datetime.timedelta(days=125 * 366):
                errors.setdefault("date_of_birth", []).append(_("Please check the year of birth."))
        if self.practice_id and self.therapist_id:
            from practice.models import Membership

            if not Membership.objects.filter(practice_id=self.practice_id, user_id=self.therapist_id).exists():
                errors.setdefault("therapist", []).append(_("The therapist must work in the client's practice."))
        if errors:
            raise ValidationError(errors)


class ConsentRecord(models.Model):
    """One change of a client's consent to a channel: who, when, how. Never edited."""

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consent_records", verbose_name=_("client")
    )
    channel = models.CharField(_("channel"), max_length=30, choices=Channel.choices)
    given = models.BooleanField(_("consent given"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    source = models.CharField(
        _("how"), max_length=200, help_text=_("How the change was made, e.g. 'client record in admin'.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=Channel.values), name="consent_channel_valid"),
        ]

    def __str__(self) -> str:
        verb = _("gave") if self.given else _("withdrew")
        return f"{self.client} {verb} consent to {self.get_channel_display().lower()}"
