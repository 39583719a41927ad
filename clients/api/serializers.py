"""Clients, their appointments and questionnaire plans as the API reads and writes them.

Practice and therapist are set by the server (the caller's practice, the caller), so posting them
changes nothing. Consent is written only through ``consent_set``, which logs who changed it and when.
Appointments are written only through the use cases in ``clients.appointments``.
"""

from __future__ import annotations

import copy
import datetime
import re
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments.api.conventions import StrictCharField, StrictIntegerField, StrictModelSerializer
from assessments.api.serializers import InstrumentField
from clients import wallclock
from clients.models import (
    DURATION_MESSAGE,
    DURATION_MINUTES,
    PLAN_HOURS_MAX,
    Appointment,
    AppointmentKind,
    Channel,
    Client,
    ClientStatus,
    ConsentRecord,
    QuestionnairePlan,
)
from clients.services import consent_set
from practice.api import API_SOURCE

CONSENT_FIELDS = {Client.consent_field(channel): channel for channel in Channel}


class ClientSerializer(StrictModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "practice",
            "therapist",
            "first_name",
            "last_name",
            "preferred_name",
            "display_name",
            "email",
            "phone",
            "date_of_birth",
            "status",
            "consent_questionnaires",
            "consent_questionnaires_at",
            "consent_appointment_reminders",
            "consent_appointment_reminders_at",
            "consent_newsletter",
            "consent_newsletter_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "practice",
            "therapist",
            "display_name",
            "consent_questionnaires_at",
            "consent_appointment_reminders_at",
            "consent_newsletter_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            name: {"help_text": "Changes are recorded in the consent log (source 'API')."} for name in CONSENT_FIELDS
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's own checks (date of birth, the therapist's practice) on the record as it would be saved."""
        if self.instance is not None:
            probe = copy.copy(self.instance)
        else:
            probe = Client(practice=self.context["practice"], therapist=self.context["request"].user)
        for name, value in attrs.items():
            setattr(probe, name, value)
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Client:
        consents = {name: validated_data.pop(name) for name in CONSENT_FIELDS if name in validated_data}
        client = Client.objects.create(
            practice=self.context["practice"], therapist=self.context["request"].user, **validated_data
        )
        self._record_consents(client, consents)
        return client

    @transaction.atomic
    def update(self, instance: Client, validated_data: dict[str, Any]) -> Client:
        consents = {name: validated_data.pop(name) for name in CONSENT_FIELDS if name in validated_data}
        client = super().update(instance, validated_data)
        self._record_consents(client, consents)
        return client

    def _record_consents(self, client: Client, wanted: dict[str, bool]) -> None:
        for name, given in wanted.items():
            if getattr(client, name) != given:
                consent_set(
                    client=client,
                    channel=CONSENT_FIELDS[name],
                    given=given,
                    source=API_SOURCE,
                    recorded_by=self.context["request"].user,
                )


class ConsentRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentRecord
        fields = ["id", "channel", "given", "at", "source", "recorded_by"]
        read_only_fields = fields


# --- Appointments and questionnaire plans ---------------------------------------------------------------------
#
# Requests and answers are separate serializers: a request lists only what the caller may set, so
# status, the end, the calendar's UID and SEQUENCE, reminders and who booked are the server's alone.

#: RFC 3339 as OpenAPI's ``date-time`` means it: a date, ``T``, a time with seconds, and an offset.
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
#: Appointments are booked between these moments (inclusive, exclusive), so arithmetic on them never overflows.
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2200, 1, 1, tzinfo=datetime.UTC)
EXAMPLE = "2026-03-02T09:00:00+00:00"


class NoOffset(ValueError):
    """A time without an offset; ``wall`` is the clock reading it names (naive), for a message that helps."""

    def __init__(self, message: str, wall: datetime.datetime | None) -> None:
        super().__init__(message)
        self.wall = wall


def parse_aware(value: object) -> datetime.datetime:
    """An ISO 8601 moment with its offset, within the years appointments are booked in; else a ``ValueError``
    whose message says what to send (a ``NoOffset`` for a time without an offset)."""
    if not isinstance(value, str):
        raise ValueError(f"Send the time as text in ISO 8601 with an offset, e.g. {EXAMPLE}.")
    match = RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(f"Use ISO 8601 with an offset, e.g. {EXAMPLE}.")
    if match["offset"] is None:
        try:
            wall = datetime.datetime.fromisoformat(value.upper())
        except ValueError:
            wall = None
        raise NoOffset(f"The time has no offset, so it could be any time zone's: add one, e.g. {EXAMPLE} or …Z.", wall)
    try:
        parsed = datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"Not a real date and time; use ISO 8601 with an offset, e.g. {EXAMPLE}.") from None
    try:
        in_utc = parsed.astimezone(datetime.UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise ValueError(f"Appointments fall between {EARLIEST.year} and {LATEST.year - 1}.")
    return in_utc


def _iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def no_offset_message(wall: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """What to send instead of a time without an offset, in the practice's zone: the time with its offset, or,
    where the clocks change, the two times it could mean, or the nearest valid ones."""
    reading = wallclock.read(wall, zone)
    before, after = reading.change if reading.kind != "ok" else (None, None)
    if reading.kind == "overlap":
        first, second = reading.candidates
        return (
            f"{_iso(wall)} happens twice in {zone.key}: the clocks go back from {before:%H:%M} to {after:%H:%M}. "
            f"Send {_iso(first)} for the first ({first.tzname()}) or {_iso(second)} for the second "
            f"({second.tzname()})."
        )
    if reading.kind == "gap":
        earlier, later = reading.candidates
        return (
            f"{_iso(wall)} does not exist in {zone.key}: the clocks go forward from {before:%H:%M} to {after:%H:%M}. "
            f"The nearest valid times are {_iso(earlier)} ({earlier.tzname()}) and {_iso(later)} ({later.tzname()})."
        )
    return (
        f"The time has no offset, so it could be any time zone's: add one. In the practice's zone ({zone.key}) "
        f"that is {_iso(reading.candidates[0])}."
    )


class AwareDateTimeField(serializers.DateTimeField):
    """A moment in ISO 8601 with its offset. A naive time is refused, never guessed to be the server's zone; the
    message gives the time with the offset of the practice's zone (``context["time_zone"]``), or both choices
    when that clock reading happens twice there."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        try:
            return parse_aware(value)
        except NoOffset as exc:
            zone = self.context.get("time_zone")
            message = no_offset_message(exc.wall, zone) if exc.wall and zone else str(exc)
            raise serializers.ValidationError(message, code="invalid") from exc
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc


