"""Clients, appointments and questionnaire plans over the API, scoped exactly as in the admin (``for_user``):
another's client, appointment or plan is a 404.

Appointments change only through the use cases in ``clients.appointments``, so emails, the calendar's
SEQUENCE and reminders follow as they do from the admin.
"""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.api.conventions import STAFF_PERMISSIONS, BooleanFilter, IdFilter
from clients.api.serializers import (
    EXAMPLE,
    AppointmentBookSerializer,
    AppointmentChangeSerializer,
    AppointmentSerializer,
    ClientSerializer,
    ConsentRecordSerializer,
    QuestionnairePlanSerializer,
    parse_aware,
)
from clients.appointments import (
    appointment_book,
    appointment_cancel,
    appointment_change,
    appointment_mark_completed,
    appointment_mark_no_show,
)
from clients.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Client,
    ClientStatus,
    QuestionnairePlan,
)
from practice.api import practice_for
from practice.managers import staff_for_user

#: The schema of a 400 (``config.rest`` adds the component to every schema).
FIELD_ERRORS_REF = {"$ref": "#/components/schemas/FieldErrors"}


class ClientFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ClientStatus.choices)
    therapist = IdFilter(field_name="therapist_id")
    consent_questionnaires = BooleanFilter()

    class Meta:
        model = Client
        fields = ["status", "therapist", "consent_questionnaires"]


@extend_schema_view(
    list=extend_schema(summary="List your clients (an owner: the practice's)"),
    retrieve=extend_schema(summary="One client"),
    create=extend_schema(summary="Add a client: yours, in your practice"),
    update=extend_schema(summary="Change a client"),
    partial_update=extend_schema(summary="Change some of a client's fields"),
    destroy=extend_schema(
        summary="Delete a client and their records (owners only)",
        responses={
            204: None,
            409: OpenApiResponse(
                inline_serializer("DeleteRefused", {"detail": serializers.CharField()}),
                description="Other records still need this client.",
            ),
        },
    ),
)
class ClientViewSet(viewsets.ModelViewSet):
    serializer_class = ClientSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "clients.view_client",
        "retrieve": "clients.view_client",
        "metadata": "clients.view_client",
        "consent_records": "clients.view_consentrecord",
        "create": "clients.add_client",
        "update": "clients.change_client",
        "partial_update": "clients.change_client",
        "destroy": "clients.delete_client",
    }
    filterset_class = ClientFilter
    search_fields = ["first_name", "last_name", "preferred_name", "email", "phone"]
    ordering_fields = ["last_name", "first_name", "created_at", "updated_at"]

    def get_queryset(self):
        return Client.objects.for_user(self.request.user)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.action == "create":
            context["practice"] = practice_for(self.request.user)
        return context

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        client = self.get_object()
        try:
            client.delete()
        except ProtectedError:
            return Response(
                {"detail": "Other records still need this client; discharge them instead."},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="The client's consent log, newest first", responses={200: ConsentRecordSerializer(many=True)}
    )
    @action(detail=True, methods=["get"], url_path="consent-records", pagination_class=None, filter_backends=[])
    def consent_records(self, request: Request, pk: str | None = None) -> Response:
        client = self.get_object()
        records = client.consent_records.for_user(request.user)
        return Response(ConsentRecordSerializer(records, many=True).data)


# --- Appointments ---------------------------------------------------------------------------------------------


class MomentField(forms.Field):
    """A query's moment: ISO 8601 with an offset (``+`` written ``%2B``), like the API's bodies."""

    def to_python(self, value: Any) -> datetime.datetime | None:
        if value in (None, ""):
            return None
        try:
            return parse_aware(value)
        except ValueError as exc:
            raise DjangoValidationError(str(exc), code="invalid") from exc


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentFilter(django_filters.Filter):
    field_class = MomentField


class AppointmentFilter(django_filters.FilterSet):
    client = IdFilter(field_name="client_id")
    therapist = IdFilter(field_name="therapist_id")
    status = django_filters.ChoiceFilter(choices=AppointmentStatus.choices)
    kind = django_filters.ChoiceFilter(choices=AppointmentKind.choices)
    starts_after = MomentFilter(
        field_name="starts_at", lookup_expr="gte", help_text=f"Starting at or after this moment, e.g. {EXAMPLE}."
    )
    starts_before = MomentFilter(
        field_name="starts_at", lookup_expr="lt", help_text=f"Starting before this moment, e.g. {EXAMPLE}."
    )

    class Meta:
        model = Appointment
        fields = ["client", "therapist", "status", "kind", "starts_after", "starts_before"]


APPOINTMENT_CONFLICT = OpenApiResponse(
    inline_serializer("AppointmentConflict", {"detail": serializers.CharField()}),
    description="Not possible in the appointment's current state (cancelled, not yet started…); the message says why.",
)
REFUSED = "Refused; nothing changed. A clash names the time it clashes with (never the other client)."


def refusal(exc: DjangoValidationError) -> exceptions.APIException:
    """A use case's refusal: a problem with a field (a clash, a missing link) is a 400 naming the field; one
    with the appointment's state is a 409."""
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        if NON_FIELD_ERRORS in errors:
            errors["detail"] = errors.pop(NON_FIELD_ERRORS)
        return exceptions.ValidationError(errors)
    conflict = exceptions.APIException(" ".join(exc.messages))
    conflict.status_code = status.HTTP_409_CONFLICT
    return conflict


