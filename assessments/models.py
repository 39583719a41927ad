"""Instruments, their immutable versions, and responses that point at the version they answered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.app_settings import owner_model_label, respondent_model_label
from assessments.managers import (
    AssignmentQuerySet,
    AssignmentScheduleQuerySet,
    InstrumentContentQuerySet,
    InstrumentQuerySet,
    RespondentScopedQuerySet,
    ResponseQuerySet,
)


class VersionLocked(ValidationError):
    """Raised when something tries to change a version that is no longer a draft."""


class InstrumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ItemType(models.TextChoices):
    SECTION = "section", _("Section heading (starts a page)")
    DISPLAY = "display", _("Text to read")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    INTEGER = "integer", _("Whole number")
    TEXT = "text", _("Free text")


class Healthy(models.TextChoices):
    """Which answers to a question are healthy for a relationship, for comparing two partners' answers."""

    HIGH = "high", _("Higher answers")
    LOW = "low", _("Lower answers")


class ScaleMethod(models.TextChoices):
    SUM = "sum", _("Sum")
    MEAN = "mean", _("Mean")


class Instrument(models.Model):
    """A questionnaire across all its versions; the slug is how people and URLs name it.

    With no owner it is in the library: everyone the host lets see instruments may assign it, only
    superusers change it. With an owner (the host's ``ASSESSMENTS_OWNER_MODEL``, a practice in Tandem)
    only that owner's people see, change and assign it. ``PROTECT``: deleting an owner never turns its
    private questionnaires into library ones or deletes answered versions.
    """

    slug = models.SlugField(
        _("short name"),
        max_length=100,
        unique=True,
        help_text=_("Names the questionnaire in web addresses, files and imports, e.g. phq-9."),
    )
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(
        owner_model_label(),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessment_instruments",
        verbose_name=_("owner"),
        help_text=_("Empty: in the library, shared by everyone and changed only by superusers."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.title

    @property
    def published_version(self) -> InstrumentVersion | None:
        return self.versions.published().first()

    @property
    def is_library(self) -> bool:
        return self.owner_id is None


class InstrumentVersionQuerySet(InstrumentQuerySet):
    instrument_path = "instrument"

    def published(self) -> InstrumentVersionQuerySet:
        return self.filter(status=InstrumentStatus.PUBLISHED)


class InstrumentVersion(models.Model):
    """One version of an instrument. Only drafts change; publishing freezes the content for good."""

    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("questionnaire")
    )
    number = models.PositiveIntegerField(_("number"), help_text=_("1, 2, 3… in order of creation."))
    label = models.CharField(_("version label"), max_length=40, default="1", help_text=_("e.g. 1.0 or 2024"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description for the therapist"), blank=True)
    instructions = models.TextField(
        _("instructions"), blank=True, help_text=_("Shown to the person answering, before the first question.")
    )
    copyright = models.TextField(_("copyright and licence"), blank=True)
    url = models.CharField(
        _("canonical URL"),
        max_length=500,
        blank=True,
        help_text=_("The URL other systems know this questionnaire by, such as the imported FHIR Questionnaire's."),
    )
    couples = models.BooleanField(
        _("suited to couples"),
        default=False,
        help_text=_("Each partner answers on their own; the couple report compares their answers item by item."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InstrumentStatus.choices, default=InstrumentStatus.DRAFT
    )
    definition = models.JSONField(
        _("published definition"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The canonical document, frozen when the version is published; scoring uses it."),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InstrumentVersionQuerySet.as_manager()

    CONTENT_FIELDS = (
        "instrument_id",
        "number",
        "label",
        "title",
        "description",
        "instructions",
        "copyright",
        "couples",
    )

    class Meta:
        ordering = ["instrument", "-number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["instrument"],
                condition=models.Q(status=InstrumentStatus.PUBLISHED),
                name="one_published_version_per_instrument",
            ),
            models.CheckConstraint(condition=models.Q(status__in=InstrumentStatus.values), name="version_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status=InstrumentStatus.DRAFT) | models.Q(definition__isnull=False),
                name="published_version_has_definition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.label}, {self.get_status_display().lower()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self.is_draft:
            stored = type(self).objects.filter(pk=self.pk).values(*self.CONTENT_FIELDS, "status").first()
            if stored and stored["status"] != InstrumentStatus.DRAFT:
                changed = [name for name in self.CONTENT_FIELDS if stored[name] != getattr(self, name)]
                if changed:
                    raise VersionLocked(
                        _("Version %(label)s is %(status)s; its content cannot change. Make a new version."),
                        params={"label": self.label, "status": self.get_status_display().lower()},
                    )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        if not self.is_draft:
            raise VersionLocked(_("Only draft versions can be deleted; retire a published one instead."))
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == InstrumentStatus.DRAFT


class DraftContent(models.Model):
    """Content of a version (items, scales…): it may change only while its version is a draft."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        self._check_draft()
        return super().delete(*args, **kwargs)

    def owning_version_id(self) -> int | None:
        raise NotImplementedError

    def _check_draft(self) -> None:
        version_id = self.owning_version_id()
        if version_id is None:
            return
        status = InstrumentVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
        if status is not None and status != InstrumentStatus.DRAFT:
            raise VersionLocked(_("This version is no longer a draft; make a new version to change it."))


class AnswerScale(DraftContent):
    """A set of labelled answers several items share, e.g. 'Strongly disagree' (1) to 'Strongly agree' (5)."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="answer_scales")
    key = models.CharField(_("key"), max_length=100)
    label = models.CharField(_("label"), max_length=200, blank=True)

    objects = InstrumentContentQuerySet.as_manager()

    class Meta:
        ordering = ["version", "pk"]
        verbose_name = _("answer scale")
        verbose_name_plural = _("answer scales")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="answer_scale_key_unique")]

    def __str__(self) -> str:
        return self.label or self.key

    def owning_version_id(self) -> int | None:
        return self.version_id


class Item(DraftContent):
    """One entry of the questionnaire, in order, with a key that stays stable across versions."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.CharField(_("key"), max_length=100, help_text=_("Stable identifier, like FHIR's linkId."))
    type = models.CharField(_("type"), max_length=20, choices=ItemType.choices)
    text = models.TextField(_("text"))
    required = models.BooleanField(_("required"), default=False)
    reverse_keyed = models.BooleanField(
        _("reverse-keyed"), default=False, help_text=_("Scored the other way round: min + max - answer.")
    )
    healthy = models.CharField(
        _("healthy answers"),
        max_length=4,
        choices=Healthy.choices,
        blank=True,
        help_text=_("For couples: which answers are healthy. Empty: derived from the scoring."),
    )
    answer_scale = models.ForeignKey(
        AnswerScale, on_delete=models.RESTRICT, null=True, blank=True, related_name="items"
    )
    min_value = models.IntegerField(_("minimum"), null=True, blank=True)
    max_value = models.IntegerField(_("maximum"), null=True, blank=True)
    enable_when = models.JSONField(
        _("show only when"),
        null=True,
        blank=True,
        help_text=_('e.g. {"behavior": "all", "conditions": [{"item": "q1", "operator": ">=", "answer": 3}]}'),
    )
    risk_threshold = models.FloatField(
        _("risk threshold"),
        null=True,
        blank=True,
        help_text=_("Flag the response for the therapist when the answer is at or above this value."),
    )
    risk_label = models.CharField(_("risk label"), max_length=200, blank=True)

    objects = InstrumentContentQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="item_key_unique"),
            models.CheckConstraint(condition=models.Q(healthy__in=["", *Healthy.values]), name="item_healthy_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.text[:60]}"

    def owning_version_id(self) -> int | None:
        return self.version_id

    def clean(self) -> None:
        errors: dict[str, str] = {}
        choice = self.type in (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)
        if self.reverse_keyed and self.type != ItemType.SINGLE_CHOICE:
            errors["reverse_keyed"] = _("Only single-choice items can be reverse-keyed.")
        if self.healthy and self.type not in (ItemType.SINGLE_CHOICE, ItemType.INTEGER):
            errors["healthy"] = _("Only single-choice and whole-number items have answers to compare.")
        if self.answer_scale_id and not choice:
            errors["answer_scale"] = _("Only choice items have answers to choose from.")
        if self.answer_scale_id and self.version_id and self.answer_scale.version_id != self.version_id:
            errors["answer_scale"] = _("Choose an answer scale of this version.")
        if self.type != ItemType.INTEGER and (self.min_value is not None or self.max_value is not None):
            errors["min_value"] = _("Only whole-number items have a minimum and maximum.")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            errors["min_value"] = _("The minimum is above the maximum.")
        if self.required and self.type in (ItemType.SECTION, ItemType.DISPLAY):
            errors["required"] = _("Headings and text ask nothing, so they cannot be required.")
        if self.risk_threshold is not None and self.type not in (ItemType.SINGLE_CHOICE, ItemType.INTEGER):
            errors["risk_threshold"] = _("Only single-choice and whole-number items can carry a risk threshold.")
        if errors:
            raise ValidationError(errors)


class AnswerOption(DraftContent):
    """One answer of an answer scale or of a single item: the code is stored, the value is scored."""

    answer_scale = models.ForeignKey(
        AnswerScale, on_delete=models.CASCADE, null=True, blank=True, related_name="options"
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, null=True, blank=True, related_name="options")
    order = models.PositiveIntegerField(_("order"), default=0)
    code = models.CharField(_("code"), max_length=200)
    label = models.CharField(_("label"), max_length=500)
    value = models.IntegerField(_("score"), null=True, blank=True)
    system = models.CharField(_("code system"), max_length=500, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(answer_scale__isnull=True, item__isnull=False)
                | models.Q(answer_scale__isnull=False, item__isnull=True),
                name="option_belongs_to_scale_or_item",
            ),
        ]

    def __str__(self) -> str:
        return self.label if self.value is None else f"{self.label} ({self.value})"

    def owning_version_id(self) -> int | None:
        if self.answer_scale_id:
            return AnswerScale.objects.filter(pk=self.answer_scale_id).values_list("version_id", flat=True).first()
        return Item.objects.filter(pk=self.item_id).values_list("version_id", flat=True).first()


class Scale(DraftContent):
    """A score computed from some items: the total or a subscale, with its bands and parameters."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="scales")
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.CharField(_("key"), max_length=100)
    label = models.CharField(_("label"), max_length=200)
    is_total = models.BooleanField(_("is the total"), default=False)
    items = models.ManyToManyField(Item, related_name="scales", blank=True)
    method = models.CharField(_("method"), max_length=10, choices=ScaleMethod.choices, default=ScaleMethod.SUM)
    max_missing = models.PositiveIntegerField(
        _("answers that may be missing"),
        default=0,
        help_text=_("Missing answers up to this many are prorated from the answered items."),
    )
    clinical_cutoff = models.FloatField(_("clinical cut-off"), null=True, blank=True)
    higher_is_worse = models.BooleanField(_("higher scores are worse"), default=True)
    reference_sd = models.FloatField(_("reference SD"), null=True, blank=True, validators=[MinValueValidator(0.000001)])
    reliability = models.FloatField(
        _("reliability"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(0.999999)]
    )
    reliable_change_threshold = models.FloatField(
        _("reliable change (points)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.000001)],
        help_text=_(
            "A published reliable-change threshold in score points, instead of a reference SD and reliability."
        ),
    )
    reliable_change_source = models.TextField(_("source of the reliable-change threshold"), blank=True, default="")

    objects = InstrumentContentQuerySet.as_manager()

    class Meta:
        ordering = ["version", "order", "pk"]
        verbose_name = _("scale")
        verbose_name_plural = _("scales")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="scale_key_unique"),
            models.UniqueConstraint(
                fields=["version"], condition=models.Q(is_total=True), name="one_total_scale_per_version"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def owning_version_id(self) -> int | None:
        return self.version_id


class Band(DraftContent):
    """A range of a scale's scores with a label, a severity and what it means for the therapist."""

    scale = models.ForeignKey(Scale, on_delete=models.CASCADE, related_name="bands")
    low = models.FloatField(_("from"))
    high = models.FloatField(_("to"))
    label = models.CharField(_("label"), max_length=100)
    severity = models.IntegerField(_("severity"), default=0, help_text=_("Higher means more concern."))
    meaning = models.TextField(_("meaning"), blank=True)

    class Meta:
        ordering = ["scale", "low"]
        verbose_name = _("band")
        verbose_name_plural = _("bands")

    def __str__(self) -> str:
        return f"{self.label} ({self.low:g} to {self.high:g})"

    def owning_version_id(self) -> int | None:
        return Scale.objects.filter(pk=self.scale_id).values_list("version_id", flat=True).first()


class Response(models.Model):
    """A respondent's answers to one published version, with the scores they gave at the time."""

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="responses", verbose_name=_("version")
    )
    respondent = models.ForeignKey(
        respondent_model_label(),
        on_delete=models.CASCADE,
        related_name="assessment_responses",
        verbose_name=_("respondent"),
    )
    answers = models.JSONField(_("answers"), default=dict)
    scores = models.JSONField(_("scores"), default=dict)
    flagged = models.BooleanField(_("risk flagged"), default=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("reviewed by"),
    )

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "-pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["respondent", "completed_at"], name="response_history_idx"),
            models.Index(fields=["reviewed_at", "flagged"], name="response_review_idx"),
            # The lists' order (newest first): a page of 100 walks the index instead of sorting every response.
            models.Index(fields=["-completed_at", "-id"], name="response_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.version.title} — {self.completed_at or self.created_at:%Y-%m-%d}"


class AssignmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


#: Statuses in which the respondent's link may still be used.
OPEN_STATUSES = (
    AssignmentStatus.SCHEDULED,
    AssignmentStatus.SENT,
    AssignmentStatus.OPENED,
    AssignmentStatus.IN_PROGRESS,
)
#: Statuses in which the invitation has gone out and the respondent has not finished.
AWAITING_ANSWERS = (AssignmentStatus.SENT, AssignmentStatus.OPENED, AssignmentStatus.IN_PROGRESS)


class Assignment(models.Model):
    """One questionnaire asked of one respondent, reached through one private link.

    Only the SHA-256 of the link's token is stored; issuing a new link replaces it, so the old
    link stops working. The version is fixed when assigned: answers always belong to it.
    """

    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("version")
    )
    respondent = models.ForeignKey(
        respondent_model_label(),
        on_delete=models.CASCADE,
        related_name="assessment_assignments",
        verbose_name=_("respondent"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.SCHEDULED
    )
    schedule = models.ForeignKey(
        "AssignmentSchedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("schedule"),
    )
    link_issued_at = models.DateTimeField(_("link issued"), null=True, blank=True, editable=False)
    send_at = models.DateTimeField(_("send at"))
    expires_at = models.DateTimeField(_("expires"))
    message = models.TextField(_("personal message"), blank=True, max_length=1000)
    release_scores = models.BooleanField(
        _("show the scores to the client"), default=False, help_text=_("Off unless you choose to share them.")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    expired_at = models.DateTimeField(_("expired"), null=True, blank=True)
    invitations_sent = models.PositiveSmallIntegerField(_("invitations sent"), default=0)
    reminders_sent = models.PositiveSmallIntegerField(
        _("reminder slots used"), default=0, help_text=_("Reminder slots sent or passed over, in order.")
    )
    reminders_emailed = models.PositiveSmallIntegerField(
        _("reminders sent"),
        default=0,
        editable=False,
        help_text=_(
            "Reminder emails queued. A slot passed over, or one when the client may not be contacted, sends none."
        ),
    )
    next_reminder_at = models.DateTimeField(
        _("next reminder"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the next reminder falls due; kept by the services, so the beat reads only what is due."),
    )
    last_page = models.PositiveSmallIntegerField(_("last page saved"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True, help_text=_("Why it was not sent, for example."))
    draft_answers = models.JSONField(_("answers so far"), default=dict, blank=True)
    question_order_seed = models.PositiveIntegerField(
        _("question order"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set: each page's questions are shown in an order drawn from this number. Scoring is unaffected."),
    )
    response = models.OneToOneField(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="assignment"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-send_at", "-pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["status", "send_at"], name="assignment_due_idx"),
            # The beat's reminder and expiry steps read only rows due now, through these (issue #19).
            models.Index(
                fields=["next_reminder_at"],
                name="assignment_reminder_idx",
                condition=models.Q(next_reminder_at__isnull=False),
            ),
            models.Index(
                fields=["expires_at"], name="assignment_expiry_idx", condition=models.Q(status__in=OPEN_STATUSES)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AssignmentStatus.values), name="assignment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("send_at")), name="assignment_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version.title} ({self.get_status_display().lower()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class AssignmentLink(models.Model):
    """One working private link to an assignment; only the SHA-256 of its token is stored.

    An invitation and each reminder carry a link of their own, so an earlier email keeps working;
    resending revokes them all by deleting the rows.
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("private link")
        verbose_name_plural = _("private links")

    def __str__(self) -> str:
        return f"link {self.pk} to assignment {self.assignment_id}"


class AssignmentSchedule(models.Model):
    """Ask the same questionnaire again every few weeks, at most so many times.

    Each occurrence is its own assignment with its own link. It stops by itself after the last
    occurrence, or when the host says the respondent is no longer active (a discharged client).
    """

    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("questionnaire")
    )
    respondent = models.ForeignKey(
        respondent_model_label(),
        on_delete=models.CASCADE,
        related_name="assessment_schedules",
        verbose_name=_("respondent"),
    )
    every_weeks = models.PositiveSmallIntegerField(
        _("every (weeks)"), validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    max_occurrences = models.PositiveSmallIntegerField(
        _("at most (times)"), validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    occurrences = models.PositiveSmallIntegerField(_("assigned so far"), default=0)
    next_at = models.DateTimeField(_("next"), null=True, blank=True)
    expires_in_days = models.PositiveSmallIntegerField(_("each link lasts (days)"), default=14)
    message = models.TextField(_("personal message"), blank=True, max_length=1000)
    release_scores = models.BooleanField(_("show the scores to the client"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(_("active"), default=True)
    ended_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AssignmentScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("repeating questionnaire")
        verbose_name_plural = _("repeating questionnaires")
        indexes = [models.Index(fields=["active", "next_at"], name="schedule_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(every_weeks__gte=1, max_occurrences__gte=1), name="schedule_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.title} every {self.every_weeks} weeks"


class AccessAction(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    EXPORTED = "exported", _("Exported")
    REVIEWED = "reviewed", _("Marked reviewed")
    CHANGED = "changed", _("Changed")


class AccessEvent(models.Model):
    """Who viewed, exported or changed a respondent's answers, and when. Append-only.

    Never holds answers, scores or tokens: only who, what kind of access, to whose responses, and a
    short note (e.g. "CSV of 12 responses"). Erasing a respondent keeps the event but drops the link.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("who")
    )
    username = models.CharField(
        _("signed in as"), max_length=150, blank=True, help_text=_("Kept when the account is later deleted.")
    )
    action = models.CharField(_("what"), max_length=20, choices=AccessAction.choices)
    respondent = models.ForeignKey(
        respondent_model_label(),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessment_access_events",
        verbose_name=_("respondent"),
    )
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_events"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RespondentScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access to responses")
        verbose_name_plural = _("access to responses")
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AccessAction.values), name="access_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.username or '?'} {self.get_action_display().lower()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError("Access events are never changed.")
        super().save(*args, **kwargs)


class AdoptedReliabilityQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> AdoptedReliabilityQuerySet:
        """The adoptions that apply for ``user``: those of their scope (the host's ``reliability_scope``)."""
        from assessments.hooks import get_hooks

        scope = get_hooks().reliability_scope(user)
        return self.filter(scope=scope) if scope else self.none()


class AdoptedReliability(models.Model):
    """A scale's reliability as estimated from one practice's own responses, adopted for reliable change.

    Why a row of its own rather than ``Scale.reliability``: a published version's definition is
    frozen, and responses must keep meaning what they meant, so nothing here rewrites it. The
    estimate also belongs to whoever collected the data, not to the questionnaire: two practices
    using one library instrument each adopt their own, and neither changes what the other sees.
    So a row is keyed by the version, the scale's key and the host's *scope* (a practice in
    Tandem, see ``hooks.reliability_scope``); it overrides the version's reliability only on the
    score pages of that scope, and deleting it goes back to the published value. ``sample_sd``
    is the SD of the same responses' scale scores, used as the reference SD when the version
    gives none (Jacobson & Truax 1991 take the SD of the pre-treatment sample).
    """

    version = models.ForeignKey(
        InstrumentVersion,
        on_delete=models.CASCADE,
        related_name="adopted_reliabilities",
        verbose_name=_("version"),
    )
    scale_key = models.CharField(_("scale"), max_length=100)
    scope = models.CharField(_("scope"), max_length=100, help_text=_("Whose responses; from the host's hooks."))
    reliability = models.FloatField(_("reliability"), validators=[MinValueValidator(0), MaxValueValidator(0.999999)])
    sample_sd = models.FloatField(_("SD of the scores"), null=True, blank=True)
    n = models.PositiveIntegerField(_("responses"))
    estimated_at = models.DateTimeField(_("estimated"), default=timezone.now)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AdoptedReliabilityQuerySet.as_manager()

    class Meta:
        ordering = ["version", "scale_key"]
        verbose_name = _("adopted reliability")
        verbose_name_plural = _("adopted reliabilities")
        constraints = [
            models.UniqueConstraint(fields=["version", "scale_key", "scope"], name="adopted_reliability_unique"),
            models.CheckConstraint(
                condition=models.Q(reliability__gte=0, reliability__lt=1), name="adopted_reliability_in_range"
            ),
            models.CheckConstraint(condition=~models.Q(scope=""), name="adopted_reliability_has_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.scale_key}: {self.reliability:.2f} ({self.source})"

    @property
    def source(self) -> str:
        return _("estimated from %(n)s responses on %(date)s") % {
            "n": self.n,
            "date": timezone.localdate(self.estimated_at).isoformat(),
        }
