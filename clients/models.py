"""Clients and the history of their consent to be contacted."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients import wallclock
from clients.managers import (
    AppointmentQuerySet,
    ClientQuerySet,
    ConsentRecordQuerySet,
    PlannedAssignmentQuerySet,
    QuestionnairePlanQuerySet,
)
from practice.managers import PracticeOwnersQuerySet


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


# --- Appointments --------------------------------------------------------------------------------------------


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("Did not attend")


class AppointmentKind(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")


#: Statuses that hold the therapist's time: only a cancelled appointment frees it.
HOLDS_TIME = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)
DURATION_MINUTES = (5, 600)
#: What a person is told about a length outside ``DURATION_MINUTES``, wherever it was entered.
DURATION_MESSAGE = _("A session lasts from 5 to 600 minutes (10 hours).")


class Appointment(models.Model):
    """One session of a client with a therapist; stored in UTC, shown and emailed in the practice's zone.

    ``uid`` and ``sequence`` are the calendar invitation's UID and SEQUENCE: the UID never changes,
    the sequence goes up with every change the client's calendar should take (time, place, cancellation).
    ``next_reminder_at`` is when the next reminder falls due, so the beat reads one index.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("client"))
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("therapist")
    )
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=50,
        validators=[
            MinValueValidator(DURATION_MINUTES[0], message=DURATION_MESSAGE),
            MaxValueValidator(DURATION_MINUTES[1], message=DURATION_MESSAGE),
        ],
    )
    ends_at = models.DateTimeField(_("ends"), editable=False)
    kind = models.CharField(
        _("kind"), max_length=20, choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON
    )
    location = models.CharField(
        _("location"),
        max_length=300,
        blank=True,
        help_text=_("Where the client should come; the practice's address when left empty. Sent to the client."),
    )
    meeting_url = models.URLField(
        _("meeting link"), max_length=500, blank=True, help_text=_("For online sessions. Sent to the client.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    note = models.TextField(_("private note"), blank=True, help_text=_("For you only: never emailed."))
    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    next_reminder_at = models.DateTimeField(_("next reminder"), null=True, blank=True, editable=False)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0, editable=False)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True, editable=False)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("booked by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["therapist", "starts_at"], name="appointment_therapist_idx"),
            models.Index(fields=["client", "starts_at"], name="appointment_client_idx"),
            models.Index(fields=["status", "next_reminder_at"], name="appointment_reminder_idx"),
            # The beat's questionnaire plans look at appointments in a window around now (``due_plan_moments``).
            models.Index(fields=["starts_at"], name="appointment_starts_idx"),
            models.Index(fields=["ends_at"], name="appointment_ends_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AppointmentStatus.values), name="appointment_status_valid"
            ),
            models.CheckConstraint(condition=models.Q(kind__in=AppointmentKind.values), name="appointment_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=DURATION_MINUTES[0], duration_minutes__lte=DURATION_MINUTES[1]
                ),
                name="appointment_duration_valid",
                violation_error_message=DURATION_MESSAGE,
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after",
                violation_error_message=_("The end must come after the start."),
            ),
        ]

    def __str__(self) -> str:
        if self.starts_at is None:
            return str(_("New appointment"))
        when = self.local_start.strftime("%a %d %b %Y %H:%M")
        return f"{self.client} · {when}" if self.client_id else when

    def save(self, *args, **kwargs) -> None:
        if isinstance(self.starts_at, datetime.datetime) and timezone.is_aware(self.starts_at):
            self.starts_at = self.starts_at.astimezone(datetime.UTC)
        self.ends_at = self.computed_end()
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "ends_at"}
        super().save(*args, **kwargs)

    def full_clean(self, *args, **kwargs) -> None:
        self.ends_at = self.computed_end()
        super().full_clean(*args, **kwargs)

    def validate_constraints(self, exclude=None) -> None:
        """The end derives from the length: a length already refused leaves nothing more to say about the end."""
        exclude = set(exclude or ())
        if "duration_minutes" in exclude or "starts_at" in exclude:
            exclude.add("ends_at")
        super().validate_constraints(exclude=exclude)

    def computed_end(self) -> datetime.datetime | None:
        """The start plus the length in real minutes: the arithmetic is in UTC, never on a local clock."""
        if not isinstance(self.starts_at, datetime.datetime) or not isinstance(self.duration_minutes, int):
            return None
        if timezone.is_naive(self.starts_at):
            return None
        return self.starts_at.astimezone(datetime.UTC) + datetime.timedelta(minutes=self.duration_minutes)

    @property
    def time_zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.client.practice.time_zone)

    @property
    def local_start(self) -> datetime.datetime:
        return timezone.localtime(self.starts_at, self.time_zone)

    @property
    def local_end(self) -> datetime.datetime:
        return timezone.localtime(self.computed_end(), self.time_zone)

    def conflicts(self) -> models.QuerySet:
        """Other appointments that hold this therapist's or this client's time while this one would."""
        ends_at = self.computed_end()
        others = Appointment.objects.filter(status__in=HOLDS_TIME).overlapping(self.starts_at, ends_at)
        if self.pk:
            others = others.exclude(pk=self.pk)
        return others.filter(models.Q(therapist_id=self.therapist_id) | models.Q(client_id=self.client_id))

    def conflict_errors(self) -> dict[str, list[str]]:
        """A clear message for each clash, naming the time but never another client."""
        if self.status not in HOLDS_TIME or self.starts_at is None or self.duration_minutes is None:
            return {}
        errors: dict[str, list[str]] = {}
        for other in self.conflicts().select_related("client__practice")[:3]:
            start, end = other.local_start, other.local_end
            times = {
                "day": start.strftime("%A %d %B %Y"),
                "start": wallclock.clock_text(start, other.time_zone),
                "end": wallclock.clock_text(end, other.time_zone),
            }
            if other.therapist_id == self.therapist_id:
                message = _("The therapist already has an appointment on %(day)s from %(start)s to %(end)s.")
            else:
                message = _("The client already has an appointment on %(day)s from %(start)s to %(end)s.")
            errors.setdefault("starts_at", []).append(message % times)
        return errors

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        client = self.client if self.client_id else None
        if client is not None and self.therapist_id:
            from practice.models import Membership

            if not Membership.objects.filter(practice_id=client.practice_id, user_id=self.therapist_id).exists():
                errors.setdefault("therapist", []).append(_("The therapist must work in the client's practice."))
        if client is not None and self._state.adding and client.status == ClientStatus.DISCHARGED:
            errors.setdefault("client", []).append(_("This client has been discharged; reactivate them first."))
        if isinstance(self.starts_at, datetime.datetime) and timezone.is_aware(self.starts_at):
            try:
                wallclock.checked_instant(self.starts_at)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if self.kind == AppointmentKind.ONLINE and not self.meeting_url:
            errors.setdefault("meeting_url", []).append(_("An online appointment needs a meeting link."))
        if client is not None and self.therapist_id and not errors:
            errors.update(self.conflict_errors())
        if errors:
            raise ValidationError(errors)


