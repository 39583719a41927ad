"""Clients over the API, scoped exactly as in the admin (``Client.objects.for_user``): another's client is a 404.

Appointments (being built in this app) get their viewset here too, registered in ``clients.api.urls``.
"""

from __future__ import annotations

import django_filters
from django.db.models import ProtectedError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clients.api.serializers import ClientSerializer, ConsentRecordSerializer
from clients.models import Client, ClientStatus
from practice.api.views import STAFF_PERMISSIONS, BooleanFilter, IdFilter, practice_for


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