def storable_text(value: str) -> None:
    """Text the database can store: no lone surrogates (PostgreSQL and SQLite refuse them; nulls DRF refuses)."""
    if any("\ud800" <= char <= "\udfff" for char in value):
        raise serializers.ValidationError("Must not contain unpaired surrogate characters.")


class TextField(StrictCharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(storable_text)


class StrictURLField(serializers.URLField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("Must be text.", code="invalid")
        return super().to_internal_value(data)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A row by its id (a JSON whole number), among those the caller may see (``context[<name>]``)."""

    def __init__(self, scope: str, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= 2**63 - 1:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

    def get_queryset(self):
        return self.context[self.scope]


@extend_schema_field(OpenApiTypes.INT)
class ClientField(ScopedPrimaryKeyField):
    default_error_messages = {"does_not_exist": "No client {pk_value} among yours."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("clients", **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class TherapistField(ScopedPrimaryKeyField):
    default_error_messages = {
        "does_not_exist": "User {pk_value} is not someone you may book for: yourself or (owners) a colleague."
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("therapists", **kwargs)


class AppointmentSerializer(serializers.ModelSerializer):
    """An appointment as the API shows it; times in the practice's zone, with their offset."""

    client_name = serializers.CharField(source="client.display_name", read_only=True)
    time_zone = serializers.CharField(source="client.practice.time_zone", read_only=True)
    meeting_url = serializers.URLField(read_only=True, allow_blank=True, help_text="Empty for none.")

    class Meta:
        model = Appointment
        fields = [
            "id",
            "client",
            "client_name",
            "therapist",
            "starts_at",
            "ends_at",
            "time_zone",
            "duration_minutes",
            "kind",
            "location",
            "meeting_url",
            "note",
            "status",
            "uid",
            "sequence",
            "next_reminder_at",
            "reminders_sent",
            "cancelled_at",
            "booked_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Appointment) -> dict[str, Any]:
        with timezone.override(instance.time_zone):
            return super().to_representation(instance)


class AppointmentChangeSerializer(serializers.Serializer):
    """What a change may touch: the time, the length, the place and the note (``appointment_change``)."""

    starts_at = AwareDateTimeField(
        help_text=f"ISO 8601 with an offset, e.g. {EXAMPLE}; a time without one is refused (the message gives it "
        "with the practice's offset, or both where the clocks go back and the time happens twice)."
    )
    duration_minutes = StrictIntegerField(
        min_value=DURATION_MINUTES[0],
        max_value=DURATION_MINUTES[1],
        error_messages={"min_value": DURATION_MESSAGE, "max_value": DURATION_MESSAGE},
        help_text="Minutes, from 5 to 600.",
    )
    kind = serializers.ChoiceField(choices=AppointmentKind.choices)
    location = TextField(
        max_length=300, allow_blank=True, help_text="Where the client should come; the practice's address if empty."
    )
    meeting_url = StrictURLField(max_length=500, allow_blank=True, help_text="For online sessions.")
    note = TextField(max_length=10000, allow_blank=True, help_text="Private: never emailed.")


class AppointmentBookSerializer(AppointmentChangeSerializer):
    """A booking (``appointment_book``): the therapist is the caller unless an owner names a colleague."""

    client = ClientField(help_text="The client's id; only your clients (an owner: the practice's) can be chosen.")
    therapist = TherapistField(
        required=False,
        help_text="The therapist's user id; yourself if left out. Owners may name a colleague in the practice.",
    )
    duration_minutes = StrictIntegerField(
        min_value=DURATION_MINUTES[0],
        max_value=DURATION_MINUTES[1],
        default=50,
        error_messages={"min_value": DURATION_MESSAGE, "max_value": DURATION_MESSAGE},
        help_text="Minutes, from 5 to 600.",
    )
    kind = serializers.ChoiceField(choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON)
    location = TextField(max_length=300, allow_blank=True, default="")
    meeting_url = StrictURLField(max_length=500, allow_blank=True, default="")
    note = TextField(max_length=10000, allow_blank=True, default="", help_text="Private: never emailed.")


class QuestionnairePlanSerializer(StrictModelSerializer):
    """A questionnaire tied to a client's sessions; who made it and when are the server's to set."""

    client = ClientField(help_text="The client's id; only your clients (an owner: the practice's).")
    instrument = InstrumentField(help_text="The questionnaire's slug (published): the library's or your practice's.")
    hours = StrictIntegerField(min_value=0, max_value=PLAN_HOURS_MAX, default=24)
    expires_in_days = StrictIntegerField(min_value=1, max_value=60, default=7)
    message = TextField(max_length=1000, allow_blank=True, default="")

    class Meta:
        model = QuestionnairePlan
        fields = ["id", "client", "instrument", "timing", "hours", *QuestionnairePlan.SENDING_FIELDS]
        read_only_fields = ["id", "active", "created_by", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's own checks (a published questionnaire, at least an hour before) and no discharged client."""
        if attrs["client"].status == ClientStatus.DISCHARGED:
            raise serializers.ValidationError({"client": ["This client has been discharged; reactivate them first."]})
        plan = QuestionnairePlan(**attrs, created_by=self.context["request"].user)
        try:
            plan.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def create(self, validated_data: dict[str, Any]) -> QuestionnairePlan:
        return QuestionnairePlan.objects.create(**validated_data, created_by=self.context["request"].user)