#: A plan's questionnaire goes at most this many hours before (or after) an appointment: two weeks.
PLAN_HOURS_MAX = 14 * 24


class PlanTiming(models.TextChoices):
    BEFORE_EACH = "before_each", _("before every appointment")
    BEFORE_EVERY_OTHER = "before_every_other", _("before every other appointment")
    AFTER_EACH = "after_each", _("after every appointment")


class QuestionnairePlan(models.Model):
    """A questionnaire tied to a client's sessions: 'send X N hours before (or after) every appointment'.

    The beat makes one assignment per appointment when its moment comes, through the engine's
    ``assignment_create``; each decision (sent or skipped) is a ``PlannedAssignment`` row.
    """

    #: What a plan says about each questionnaire it sends, after when: shown in this order by the admin and the API.
    SENDING_FIELDS = ("expires_in_days", "message", "release_scores", "active", "created_by", "created_at")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="questionnaire_plans", verbose_name=_("client")
    )
    instrument = models.ForeignKey(
        "assessments.Instrument", on_delete=models.PROTECT, related_name="+", verbose_name=_("questionnaire")
    )
    timing = models.CharField(_("when"), max_length=30, choices=PlanTiming.choices, default=PlanTiming.BEFORE_EACH)
    hours = models.PositiveSmallIntegerField(
        _("hours"),
        default=24,
        validators=[MaxValueValidator(PLAN_HOURS_MAX)],
        help_text=_("How many hours before the start (or after the end) of the appointment; at most two weeks."),
    )
    expires_in_days = models.PositiveSmallIntegerField(
        _("the link works for (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    message = models.TextField(_("personal message"), blank=True, max_length=1000)
    release_scores = models.BooleanField(_("show the client their scores"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = QuestionnairePlanQuerySet.as_manager()

    class Meta:
        ordering = ["client", "-created_at"]
        verbose_name = _("questionnaire plan")
        verbose_name_plural = _("questionnaire plans")
        constraints = [
            models.CheckConstraint(condition=models.Q(timing__in=PlanTiming.values), name="plan_timing_valid"),
            # The beat looks for plans' moments within this many hours of now (``due_plan_moments``).
            models.CheckConstraint(
                condition=models.Q(hours__lte=PLAN_HOURS_MAX),
                name="plan_hours_at_most_two_weeks",
                violation_error_message=_("At most two weeks (336 hours)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.hours}h {self.get_timing_display()}"

    def clean(self) -> None:
        if self.timing != PlanTiming.AFTER_EACH and self.hours is not None and self.hours < 1:
            raise ValidationError({"hours": _("A questionnaire before the appointment needs at least 1 hour.")})
        if self.instrument_id and self.instrument.published_version is None:
            raise ValidationError({"instrument": _("Only a published questionnaire can be planned.")})


class PlannedAssignment(models.Model):
    """A plan's decision for one appointment, made once: the assignment it created, or why it skipped."""

    plan = models.ForeignKey(
        QuestionnairePlan, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("plan")
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="planned_assignments", verbose_name=_("appointment")
    )
    assignment = models.ForeignKey(
        "assessments.Assignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignment"),
    )
    skipped = models.BooleanField(_("skipped"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("decided"), auto_now_add=True)

    objects = PlannedAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("planned questionnaire")
        verbose_name_plural = _("planned questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["plan", "appointment"], name="planned_assignment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.appointment}"


class ErasureRecord(models.Model):
    """That a client's record was erased, by whom and when, and how many rows went: never who they were."""

    practice = models.ForeignKey(
        "practice.Practice", on_delete=models.PROTECT, related_name="erasures", verbose_name=_("practice")
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("erased by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    client_number = models.PositiveBigIntegerField(_("client number"), help_text=_("The erased record's number."))
    counts = models.JSONField(_("rows removed or anonymised"), default=dict)

    objects = PracticeOwnersQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")

    def __str__(self) -> str:
        return f"Client #{self.client_number} erased {self.at:%Y-%m-%d}"


from clients.couples.models import Couple, CoupleAssignment, CoupleAssignmentStatus  # noqa: E402, F401