@extend_schema_view(
    list=extend_schema(summary="List appointments of your clients (an owner: the practice's), earliest first"),
    retrieve=extend_schema(summary="One appointment"),
)
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AppointmentSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "clients.view_appointment",
        "retrieve": "clients.view_appointment",
        "metadata": "clients.view_appointment",
        "create": "clients.add_appointment",
        "partial_update": "clients.change_appointment",
        "cancel": "clients.change_appointment",
        "completed": "clients.change_appointment",
        "no_show": "clients.change_appointment",
    }
    filterset_class = AppointmentFilter
    search_fields = ["client__first_name", "client__last_name", "client__preferred_name"]
    ordering_fields = ["starts_at", "created_at", "updated_at"]

    def get_queryset(self):
        return Appointment.objects.for_user(self.request.user).select_related("client__practice")

    def _answer(self, appointment: Appointment, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=appointment.pk)).data, status=code)

    @extend_schema(
        summary="Book an appointment: the client gets a confirmation with a calendar invitation (with consent)",
        request=AppointmentBookSerializer,
        responses={201: AppointmentSerializer, 400: OpenApiResponse(FIELD_ERRORS_REF, description=REFUSED)},
    )
    def create(self, request: Request) -> Response:
        incoming = AppointmentBookSerializer(
            data=request.data,
            context={
                "clients": Client.objects.for_user(request.user),
                "therapists": staff_for_user(request.user),
                "time_zone": zoneinfo.ZoneInfo(practice_for(request.user).time_zone),
            },
        )
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        data.setdefault("therapist", request.user)
        try:
            appointment = appointment_book(**data, booked_by=request.user)
        except DjangoValidationError as exc:
            raise refusal(exc) from exc
        return self._answer(appointment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the time, length, place or note: the client gets an update if it concerns them",
        request=AppointmentChangeSerializer,
        responses={
            200: AppointmentSerializer,
            400: OpenApiResponse(FIELD_ERRORS_REF, description=REFUSED),
            409: APPOINTMENT_CONFLICT,
        },
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        incoming = AppointmentChangeSerializer(
            data=request.data, partial=True, context={"time_zone": appointment.time_zone}
        )
        incoming.is_valid(raise_exception=True)
        try:
            changed = appointment_change(appointment=appointment, **incoming.validated_data)
        except DjangoValidationError as exc:
            raise refusal(exc) from exc
        return self._answer(changed)

    def _status(self, use_case) -> Response:
        try:
            changed = use_case(appointment=self.get_object())
        except DjangoValidationError as exc:
            raise refusal(exc) from exc
        return self._answer(changed)

    @extend_schema(
        summary="Cancel: the time is free again, no reminders go, and a client who was told gets a cancellation",
        request=None,
        responses={200: AppointmentSerializer, 409: APPOINTMENT_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._status(appointment_cancel)

    @extend_schema(
        summary="Record that the session took place (once it has started)",
        request=None,
        responses={200: AppointmentSerializer, 409: APPOINTMENT_CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def completed(self, request: Request, pk: str | None = None) -> Response:
        return self._status(appointment_mark_completed)

    @extend_schema(
        summary="Record that the client did not attend (once it has started)",
        request=None,
        responses={200: AppointmentSerializer, 409: APPOINTMENT_CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        return self._status(appointment_mark_no_show)


# --- Questionnaire plans --------------------------------------------------------------------------------------


class QuestionnairePlanFilter(django_filters.FilterSet):
    client = IdFilter(field_name="client_id")
    active = BooleanFilter()
    instrument = django_filters.CharFilter(field_name="instrument__slug", help_text="The questionnaire's slug.")

    class Meta:
        model = QuestionnairePlan
        fields = ["client", "active", "instrument"]


@extend_schema_view(
    list=extend_schema(summary="List questionnaire plans of your clients (an owner: the practice's)"),
    retrieve=extend_schema(summary="One questionnaire plan"),
    create=extend_schema(summary="Tie a questionnaire to a client's sessions: before or after every appointment"),
)
class QuestionnairePlanViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = QuestionnairePlanSerializer
    lookup_value_regex = r"[0-9]+"
    permission_classes = STAFF_PERMISSIONS
    action_permissions = {
        "list": "clients.view_questionnaireplan",
        "retrieve": "clients.view_questionnaireplan",
        "metadata": "clients.view_questionnaireplan",
        "create": "clients.add_questionnaireplan",
        "deactivate": "clients.change_questionnaireplan",
    }
    filterset_class = QuestionnairePlanFilter
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return QuestionnairePlan.objects.for_user(self.request.user).select_related("instrument")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "clients": Client.objects.for_user(self.request.user)}

    @extend_schema(
        summary="Stop the plan: no more questionnaires for later appointments (those already sent stay)",
        request=None,
        responses={200: QuestionnairePlanSerializer},
    )
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        plan = self.get_object()
        if plan.active:
            plan.active = False
            plan.save(update_fields=["active"])
        return Response(self.get_serializer(plan).data)
