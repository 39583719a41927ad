"""A couple links two clients of one practice; a couple assignment asks both of them one questionnaire."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CoupleQuerySet(models.QuerySet):
    """A couple is seen by whoever may see both partners: their shared therapist, or the practice's owner."""

    def for_user(self, user) -> CoupleQuerySet:
        from clients.models import Client

        visible = Client.objects.for_user(user).values("pk")
        return self.filter(partner_a__in=visible, partner_b__in=visible)

    def active(self) -> CoupleQuerySet:
        return self.filter(ended_at__isnull=True)

    def of(self, client) -> CoupleQuerySet:
        return self.filter(models.Q(partner_a=client) | models.Q(partner_b=client))


class CoupleAssignmentQuerySet(models.QuerySet):
    def for_user(self, user) -> CoupleAssignmentQuerySet:
        return self.filter(couple__in=Couple.objects.for_user(user).values("pk"))


class Couple(models.Model):
    """Two clients of one practice seen together. Unlinking ends the couple; each partner's history stays theirs.

    ``share_agreed_*_at``: when each partner agreed that a joint summary (scales and the three lists, never
    either partner's answers) may be shared with both of them, as the therapist recorded it.
    """

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="couples", verbose_name=_("practice")
    )
    partner_a = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="couples_as_a", verbose_name=_("partner")
    )
    partner_b = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="couples_as_b", verbose_name=_("other partner")
    )
    share_agreed_a_at = models.DateTimeField(_("first partner agreed to share"), null=True, blank=True)
    share_agreed_b_at = models.DateTimeField(_("second partner agreed to share"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    ended_at = models.DateTimeField(_("unlinked"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )

    objects = CoupleQuerySet.as_manager()

    class Meta:
        app_label = "clients"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("couple")
        verbose_name_plural = _("couples")
        constraints = [
            models.CheckConstraint(condition=~models.Q(partner_a=models.F("partner_b")), name="couple_two_people"),
            models.UniqueConstraint(
                fields=["partner_a", "partner_b"], condition=models.Q(ended_at__isnull=True), name="couple_linked_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_a} & {self.partner_b}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def partners(self) -> tuple:
        return (self.partner_a, self.partner_b)

    @property
    def both_agreed_to_share(self) -> bool:
        return self.share_agreed_a_at is not None and self.share_agreed_b_at is not None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.partner_a_id and self.partner_b_id:
            if self.partner_a_id == self.partner_b_id:
                errors.setdefault("partner_b", []).append(_("A couple is two different clients."))
            elif self.partner_a.practice_id != self.partner_b.practice_id:
                errors.setdefault("partner_b", []).append(_("Both partners must be clients of the same practice."))
            elif (
                self._state.adding
                and Couple.objects.active()
                .filter(
                    models.Q(partner_a=self.partner_a_id, partner_b=self.partner_b_id)
                    | models.Q(partner_a=self.partner_b_id, partner_b=self.partner_a_id)
                )
                .exists()
            ):
                errors.setdefault("partner_b", []).append(_("These two clients are already linked as a couple."))
        if errors:
            raise ValidationError(errors)


class CoupleAssignmentStatus(models.TextChoices):
    OPEN = "open", _("Waiting for answers")
    COMPLETED = "completed", _("Both answered")
    CLOSED = "closed", _("Closed by the therapist")


class CoupleAssignment(models.Model):
    """One questionnaire asked of both partners: an ordinary assignment each, compared once both have answered.

    Complete when both partners have answered, or closed by the therapist (with one answer, say).
    ``different_order``: the second partner sees each page's questions in another order; scoring is unaffected.
    """

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("couple"))
    version = models.ForeignKey(
        "assessments.InstrumentVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("questionnaire")
    )
    assignment_a = models.OneToOneField(
        "assessments.Assignment",
        on_delete=models.CASCADE,
        related_name="couple_assignment_as_a",
        verbose_name=_("first partner's assignment"),
    )
    assignment_b = models.OneToOneField(
        "assessments.Assignment",
        on_delete=models.CASCADE,
        related_name="couple_assignment_as_b",
        verbose_name=_("second partner's assignment"),
    )
    different_order = models.BooleanField(_("each partner sees a different order"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=CoupleAssignmentStatus.choices, default=CoupleAssignmentStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    agreement = models.JSONField(
        _("joint metrics"),
        default=dict,
        blank=True,
        help_text=_("Made when both have answered: the three lists and positive agreement per scale, no answers."),
    )
    summary_released_at = models.DateTimeField(_("joint summary shared"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    objects = CoupleAssignmentQuerySet.as_manager()

    class Meta:
        app_label = "clients"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("couple questionnaire")
        verbose_name_plural = _("couple questionnaires")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CoupleAssignmentStatus.values), name="couple_assignment_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version.title} · {self.couple}"

    @property
    def is_open(self) -> bool:
        return self.status == CoupleAssignmentStatus.OPEN


class JointSummaryLinkQuerySet(models.QuerySet):
    def for_user(self, user) -> JointSummaryLinkQuerySet:
        return self.filter(couple_assignment__in=CoupleAssignment.objects.for_user(user).values("pk"))


class JointSummaryLink(models.Model):
    """A private link to a released joint summary, one per email; only the SHA-256 of its token is stored."""

    couple_assignment = models.ForeignKey(CoupleAssignment, on_delete=models.CASCADE, related_name="summary_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))

    objects = JointSummaryLinkQuerySet.as_manager()

    class Meta:
        app_label = "clients"
        verbose_name = _("joint summary link")
        verbose_name_plural = _("joint summary links")

    def __str__(self) -> str:
        return f"summary link {self.pk} to couple questionnaire {self.couple_assignment_id}"
