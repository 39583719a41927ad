"""The practice and the people who work in it."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from practice.managers import MembershipQuerySet, PracticeQuerySet
from practice.people import person_name


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
        return f"{person_name(self.user)} ({self.get_role_display()}, {self.practice})"


#: The auth group that carries each role's permissions (created by migrations).
ROLE_GROUPS: dict[str, str] = {Role.OWNER: "Practice owners", Role.THERAPIST: "Therapists"}
